//! The round driver: one task per round game runs the lifecycle every round game shares, and the
//! game supplies only what differs through [`RoundGame`].
//!
//! ```text
//! open (ledger: round row, betting) -> betting window (holds answered before it closes)
//!   -> running (ledger) -> play (the game's wake-ups: crash ticks and cash-outs; none for the wheel)
//!   -> end: early settlements in flight finish, every open bet settles with the round's end
//!      in one ledger transaction, the outcome is revealed -> pause -> next round
//! ```
//!
//! The task owns the round; nothing about it is shared. Ledger calls (holds, early
//! settlements, retry look-ups) are futures the task's own select loop polls, so it keeps serving
//! commands and wake-ups while the ledger commits.

use super::book::{self, BetCommand, BookBet};
use super::chain::{self, Chain};
use super::{CashOutAck, RoundBetAck, RoundError, RoundsError};
use crate::hub::{Hub, JoinTarget, Outbox};
use crate::ledger::rounds::{BetOutcome, Payout, RoundEnd, Settlement};
use crate::ledger::{Ledger, LedgerError};
use crate::limits::{ROUND_QUEUE_COMMANDS_MAX, ROUND_SETTLE_ATTEMPTS_MAX};
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use protocol::chain::ChainHash;
use protocol::wire::PlayerView;
use protocol::{Cents, Game, PlayerId, ServerMsg};
use sqlx::AnyPool;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Where an answer to a command goes.
pub type Reply<T> = oneshot::Sender<Result<T, RoundError>>;
/// Where an answer to a command comes from.
pub type Answer<T> = oneshot::Receiver<Result<T, RoundError>>;

/// What a round game supplies to the driver: everything that differs between round games.
pub trait RoundGame: Sized + Send + 'static {
    /// The game.
    const GAME: Game;
    /// The topic of the game's events.
    const TOPIC: &'static str;
    /// What a bet chooses beyond its stake (crash: an auto cash-out; wheel: a segment); it
    /// crosses nodes as JSON.
    type Choice: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static;
    /// The game's own commands (crash: cash out).
    type Command: Send + 'static;

    /// Total stakes one round accepts.
    const STAKE_LIMIT: Cents;

    /// The game's timing (and, for tests, its first chain).
    fn timing(&self) -> RoundTiming;
    /// Checks a bet's choice (after the window, the player and the stake were checked).
    fn check_choice(&self, choice: &Self::Choice) -> Result<(), RoundError>;
    /// The choice as the ledger stores and compares it.
    fn choice_text(choice: &Self::Choice) -> String;
    /// The round's outcome from its chain hash (crash point x100, wheel slot).
    fn outcome(salt: &str, hash: &ChainHash) -> u64;
    /// A phase began (betting, running): tell everyone.
    fn announce(&self, round: &Round<Self>);
    /// A bet was placed or settled early: tell everyone.
    fn publish_bet(&self, round: &Round<Self>, bet: &BookBet<Self::Choice>);
    /// The game as it stands, for a connection that joins (topic, seq and time from the hub).
    fn state(&self, round: &Round<Self>, topic: String, seq: u64, at_ms: i64) -> ServerMsg;
    /// While the round runs: when the game next needs to act, or `None` when play is over.
    fn next_wake(&self, round: &Round<Self>) -> Option<Instant>;
    /// Acts at a wake-up (crash: a tick, due auto cash-outs, the bankroll rule).
    fn wake(&mut self, round: &Round<Self>, now: Instant, plays: &mut Plays);
    /// Handles one of the game's own commands.
    fn command(&mut self, round: &Round<Self>, command: Self::Command, plays: &mut Plays);
    /// The game's own command for a player's request that came from another node, received
    /// at `received` (crash: a cash-out), with where its answer comes; `None` when the game has
    /// no such command.
    fn remote_command(
        player: PlayerId,
        received: Instant,
    ) -> Option<(Self::Command, Answer<CashOutAck>)>;
    /// How an open bet settles at the round's end.
    fn settle_at_end(&self, round: &Round<Self>, bet: &BookBet<Self::Choice>) -> BetOutcome;
    /// The round ended and settled (`payouts`: what its end paid); reveal it, keep history.
    fn ended(&mut self, round: &Round<Self>, payouts: &[Payout]);
}

/// When a round game's rounds happen.
#[derive(Debug, Clone, Copy)]
pub struct RoundTiming {
    /// Length of the betting window.
    pub betting_ms: u64,
    /// Pause after a round ends before the next opens (crash: intermission; wheel: the spin).
    pub pause_ms: u64,
    /// Seed and length of the game's first chain when outcomes must be known in advance
    /// (tests); `None` draws a secret random seed, as production must.
    pub first_chain: Option<(ChainHash, usize)>,
}

/// Bets a game wants paid before the round ends, at the given multipliers.
pub struct EarlyPay {
    players: Vec<(PlayerId, u64)>,
    reply: Option<(PlayerId, Reply<CashOutAck>)>,
}

/// What a game asks the driver to do after a wake-up or a command.
#[derive(Default)]
pub struct Plays {
    early: Vec<EarlyPay>,
}

impl Plays {
    /// Pays these players' open bets now at their multipliers (hundredths); `reply` gets the
    /// requesting player's payout once it is durable.
    pub fn pay_early(
        &mut self,
        players: Vec<(PlayerId, u64)>,
        reply: Option<(PlayerId, Reply<CashOutAck>)>,
    ) {
        self.early.push(EarlyPay { players, reply });
    }
}

mod bets;
mod round;

pub use round::{Phase, Round};

use bets::Done;

enum Command<G: RoundGame> {
    Join(JoinTarget),
    Bet(BetCommand<G::Choice>),
    Game(G::Command),
}

/// Handle to a round game's task. Cheap to clone.
pub struct RoundHandle<G: RoundGame> {
    commands: mpsc::Sender<Command<G>>,
}

impl<G: RoundGame> Clone for RoundHandle<G> {
    fn clone(&self) -> Self {
        RoundHandle {
            commands: self.commands.clone(),
        }
    }
}

impl<G: RoundGame> RoundHandle<G> {
    /// Starts the game's task on its stored chain (or a new one).
    pub async fn start(
        pool: AnyPool,
        ledger: Ledger,
        hub: Hub,
        game: G,
    ) -> Result<RoundHandle<G>, RoundsError> {
        Ok(RoundHandle::start_task(pool, ledger, hub, game).await?.0)
    }

    /// Starts the game's task and returns it too (a leased driver stops it when the lease is
    /// lost).
    pub async fn start_task(
        pool: AnyPool,
        ledger: Ledger,
        hub: Hub,
        game: G,
    ) -> Result<(RoundHandle<G>, tokio::task::JoinHandle<()>), RoundsError> {
        let first_chain = game.timing().first_chain;
        let (chain, next_number) = chain::resume_chain(&pool, G::GAME, first_chain).await?;
        let (commands, queue) = mpsc::channel(ROUND_QUEUE_COMMANDS_MAX);
        let driver = Driver {
            game,
            pool,
            ledger,
            hub,
            chain,
            next_number,
            queue,
            in_flight: FuturesUnordered::new(),
            lookups: FuturesUnordered::new(),
        };
        let task = tokio::spawn(driver.run());
        Ok((RoundHandle { commands }, task))
    }

    /// Sends the game's state to a connection and subscribes it to the game's events.
    pub async fn join(&self, outbox: Outbox) {
        let _ = self
            .commands
            .send(Command::Join(JoinTarget::Local(outbox)))
            .await;
    }

    /// Sends the game's state to a connection of another node (subscribed there already).
    pub async fn join_remote(&self, node: u64, connection: u64) {
        let target = JoinTarget::Remote { node, connection };
        let _ = self.commands.send(Command::Join(target)).await;
    }

    /// Places a bet in the current round's betting window (or answers a retry).
    pub async fn bet(
        &self,
        player: PlayerView,
        idem: String,
        amount: Cents,
        choice: G::Choice,
    ) -> Result<RoundBetAck, RoundError> {
        let (reply, answer) = oneshot::channel();
        let command = BetCommand {
            player,
            idem,
            amount,
            choice,
            reply,
        };
        self.send(Command::Bet(command)).await?;
        answer.await.map_err(|_| RoundError::Unavailable)?
    }

    /// Sends one of the game's own commands.
    pub async fn command(&self, command: G::Command) -> Result<(), RoundError> {
        self.send(Command::Game(command)).await
    }

    async fn send(&self, command: Command<G>) -> Result<(), RoundError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| RoundError::Unavailable)
    }
}

struct Driver<G: RoundGame> {
    game: G,
    pool: AnyPool,
    ledger: Ledger,
    hub: Hub,
    chain: Chain,
    next_number: i64,
    queue: mpsc::Receiver<Command<G>>,
    /// Holds and early settlements: betting closes, and a round ends, only once they are answered.
    in_flight: FuturesUnordered<BoxFuture<'static, Done>>,
    /// Look-ups answering refused bets from the ledger's record: polled, never waited for.
    lookups: FuturesUnordered<BoxFuture<'static, Done>>,
}

/// How a round's final settlement went.
enum EndSettlement {
    /// Committed: what each bet paid.
    Settled(Vec<Payout>),
    /// It could not be committed: the round is left to start-up recovery, and not revealed.
    Abandoned,
    /// The ledger is gone: the game stops.
    Stopped,
}

/// What one turn of the select loop did.
#[derive(PartialEq, Eq)]
enum Step {
    Woke,
    Served,
    Closed,
}

impl<G: RoundGame> Driver<G> {
    async fn run(mut self) {
        while let Some(mut round) = self.open_round().await {
            self.game.announce(&round);
            let closes = round.betting_ends;
            if !self.serve_until(&mut round, closes, true).await
                || !self.start_running(&mut round).await
            {
                return;
            }
            self.game.announce(&round);
            if !self.play(&mut round).await || !self.finish(&mut round).await {
                return;
            }
            let next = Instant::now() + Duration::from_millis(self.game.timing().pause_ms);
            if !self.serve_until(&mut round, next, false).await {
                return;
            }
        }
    }

    /// Opens the chain's next round (a new chain when this one is used up).
    async fn open_round(&mut self) -> Option<Round<G>> {
        loop {
            if self.next_number as usize > self.chain.hashes.len() {
                match chain::create_chain(&self.pool, G::GAME, chain::CHAIN_ROUNDS).await {
                    Ok(chain) => (self.chain, self.next_number) = (chain, 1),
                    Err(error) => {
                        tracing::error!(%error, game = G::GAME.as_str(), "cannot create a new chain; the game stops");
                        return None;
                    }
                }
            }
            let number = self.next_number;
            match self.ledger.open_round(G::GAME, self.chain.id, number).await {
                Ok(id) => {
                    self.next_number += 1;
                    let (hash, previous_hash) = self.chain.round(number);
                    let betting = Duration::from_millis(self.game.timing().betting_ms);
                    let opened_at = Instant::now();
                    return Some(Round {
                        id,
                        number,
                        hash,
                        previous_hash,
                        outcome: G::outcome(&self.chain.salt, &hash),
                        phase: Phase::Betting,
                        opened_at,
                        betting_ends: opened_at + betting,
                        running_at: None,
                        ended_at: None,
                        book: book::Book::default(),
                    });
                }
                Err(LedgerError::Unavailable) => return None,
                Err(error) => {
                    tracing::error!(%error, game = G::GAME.as_str(), "opening a round failed; retrying");
                    tokio::time::sleep(Duration::from_millis(self.game.timing().pause_ms)).await;
                }
            }
        }
    }

    async fn start_running(&mut self, round: &mut Round<G>) -> bool {
        loop {
            match self.ledger.start_running(round.id).await {
                Ok(()) => break,
                Err(LedgerError::Unavailable) => return false,
                Err(error) => {
                    tracing::error!(%error, round = round.id.0, "starting a round failed; retrying");
                    tokio::time::sleep(Duration::from_millis(self.game.timing().pause_ms)).await;
                }
            }
        }
        round.phase = Phase::Running;
        round.running_at = Some(Instant::now());
        true
    }

    /// One turn: a wake-up at `wake`, a ledger answer, or a command.
    async fn step(&mut self, round: &mut Round<G>, wake: Option<Instant>) -> Step {
        let sleep = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now));
        tokio::select! {
            biased;
            _ = sleep, if wake.is_some() => Step::Woke,
            Some(done) = self.in_flight.next(), if !self.in_flight.is_empty() => {
                self.done(round, done);
                Step::Served
            }
            Some(done) = self.lookups.next(), if !self.lookups.is_empty() => {
                self.done(round, done);
                Step::Served
            }
            command = self.queue.recv() => match command {
                Some(command) => {
                    self.handle(round, command);
                    Step::Served
                }
                None => Step::Closed,
            },
        }
    }

    /// Serves until `until`; with `holds`, also until every ledger call in flight is answered
    /// (betting closes only once every hold was answered).
    async fn serve_until(&mut self, round: &mut Round<G>, until: Instant, holds: bool) -> bool {
        loop {
            let passed = Instant::now() >= until;
            if passed && (!holds || self.in_flight.is_empty()) {
                return true;
            }
            if self.step(round, (!passed).then_some(until)).await == Step::Closed {
                return false;
            }
        }
    }

    /// Runs the game's wake-ups until it says play is over.
    async fn play(&mut self, round: &mut Round<G>) -> bool {
        while let Some(wake) = self.game.next_wake(round) {
            match self.step(round, Some(wake)).await {
                Step::Woke => {
                    let mut plays = Plays::default();
                    self.game.wake(round, Instant::now(), &mut plays);
                    self.start(round, plays);
                }
                Step::Served => {}
                Step::Closed => return false,
            }
        }
        true
    }

    /// Ends the round: early settlements in flight finish, and commands already received are
    /// handled (a cash-out read before the crash counts); then every open bet settles with the
    /// round's end in one transaction, and only once it committed is the outcome revealed.
    async fn finish(&mut self, round: &mut Round<G>) -> bool {
        if !self.drain(round).await {
            return false;
        }
        for _ in 0..self.queue.len() {
            let Ok(command) = self.queue.try_recv() else {
                break;
            };
            self.handle(round, command);
        }
        if !self.drain(round).await {
            return false;
        }
        let settlements: Vec<Settlement> = round
            .book
            .open()
            .filter_map(|(_, bet)| {
                let outcome = self.game.settle_at_end(round, bet);
                bet.id.map(|bet| Settlement { bet, outcome })
            })
            .collect();
        match self.settle_end(round, settlements).await {
            EndSettlement::Settled(payouts) => {
                round.book.settled(&payouts);
                round.phase = Phase::Ended;
                round.ended_at = Some(Instant::now());
                self.game.ended(round, &payouts);
                true
            }
            EndSettlement::Abandoned => true,
            EndSettlement::Stopped => false,
        }
    }

    /// Serves until every hold and early settlement in flight is answered.
    async fn drain(&mut self, round: &mut Round<G>) -> bool {
        while !self.in_flight.is_empty() {
            if self.step(round, None).await == Step::Closed {
                return false;
            }
        }
        true
    }

    /// The final settlement, retried on storage errors (serving commands meanwhile) up to
    /// [`ROUND_SETTLE_ATTEMPTS_MAX`] times.
    async fn settle_end(
        &mut self,
        round: &mut Round<G>,
        settlements: Vec<Settlement>,
    ) -> EndSettlement {
        for attempt in 1..=ROUND_SETTLE_ATTEMPTS_MAX {
            let end = RoundEnd::Ended {
                hash: hex::encode(round.hash),
                outcome: round.outcome as i64,
            };
            match self
                .ledger
                .settle(round.id, settlements.clone(), Some(end))
                .await
            {
                Ok(payouts) => return EndSettlement::Settled(payouts),
                Err(LedgerError::Unavailable) => return EndSettlement::Stopped,
                Err(LedgerError::Storage) if attempt < ROUND_SETTLE_ATTEMPTS_MAX => {
                    tracing::error!(
                        round = round.id.0,
                        attempt,
                        "settling a round failed; retrying"
                    );
                    let retry_at =
                        Instant::now() + Duration::from_millis(self.game.timing().pause_ms);
                    if !self.serve_until(round, retry_at, false).await {
                        return EndSettlement::Stopped;
                    }
                }
                Err(error) => {
                    tracing::error!(%error, round = round.id.0, "settling a round failed");
                    break;
                }
            }
        }
        tracing::error!(
            round = round.id.0,
            "the round is left unsettled and unrevealed; start-up recovery will void its open bets"
        );
        EndSettlement::Abandoned
    }
}
