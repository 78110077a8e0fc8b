//! The crash task's command handling: joins, bets, cash-outs (manual, automatic, forced by the
//! bankroll rule) and the answers the ledger sends back.

use super::task::{BetState, CrashTask, LiveBet, Round};
use super::*;
use crate::rounds::bets::{self, BetRoute};

impl CrashTask {
    pub(super) fn handle(&mut self, round: &mut Round, command: Command) {
        match command {
            Command::Join { outbox } => {
                // Snapshot and subscription happen here, between this task's own publications,
                // so the joiner neither misses nor repeats an event.
                let bets = round
                    .bets
                    .values()
                    .filter(|b| b.state != BetState::Placing)
                    .map(LiveBet::view)
                    .collect();
                let history = self.history.iter().cloned().collect();
                let view = round.view();
                let seq = self.hub.subscribe_with(CRASH_TOPIC, &outbox, |topic, seq| {
                    ServerMsg::CrashState {
                        topic,
                        seq,
                        round: view,
                        bets,
                        history,
                    }
                });
                let _ = seq;
            }
            Command::Bet(command) => self.bet(round, command),
            Command::HoldDone {
                player,
                result,
                reply,
            } => {
                round.in_flight -= 1;
                match result {
                    Ok(receipt) if !receipt.replayed => {
                        let bet = round
                            .bets
                            .get_mut(&player)
                            .expect("a placing bet stays until answered");
                        bet.id = Some(receipt.bet);
                        bet.state = BetState::Open;
                        let (id, view) = (round.id, bet.view());
                        self.hub
                            .publish(CRASH_TOPIC, |topic, seq| ServerMsg::CrashBet {
                                topic,
                                seq,
                                round: id,
                                bet: view,
                            });
                        let _ = reply.send(Ok(receipt.into()));
                    }
                    answer => {
                        // Refused, or the key placed a bet in an earlier round: nothing was
                        // held for this one.
                        if let Some(bet) = round.bets.remove(&player) {
                            round.staked -= bet.stake;
                        }
                        let _ = reply.send(answer.map(BetAck::from).map_err(RoundError::from));
                    }
                }
                for retry in round.waiting.take(player) {
                    self.bet(round, retry);
                }
            }
            Command::CashOut {
                player,
                received,
                reply,
            } => {
                let result = self.manual_cash_out(round, player, received, reply);
                if let Err((error, reply)) = result {
                    let _ = reply.send(Err(error));
                }
            }
            Command::SettleDone {
                players,
                result,
                reply,
            } => {
                round.in_flight -= 1;
                match result {
                    Ok(()) => {
                        for (player, multiplier_x100) in &players {
                            self.mark_cashed_out(round, *player, *multiplier_x100);
                        }
                        if let (Some(reply), Some((player, multiplier_x100))) =
                            (reply, players.first())
                        {
                            let payout = round
                                .bets
                                .get(player)
                                .map_or(0, |b| payout_cents(b.stake, *multiplier_x100));
                            let _ = reply.send(Ok(CashOutAck {
                                multiplier_x100: *multiplier_x100,
                                payout: Cents(payout),
                            }));
                        }
                    }
                    Err(error) => {
                        tracing::error!(%error, "a crash cash-out failed to settle");
                        for (player, _) in &players {
                            if let Some(bet) = round.bets.get_mut(player) {
                                bet.state = BetState::Open;
                            }
                        }
                        if let Some(reply) = reply {
                            let _ = reply.send(Err(error.into()));
                        }
                    }
                }
            }
        }
    }

    fn bet(&mut self, round: &mut Round, command: BetCommand) {
        let current = round
            .bets
            .get(&command.player.id)
            .map(|bet| (bet.idem.as_str(), bet.state == BetState::Placing));
        let route = bets::route(current, &command.idem);
        if route == BetRoute::Wait {
            if let Err(refused) = round.waiting.add(command.player.id, command) {
                let _ = refused.reply.send(Err(RoundError::Busy));
            }
            return;
        }
        let BetCommand {
            player,
            idem,
            amount,
            auto_cashout_x100,
            reply,
        } = command;
        let request = RoundBetRequest {
            game: Game::Crash,
            round: round.id,
            idem,
            amount,
            auto_cashout_x100,
            segment: None,
        };
        let refusal = match route {
            BetRoute::Replay => Some(RoundError::AlreadyBet),
            _ => self
                .check_bet(round, &player, amount, auto_cashout_x100)
                .err(),
        };
        match refusal {
            Some(refusal) if bets::may_be_retry(&refusal) => {
                bets::answer_from_ledger(&self.ledger, player.id, request, refusal, reply);
                return;
            }
            Some(refusal) => {
                let _ = reply.send(Err(refusal));
                return;
            }
            None => {}
        }
        round.staked += amount.0;
        round.in_flight += 1;
        round.bets.insert(
            player.id,
            LiveBet {
                id: None,
                idem: request.idem.clone(),
                username: player.username.clone(),
                stake: amount.0,
                auto_cashout_x100,
                state: BetState::Placing,
            },
        );
        let ledger = self.ledger.clone();
        let player = player.id;
        rounds::spawn_and_report(
            &self.loopback,
            async move { ledger.round_bet(player, request).await },
            move |result| Command::HoldDone {
                player,
                result,
                reply,
            },
        );
    }

    fn check_bet(
        &self,
        round: &Round,
        player: &PlayerView,
        amount: Cents,
        auto: Option<u64>,
    ) -> Result<(), RoundError> {
        let open = round.phase == CrashPhase::Betting && Instant::now() < round.betting_ends;
        rounds::check_new_bet(
            open,
            round.bets.contains_key(&player.id),
            amount,
            round.staked,
            CRASH_ROUND_STAKES_CENTS_MAX,
        )?;
        if auto.is_some_and(|m| {
            !(CRASH_AUTO_CASHOUT_X100_MIN..=CRASH_AUTO_CASHOUT_X100_MAX).contains(&m)
        }) {
            return Err(RoundError::InvalidAutoCashout);
        }
        Ok(())
    }

    fn manual_cash_out(
        &mut self,
        round: &mut Round,
        player: PlayerId,
        received: Instant,
        reply: Reply<CashOutAck>,
    ) -> Result<(), (RoundError, Reply<CashOutAck>)> {
        let Some(bet) = round.bets.get(&player) else {
            return Err((RoundError::NoBet, reply));
        };
        match bet.state {
            BetState::CashingOut | BetState::CashedOut { .. } => {
                return Err((RoundError::AlreadyCashedOut, reply))
            }
            BetState::Placing => return Err((RoundError::NoBet, reply)),
            BetState::Open => {}
        }
        let (Some(started), Some(crash_at)) = (round.running_at, round.crash_instant()) else {
            return Err((RoundError::NoBet, reply));
        };
        if round.phase == CrashPhase::Crashed || received >= crash_at {
            return Err((RoundError::RoundCrashed, reply));
        }
        let elapsed_ms = received.saturating_duration_since(started).as_millis() as u64;
        let multiplier_x100 = multiplier_x100_at(elapsed_ms)
            .min(round.crash_x100 - 1)
            .max(100);
        self.cash_out(round, vec![(player, multiplier_x100)], Some(reply));
        Ok(())
    }

    pub(super) fn auto_cash_outs(&mut self, round: &mut Round, multiplier_x100: u64) {
        let due: Vec<(PlayerId, u64)> = round
            .bets
            .iter()
            .filter(|(_, b)| b.state == BetState::Open)
            .filter_map(|(p, b)| {
                b.auto_cashout_x100
                    .filter(|target| *target <= multiplier_x100)
                    .map(|t| (*p, t))
            })
            .collect();
        if !due.is_empty() {
            self.cash_out(round, due, None);
        }
    }

    /// Cashes out everyone still in when paying them at `multiplier_x100` would reach the
    /// round's payout limit.
    pub(super) fn enforce_bankroll(&mut self, round: &mut Round, multiplier_x100: u64) {
        let open: Vec<(PlayerId, i64)> = round
            .bets
            .iter()
            .filter(|(_, b)| b.state == BetState::Open)
            .map(|(p, b)| (*p, b.stake))
            .collect();
        let stakes: Vec<i64> = open.iter().map(|(_, stake)| *stake).collect();
        if bankroll_reached(round.paid, &stakes, multiplier_x100) {
            tracing::info!(
                round = round.id.0,
                multiplier_x100,
                "bankroll limit reached; cashing everyone out"
            );
            self.cash_out(
                round,
                open.into_iter()
                    .map(|(p, _)| (p, multiplier_x100))
                    .collect(),
                None,
            );
        }
    }

    fn cash_out(
        &mut self,
        round: &mut Round,
        players: Vec<(PlayerId, u64)>,
        reply: Option<Reply<CashOutAck>>,
    ) {
        let mut settlements = Vec::with_capacity(players.len());
        for (player, multiplier_x100) in &players {
            let bet = round
                .bets
                .get_mut(player)
                .expect("only open bets are cashed out");
            bet.state = BetState::CashingOut;
            let id = bet.id.expect("open bets have ids");
            settlements.push(Settlement {
                bet: id,
                outcome: BetOutcome::CashedOut {
                    multiplier_x100: *multiplier_x100,
                },
            });
        }
        round.in_flight += 1;
        let (ledger, id) = (self.ledger.clone(), round.id);
        rounds::spawn_and_report(
            &self.loopback,
            async move { ledger.settle(id, settlements, None).await },
            move |result| Command::SettleDone {
                players,
                result,
                reply,
            },
        );
    }

    pub(super) fn mark_cashed_out(
        &mut self,
        round: &mut Round,
        player: PlayerId,
        multiplier_x100: u64,
    ) {
        let Some(bet) = round.bets.get_mut(&player) else {
            return;
        };
        let payout = payout_cents(bet.stake, multiplier_x100);
        bet.state = BetState::CashedOut {
            multiplier_x100,
            payout,
        };
        round.paid += payout;
        let (id, view) = (round.id, bet.view());
        self.hub
            .publish(CRASH_TOPIC, |topic, seq| ServerMsg::CrashBet {
                topic,
                seq,
                round: id,
                bet: view,
            });
    }
}
