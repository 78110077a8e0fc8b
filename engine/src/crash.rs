//! The crash game: one task owns the live round and runs its lifecycle
//! (betting -> running -> crashed -> next round), persisting every phase through the ledger
//! writer. The outcome comes from the game's hash chain; the client decides nothing.
//!
//! - Bets are accepted during the betting window, checked here (window, one bet per player,
//!   auto cash-out range, the round's stake limit) and held durably by the ledger before the
//!   player is answered. Betting closes only once every hold in flight has been answered.
//! - While running, ticks are published 15 times a second, each encoded once for all viewers.
//!   A manual cash-out counts at the multiplier of the moment the server received it; one
//!   received at or after the crash is refused and the bet is lost. Auto cash-outs ride on the
//!   server, also for players whose connection dropped, and pay exactly their target.
//! - When the live exposure reaches [`CRASH_ROUND_PAYOUT_CENTS_MAX`], everyone still in is
//!   cashed out at the current multiplier (bustabit's bankroll rule).
//! - At the crash, the remaining bets settle in one ledger batch with the round's end, and the
//!   round hash is revealed.

use crate::hub::{Hub, Outbox};
use crate::ledger::rounds::{BetOutcome, Game, RoundBetRequest, RoundEnd, Settlement};
use crate::ledger::{Ledger, LedgerError};
use crate::limits::{
    CRASH_BETTING_MS, CRASH_INTERMISSION_MS, CRASH_TICK_MS, ROUND_QUEUE_COMMANDS_MAX,
};
use crate::rounds::{self, BetAck, Chain, RoundError, RoundsError};
use protocol::crash::{crash_point_x100, elapsed_ms_for, multiplier_x100_at, payout_cents};
use protocol::ids::{RoundBetId, RoundId};
use protocol::limits::{
    CRASH_AUTO_CASHOUT_X100_MAX, CRASH_AUTO_CASHOUT_X100_MIN, CRASH_HISTORY_ROUNDS,
    CRASH_ROUND_PAYOUT_CENTS_MAX, CRASH_ROUND_STAKES_CENTS_MAX,
};
use protocol::wire::{CrashBetView, CrashHistoryItem, CrashPhase, CrashRoundView, PlayerView};
use protocol::{Cents, PlayerId, ServerMsg};
use sqlx::{Row, SqlitePool};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The topic of crash events.
pub const CRASH_TOPIC: &str = "crash";

/// Timing of the crash game; the defaults are the product's, tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct CrashTiming {
    /// Betting window.
    pub betting_ms: u64,
    /// Tick period while running.
    pub tick_ms: u64,
    /// Pause after a crash.
    pub intermission_ms: u64,
    /// Seed and length of the first chain, when it must be known in advance (tests); `None`
    /// draws a random secret seed, as production must.
    pub first_chain: Option<(protocol::chain::ChainHash, usize)>,
}

impl Default for CrashTiming {
    fn default() -> CrashTiming {
        CrashTiming {
            betting_ms: CRASH_BETTING_MS,
            tick_ms: CRASH_TICK_MS,
            intermission_ms: CRASH_INTERMISSION_MS,
            first_chain: None,
        }
    }
}

/// A paid cash-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CashOutAck {
    /// Multiplier in hundredths.
    pub multiplier_x100: u64,
    /// Payout.
    pub payout: Cents,
}

type Reply<T> = oneshot::Sender<Result<T, RoundError>>;

enum Command {
    Join {
        outbox: Outbox,
    },
    Bet {
        player: PlayerView,
        idem: String,
        amount: Cents,
        auto_cashout_x100: Option<u64>,
        reply: Reply<BetAck>,
    },
    CashOut {
        player: PlayerId,
        received: Instant,
        reply: Reply<CashOutAck>,
    },
    HoldDone {
        player: PlayerId,
        result: Result<crate::ledger::rounds::RoundBetReceipt, LedgerError>,
        reply: Reply<BetAck>,
    },
    SettleDone {
        players: Vec<(PlayerId, u64)>,
        result: Result<(), LedgerError>,
        reply: Option<Reply<CashOutAck>>,
    },
}

/// Handle to the crash game. Cheap to clone.
#[derive(Clone)]
pub struct Crash {
    commands: mpsc::Sender<Command>,
}

impl Crash {
    /// Starts the game task: resumes the stored hash chain (or creates one) and opens rounds.
    pub async fn start(
        pool: SqlitePool,
        ledger: Ledger,
        hub: Hub,
        timing: CrashTiming,
    ) -> Result<Crash, RoundsError> {
        let (chain, next_number) =
            rounds::resume_chain(&pool, Game::Crash, timing.first_chain).await?;
        let history = load_history(&pool).await?;
        let (commands, queue) = mpsc::channel(ROUND_QUEUE_COMMANDS_MAX);
        let game = CrashTask {
            pool,
            ledger,
            hub,
            timing,
            chain,
            next_number,
            history,
            queue,
            loopback: commands.downgrade(),
        };
        tokio::spawn(game.run());
        Ok(Crash { commands })
    }

    /// Sends the current state to a connection and subscribes it to crash events.
    pub async fn join(&self, outbox: Outbox) {
        let _ = self.commands.send(Command::Join { outbox }).await;
    }

    /// Places a bet in the current round's betting window.
    pub async fn bet(
        &self,
        player: PlayerView,
        idem: String,
        amount: Cents,
        auto_cashout_x100: Option<u64>,
    ) -> Result<BetAck, RoundError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Bet {
            player,
            idem,
            amount,
            auto_cashout_x100,
            reply,
        };
        self.commands
            .send(command)
            .await
            .map_err(|_| RoundError::Unavailable)?;
        answer.await.map_err(|_| RoundError::Unavailable)?
    }

    /// Cashes out at the multiplier of `received`, the server's receive time.
    pub async fn cash_out(
        &self,
        player: PlayerId,
        received: Instant,
    ) -> Result<CashOutAck, RoundError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::CashOut {
                player,
                received,
                reply,
            })
            .await
            .map_err(|_| RoundError::Unavailable)?;
        answer.await.map_err(|_| RoundError::Unavailable)?
    }
}

async fn load_history(pool: &SqlitePool) -> Result<VecDeque<CrashHistoryItem>, sqlx::Error> {
    Ok(recent_crash_points(pool).await?.into_iter().collect())
}

/// The latest crash points, newest first (for pages rendered on the server).
pub async fn recent_crash_points(pool: &SqlitePool) -> Result<Vec<CrashHistoryItem>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, outcome FROM rounds WHERE game = 'crash' AND phase = 'ended' ORDER BY id DESC LIMIT ?")
        .bind(CRASH_HISTORY_ROUNDS as i64)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| CrashHistoryItem {
            id: RoundId(row.get("id")),
            crash_x100: row.get::<i64, _>("outcome") as u64,
        })
        .collect())
}

/// Whether paying every open stake at `multiplier_x100`, on top of what the round already
/// paid, reaches the round's payout limit (the bankroll rule).
pub fn bankroll_reached(paid: i64, open_stakes: &[i64], multiplier_x100: u64) -> bool {
    let exposure: i64 = paid
        + open_stakes
            .iter()
            .map(|stake| payout_cents(*stake, multiplier_x100))
            .sum::<i64>();
    !open_stakes.is_empty() && exposure >= CRASH_ROUND_PAYOUT_CENTS_MAX.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BetState {
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

struct LiveBet {
    id: Option<RoundBetId>,
    idem: String,
    username: String,
    stake: i64,
    auto_cashout_x100: Option<u64>,
    state: BetState,
}

impl LiveBet {
    fn view(&self) -> CrashBetView {
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

struct Round {
    id: RoundId,
    number: i64,
    hash: protocol::chain::ChainHash,
    previous_hash: String,
    crash_x100: u64,
    phase: CrashPhase,
    betting_ends: Instant,
    running_at: Option<Instant>,
    bets: HashMap<PlayerId, LiveBet>,
    staked: i64,
    paid: i64,
    in_flight: usize,
}

impl Round {
    fn view(&self) -> CrashRoundView {
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

    fn crash_instant(&self) -> Option<Instant> {
        self.running_at
            .map(|at| at + Duration::from_millis(elapsed_ms_for(self.crash_x100)))
    }
}

struct CrashTask {
    pool: SqlitePool,
    ledger: Ledger,
    hub: Hub,
    timing: CrashTiming,
    chain: Chain,
    next_number: i64,
    history: VecDeque<CrashHistoryItem>,
    queue: mpsc::Receiver<Command>,
    loopback: mpsc::WeakSender<Command>,
}

impl CrashTask {
    async fn run(mut self) {
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

    fn handle(&mut self, round: &mut Round, command: Command) {
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
            Command::Bet {
                player,
                idem,
                amount,
                auto_cashout_x100,
                reply,
            } => {
                if round
                    .bets
                    .get(&player.id)
                    .is_some_and(|bet| bet.idem == idem)
                {
                    let request = RoundBetRequest {
                        round: round.id,
                        idem,
                        amount,
                        auto_cashout_x100,
                        segment: None,
                    };
                    rounds::replay_bet(&self.ledger, player.id, request, reply);
                    return;
                }
                if let Err(error) = self.check_bet(round, &player, amount, auto_cashout_x100) {
                    let _ = reply.send(Err(error));
                    return;
                }
                round.staked += amount.0;
                round.in_flight += 1;
                round.bets.insert(
                    player.id,
                    LiveBet {
                        id: None,
                        idem: idem.clone(),
                        username: player.username.clone(),
                        stake: amount.0,
                        auto_cashout_x100,
                        state: BetState::Placing,
                    },
                );
                let request = RoundBetRequest {
                    round: round.id,
                    idem,
                    amount,
                    auto_cashout_x100,
                    segment: None,
                };
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
            Command::HoldDone {
                player,
                result,
                reply,
            } => {
                round.in_flight -= 1;
                match result {
                    Ok(receipt) => {
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
                        let _ = reply.send(Ok(BetAck {
                            round: round.id,
                            balance: receipt.balance,
                        }));
                    }
                    Err(error) => {
                        if let Some(bet) = round.bets.remove(&player) {
                            round.staked -= bet.stake;
                        }
                        let _ = reply.send(Err(error.into()));
                    }
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

    fn auto_cash_outs(&mut self, round: &mut Round, multiplier_x100: u64) {
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
    fn enforce_bankroll(&mut self, round: &mut Round, multiplier_x100: u64) {
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

    fn mark_cashed_out(&mut self, round: &mut Round, player: PlayerId, multiplier_x100: u64) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bankroll_rule_triggers_when_exposure_reaches_the_payout_limit() {
        let limit = CRASH_ROUND_PAYOUT_CENTS_MAX.0;
        // 100,000.00 staked: at 4.99x the exposure is 499,000.00, at 5.00x it is 500,000.00.
        let stakes = [5_000_000, 5_000_000];
        assert!(!bankroll_reached(0, &stakes, 499));
        assert!(bankroll_reached(0, &stakes, 500));
        // What was already paid counts too.
        assert!(bankroll_reached(limit - 100, &[100], 100));
        assert!(!bankroll_reached(limit - 101, &[100], 100));
        // Nobody left in: nothing to force.
        assert!(!bankroll_reached(limit, &[], 10_000));
    }
}
