//! The driver's side of bets and ledger calls: a bet command waits for the player's hold in
//! flight, is answered from the ledger's record of its key, or is checked and held; early
//! settlements (cash-outs) go to the ledger; and the answers come back to the round.

use super::{Command, Driver, EarlyPay, Phase, Plays, Reply, Round, RoundGame};
use crate::ledger::rounds::{BetOutcome, Payout, RoundBetReceipt, RoundBetRequest, Settlement};
use crate::ledger::LedgerError;
use crate::rounds::book::{self, BetCommand, BetRoute, BetState, BookBet};
use crate::rounds::{check_new_bet, CashOutAck, RoundBetAck, RoundError};
use protocol::ids::RoundBetId;
use protocol::PlayerId;
use tokio::time::Instant;

/// A ledger call in flight, with what to do with its answer.
pub(super) enum Done {
    Hold {
        player: PlayerId,
        result: Result<RoundBetReceipt, LedgerError>,
        reply: Reply<RoundBetAck>,
        /// What the risk engine is told once the bet is held.
        signal: crate::risk::Signal,
    },
    Lookup {
        result: Result<Option<RoundBetReceipt>, LedgerError>,
        refusal: RoundError,
        reply: Reply<RoundBetAck>,
    },
    Settle {
        bets: Vec<RoundBetId>,
        result: Result<Vec<Payout>, LedgerError>,
        reply: Option<(PlayerId, Reply<CashOutAck>)>,
    },
}

impl<G: RoundGame> Driver<G> {
    pub(super) fn handle(&mut self, round: &mut Round<G>, command: Command<G>) {
        match command {
            Command::Join(target) => {
                // The state is taken here, between this task's own publications, so the joiner
                // neither misses nor repeats an event.
                let game = &self.game;
                self.hub.join(G::TOPIC, &target, |topic, seq, at_ms| {
                    game.state(round, topic, seq, at_ms)
                });
            }
            Command::Bet(command) => self.bet(round, command),
            Command::Game(command) => {
                let mut plays = Plays::default();
                self.game.command(round, command, &mut plays);
                self.start(round, plays);
            }
        }
    }

    /// A bet command: waits for the player's hold in flight, is answered from the ledger's
    /// record of its key, or is checked and held.
    fn bet(&mut self, round: &mut Round<G>, command: BetCommand<G::Choice>) {
        let route = book::route(round.book.current(command.player.id), &command.idem);
        if route == BetRoute::Wait {
            if let Err(refused) = round.book.wait(command) {
                let _ = refused.reply.send(Err(RoundError::Busy));
            }
            return;
        }
        let request = RoundBetRequest {
            game: G::GAME,
            round: round.id,
            idem: command.idem.clone(),
            amount: command.amount,
            choice: G::choice_text(&command.choice),
        };
        let refusal = match route {
            BetRoute::Replay => Some(RoundError::AlreadyBet),
            _ => self.check(round, &command).err(),
        };
        let BetCommand {
            player,
            idem,
            amount,
            choice,
            reply,
        } = command;
        let ledger = self.ledger.clone();
        match refusal {
            Some(refusal) if book::may_be_retry(&refusal) => {
                self.lookups.push(Box::pin(async move {
                    let result = ledger.find_round_bet(player.id, request).await;
                    Done::Lookup {
                        result,
                        refusal,
                        reply,
                    }
                }));
            }
            Some(refusal) => {
                let _ = reply.send(Err(refusal));
            }
            None => {
                let bet = BookBet {
                    id: None,
                    idem,
                    username: player.username,
                    stake: amount,
                    choice,
                    state: BetState::Placing,
                };
                round.book.placing(player.id, bet);
                let player = player.id;
                let signal = crate::risk::Signal::RoundBet {
                    player,
                    round: round.id.0,
                    reaction_ms: round.opened_at.elapsed().as_millis() as i64,
                    at_ms: crate::store::now_ms(),
                };
                self.in_flight.push(Box::pin(async move {
                    let result = ledger.round_bet(player, request).await;
                    Done::Hold {
                        player,
                        result,
                        reply,
                        signal,
                    }
                }));
            }
        }
    }

    /// The checks of a new bet: window, one bet per player, stake, round limit, the choice.
    fn check(&self, round: &Round<G>, bet: &BetCommand<G::Choice>) -> Result<(), RoundError> {
        let open = round.phase == Phase::Betting && Instant::now() < round.betting_ends;
        check_new_bet(
            open,
            round.book.get(bet.player.id).is_some(),
            bet.amount,
            round.book.staked().0,
            G::STAKE_LIMIT,
        )?;
        self.game.check_choice(&bet.choice)
    }

    /// Sends the early settlements a game asked for to the ledger.
    pub(super) fn start(&mut self, round: &mut Round<G>, plays: Plays) {
        for EarlyPay { players, reply } in plays.early {
            let due = round.book.settling(&players);
            if due.is_empty() {
                if let Some((_, reply)) = reply {
                    let _ = reply.send(Err(RoundError::NoBet));
                }
                continue;
            }
            if let Some((player, _)) = &reply {
                // A cash-out by hand (automatic ones pay a target set before the round).
                self.ledger.risk().observe(crate::risk::Signal::CashedOut {
                    player: *player,
                    round: round.id.0,
                    at_ms: crate::store::now_ms(),
                });
            }
            let bets: Vec<RoundBetId> = due.iter().map(|(bet, _)| *bet).collect();
            let settlements = due
                .into_iter()
                .map(|(bet, multiplier_x100)| Settlement {
                    bet,
                    outcome: BetOutcome::CashedOut { multiplier_x100 },
                })
                .collect();
            let (ledger, id) = (self.ledger.clone(), round.id);
            self.in_flight.push(Box::pin(async move {
                let result = ledger.settle(id, settlements, None).await;
                Done::Settle {
                    bets,
                    result,
                    reply,
                }
            }));
        }
    }

    pub(super) fn done(&mut self, round: &mut Round<G>, done: Done) {
        match done {
            Done::Hold {
                player,
                result,
                reply,
                signal,
            } => {
                match result {
                    Ok(receipt) if !receipt.replayed => {
                        self.ledger.risk().observe(signal);
                        round.book.held(player, receipt.bet);
                        if let Some(bet) = round.book.get(player) {
                            self.game.publish_bet(round, bet);
                        }
                        let _ = reply.send(Ok(receipt.into()));
                    }
                    // Refused, or the key placed a bet in an earlier round: nothing was held.
                    answer => {
                        round.book.not_held(player);
                        let _ = reply.send(answer.map(RoundBetAck::from).map_err(RoundError::from));
                    }
                }
                for retry in round.book.waited(player) {
                    self.bet(round, retry);
                }
            }
            Done::Lookup {
                result,
                refusal,
                reply,
            } => {
                let answer = match result {
                    Ok(Some(receipt)) => Ok(receipt.into()),
                    Ok(None) => Err(refusal),
                    Err(error) => Err(error.into()),
                };
                let _ = reply.send(answer);
            }
            Done::Settle {
                bets,
                result,
                reply,
            } => self.settled_early(round, bets, result, reply),
        }
    }

    fn settled_early(
        &mut self,
        round: &mut Round<G>,
        bets: Vec<RoundBetId>,
        result: Result<Vec<Payout>, LedgerError>,
        reply: Option<(PlayerId, Reply<CashOutAck>)>,
    ) {
        match result {
            Ok(payouts) => {
                for player in round.book.settled(&payouts) {
                    if let Some(bet) = round.book.get(player) {
                        self.game.publish_bet(round, bet);
                    }
                }
                if let Some((player, reply)) = reply {
                    let paid = round.book.get(player).and_then(BookBet::paid_at);
                    let ack = paid.map(|(multiplier_x100, payout)| CashOutAck {
                        multiplier_x100,
                        payout,
                    });
                    let _ = reply.send(ack.ok_or(RoundError::NoBet));
                }
            }
            Err(error) => {
                tracing::error!(%error, round = round.id.0, "an early settlement failed");
                round.book.reopen(&bets);
                if let Some((_, reply)) = reply {
                    let _ = reply.send(Err(error.into()));
                }
            }
        }
    }
}
