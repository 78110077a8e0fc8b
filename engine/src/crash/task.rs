//! The crash game's task: the round lifecycle loop and the handling of every command, all on
//! one task so that a round's state is never shared.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BetState {
    /// Hold in flight.
    Placing,
    Open,
    /// Cash-out settlement in flight.
    CashingOut,
    CashedOut {
        multiplier_x100: u64,
        payout: i64,
    },
}

pub(super) struct LiveBet {
    pub(super) id: Option<RoundBetId>,
    pub(super) idem: String,
    pub(super) username: String,
    pub(super) stake: i64,
    pub(super) auto_cashout_x100: Option<u64>,
    pub(super) state: BetState,
}

impl LiveBet {
    pub(super) fn view(&self) -> CrashBetView {
        let (cashed_out_x100, payout) = match self.state {
            BetState::CashedOut {
                multiplier_x100,
                payout,
            } => (Some(multiplier_x100), Some(Cents(payout))),
            _ => (None, None),
        };
        CrashBetView {
            username: self.username.clone(),
            amount: Cents(self.stake),
            cashed_out_x100,
            payout,
        }
    }
}

pub(super) struct Round {
    pub(super) id: RoundId,
    pub(super) number: i64,
    pub(super) hash: protocol::chain::ChainHash,
    pub(super) previous_hash: String,
    pub(super) crash_x100: u64,
    pub(super) phase: CrashPhase,
    pub(super) betting_ends: Instant,
    pub(super) running_at: Option<Instant>,
    pub(super) bets: HashMap<PlayerId, LiveBet>,
    pub(super) staked: i64,
    pub(super) paid: i64,
    pub(super) in_flight: usize,
    /// Retries waiting for their original hold's answer.
    pub(super) waiting: rounds::bets::Waiting<BetCommand>,
}

impl Round {
    pub(super) fn view(&self) -> CrashRoundView {
        let now = Instant::now();
        let crashed = self.phase == CrashPhase::Crashed;
        CrashRoundView {
            id: self.id,
            number: self.number,
            phase: self.phase,
            betting_left_ms: self.betting_ends.saturating_duration_since(now).as_millis() as u64,
            elapsed_ms: self.running_at.map_or(0, |at| {
                if crashed {
                    elapsed_ms_for(self.crash_x100)
                } else {
                    now.saturating_duration_since(at).as_millis() as u64
                }
            }),
            crash_x100: crashed.then_some(self.crash_x100),
            hash: crashed.then(|| hex::encode(self.hash)),
            previous_hash: self.previous_hash.clone(),
        }
    }

    pub(super) fn crash_instant(&self) -> Option<Instant> {
        self.running_at
            .map(|at| at + Duration::from_millis(elapsed_ms_for(self.crash_x100)))
    }
}

pub(super) struct CrashTask {
    pub(super) pool: SqlitePool,
    pub(super) ledger: Ledger,
    pub(super) hub: Hub,
    pub(super) timing: CrashTiming,
    pub(super) chain: Chain,
    pub(super) next_number: i64,
    pub(super) history: VecDeque<CrashHistoryItem>,
    pub(super) queue: mpsc::Receiver<Command>,
    pub(super) loopback: mpsc::WeakSender<Command>,
}

impl CrashTask {
    pub(super) async fn run(mut self) {
        loop {
            let Some(mut round) = self.open_round().await else {
                return;
            };
            if !self.betting(&mut round).await || !self.running(&mut round).await {
                return;
            }
            self.crashed(&mut round).await;
            let resume_at = Instant::now() + Duration::from_millis(self.timing.intermission_ms);
            if !self.idle_until(&mut round, resume_at).await {
                return;
            }
        }
    }

    fn publish_round(&self, round: &Round) {
        let view = round.view();
        self.hub
            .publish(CRASH_TOPIC, |topic, seq| ServerMsg::CrashRound {
                topic,
                seq,
                round: view,
            });
    }

    async fn open_round(&mut self) -> Option<Round> {
        if self.next_number as usize > self.chain.hashes.len() {
            match rounds::create_chain(&self.pool, Game::Crash, rounds::CHAIN_ROUNDS).await {
                Ok(chain) => (self.chain, self.next_number) = (chain, 1),
                Err(error) => {
                    tracing::error!(%error, "cannot create a new crash chain; the game stops");
                    return None;
                }
            }
        }
        let number = self.next_number;
        let (hash, previous_hash) = self.chain.round(number);
        loop {
            match self
                .ledger
                .open_round(Game::Crash, self.chain.id, number)
                .await
            {
                Ok(id) => {
                    self.next_number += 1;
                    let round = Round {
                        id,
                        number,
                        hash,
                        previous_hash: hex::encode(previous_hash),
                        crash_x100: crash_point_x100(&self.chain.salt, &hash),
                        phase: CrashPhase::Betting,
                        betting_ends: Instant::now()
                            + Duration::from_millis(self.timing.betting_ms),
                        running_at: None,
                        bets: HashMap::new(),
                        staked: 0,
                        paid: 0,
                        in_flight: 0,
                        waiting: Default::default(),
                    };
                    self.publish_round(&round);
                    return Some(round);
                }
                Err(LedgerError::Unavailable) => return None,
                Err(error) => {
                    tracing::error!(%error, "opening a crash round failed; retrying");
                    tokio::time::sleep(Duration::from_millis(self.timing.intermission_ms)).await;
                }
            }
        }
    }

    /// Takes bets until the window closes and every hold in flight is answered.
    async fn betting(&mut self, round: &mut Round) -> bool {
        let closes = round.betting_ends;
        loop {
            let closed = Instant::now() >= closes;
            if closed && round.in_flight == 0 {
                break;
            }
            let command = tokio::select! {
                command = self.queue.recv() => command,
                _ = tokio::time::sleep_until(closes), if !closed => continue,
            };
            let Some(command) = command else { return false };
            self.handle(round, command);
        }
        loop {
            match self.ledger.start_running(round.id).await {
                Ok(()) => break,
                Err(LedgerError::Unavailable) => return false,
                Err(error) => {
                    tracing::error!(%error, "starting a crash round failed; retrying");
                    tokio::time::sleep(Duration::from_millis(self.timing.tick_ms)).await;
                }
            }
        }
        round.phase = CrashPhase::Running;
        round.running_at = Some(Instant::now());
        self.publish_round(round);
        true
    }

    async fn running(&mut self, round: &mut Round) -> bool {
        let crash_at = round.crash_instant().expect("running rounds have a start");
        let started = round.running_at.expect("running rounds have a start");
        let mut tick = tokio::time::interval(Duration::from_millis(self.timing.tick_ms));
        loop {
            tokio::select! {
                biased;
                _ = tokio::time::sleep_until(crash_at) => return true,
                _ = tick.tick() => {
                    let now = Instant::now();
                    if now >= crash_at {
                        return true;
                    }
                    let elapsed_ms = now.duration_since(started).as_millis() as u64;
                    let multiplier_x100 = multiplier_x100_at(elapsed_ms);
                    self.auto_cash_outs(round, multiplier_x100);
                    self.enforce_bankroll(round, multiplier_x100);
                    let id = round.id;
                    self.hub.publish(CRASH_TOPIC, |topic, seq| ServerMsg::CrashTick { topic, seq, round: id, elapsed_ms, multiplier_x100 });
                }
                command = self.queue.recv() => {
                    let Some(command) = command else { return false };
                    self.handle(round, command);
                }
            }
        }
    }

    /// Settles everything still open at the crash in one batch with the round's end.
    async fn crashed(&mut self, round: &mut Round) {
        round.phase = CrashPhase::Crashed;
        // Cash-outs already in flight finish first, so the final settlement sees them.
        while round.in_flight > 0 {
            let Some(command) = self.queue.recv().await else {
                return;
            };
            self.handle(round, command);
        }
        let mut settlements = Vec::new();
        let mut winners = Vec::new();
        for (player, bet) in &round.bets {
            let (BetState::Open, Some(id)) = (bet.state, bet.id) else {
                continue;
            };
            let outcome = match bet.auto_cashout_x100 {
                // The curve passed the target before crashing (possibly between two ticks).
                Some(target) if target <= round.crash_x100 => {
                    winners.push((*player, target));
                    BetOutcome::CashedOut {
                        multiplier_x100: target,
                    }
                }
                _ => BetOutcome::Lost,
            };
            settlements.push(Settlement { bet: id, outcome });
        }
        let end = RoundEnd::Ended {
            hash: hex::encode(round.hash),
            outcome: round.crash_x100 as i64,
        };
        if let Err(error) = self.ledger.settle(round.id, settlements, Some(end)).await {
            // Left open, the round is settled by the recovery rule at the next start.
            tracing::error!(%error, round = round.id.0, "settling a crash round failed");
        }
        for (player, target) in winners {
            self.mark_cashed_out(round, player, target);
        }
        self.history.push_front(CrashHistoryItem {
            id: round.id,
            crash_x100: round.crash_x100,
        });
        self.history.truncate(CRASH_HISTORY_ROUNDS);
        self.publish_round(round);
    }

    /// Between rounds: bets are refused, joins served.
    async fn idle_until(&mut self, round: &mut Round, until: Instant) -> bool {
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return true,
                command = self.queue.recv() => {
                    let Some(command) = command else { return false };
                    self.handle(round, command);
                }
            }
        }
    }
}
