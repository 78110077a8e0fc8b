//! Leaderboards: profit and amount wagered per player, today, this week and all time, in each
//! game and overall (`protocol::leaderboard` names them), kept in memory and derived from the
//! ledger.
//!
//! At start-up a node reads every settled bet from the database and builds its boards. From
//! then on each ledger writer hands the bets it settles, batch by batch, to its node's boards
//! ([`Sink`]) and, through the bus, to every other node's: so every node holds the same boards
//! and sends its own viewers their changes (topics `leaderboard:<scope>`, which do not cross
//! nodes). A node's batches are numbered; a node that sees a gap in another's numbers (a lost
//! message on the bus), or whose own queue overflowed, rebuilds its boards from the ledger.
//!
//! A rebuild cannot tell which of the bets other nodes settle while it reads the ledger the read
//! saw: such a bet may count twice on this node until its next rebuild. The boards are a view of
//! the ledger; no money depends on them.
//!
//! Every [`LEADERBOARD_PUBLISH_MS`] a node rolls periods over (at 00:00 UTC, and on Mondays for
//! weeks, by its [`Clock`], which tests set) and sends each watched scope the rows of its boards'
//! tops that changed since it last sent them.

mod board;
mod rebuild;

pub use board::{Board, Table, Totals};

use crate::bus::Bus;
use crate::hub::{Hub, Outbox};
use crate::limits::{LEADERBOARD_PUBLISH_MS, LEADERBOARD_QUEUE_BATCHES_MAX};
use protocol::leaderboard::{
    self as wire, BoardChange, BoardKey, Metric, Period, Placing, Ranked, Scope, LEADERBOARD_TOP,
};
use protocol::{Cents, PlayerId, ServerMsg};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// The time the boards go by (Unix ms): the system's, or one a test sets.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// A clock that reads `now`.
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// The time now.
    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::from_fn(crate::store::now_ms)
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now_ms())
    }
}

/// A bet that was played out (won or lost; a voided bet is not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settled {
    /// Whose.
    pub player: PlayerId,
    /// Their username.
    pub username: String,
    /// Its game.
    pub scope: Scope,
    /// Its stake.
    pub stake: Cents,
    /// What it paid (0 for a loss).
    pub payout: Cents,
}

/// One node's batch of settled bets as it crosses the bus, numbered per node. Sent borrowed
/// (the writer keeps its batch for its own boards), received owned.
#[derive(Serialize, Deserialize)]
struct Notice<'a> {
    node: u64,
    seq: u64,
    bets: std::borrow::Cow<'a, [Settled]>,
}

/// The kind of the bus's notices of settled bets.
const NOTICE_KIND: &str = "settled";

/// Where a ledger writer hands the bets it settled (after they are committed).
#[derive(Clone)]
pub struct Sink {
    local: mpsc::Sender<Vec<Settled>>,
    bus: Option<Bus>,
    seq: Arc<AtomicU64>,
    stale: Arc<AtomicBool>,
}

impl Sink {
    /// A sink nobody reads (tests of the writer's other events).
    #[cfg(test)]
    pub(crate) fn unheard() -> Sink {
        Sink {
            local: mpsc::channel(1).0,
            bus: None,
            seq: Arc::default(),
            stale: Arc::default(),
        }
    }

    /// Hands one batch's settled bets to this node's boards and to every other node's.
    pub fn send(&self, bets: Vec<Settled>) {
        if bets.is_empty() {
            return;
        }
        if let Some(bus) = &self.bus {
            let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
            let notice = Notice {
                node: bus.node(),
                seq,
                bets: std::borrow::Cow::Borrowed(&bets),
            };
            let body = serde_json::to_vec(&notice).expect("settled bets serialise");
            if !bus.notify(NOTICE_KIND, body) {
                // The other nodes see the gap in the numbers and rebuild.
                tracing::warn!(
                    "the bus is not taking notices; other nodes will rebuild their leaderboards"
                );
            }
        }
        if self.local.try_send(bets).is_err() {
            metrics::counter!("zerolag_leaderboard_dropped_total").increment(1);
            self.stale.store(true, Ordering::Relaxed);
        }
    }
}

/// The leaderboards, shared by cheap clones.
#[derive(Clone)]
pub struct Leaderboards {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    hub: Hub,
    pool: AnyPool,
    clock: Clock,
    stale: Arc<AtomicBool>,
}

impl Leaderboards {
    /// Builds the boards from the ledger in `pool` and keeps them up to date from the returned
    /// [`Sink`] and, with a bus, from the other nodes' sinks.
    pub async fn start(
        pool: AnyPool,
        hub: Hub,
        bus: Option<Bus>,
        clock: Clock,
    ) -> Result<(Leaderboards, Sink), sqlx::Error> {
        let (local, local_queue) = mpsc::channel(LEADERBOARD_QUEUE_BATCHES_MAX);
        let (remote, remote_queue) = mpsc::channel(LEADERBOARD_QUEUE_BATCHES_MAX);
        // Other nodes' bets are heard from before the ledger is read, so none falls between.
        if let Some(bus) = &bus {
            bus.listen(NOTICE_KIND, remote.clone());
        }
        let state = rebuild::from_ledger(&pool, clock.now_ms()).await?;
        let stale = Arc::new(AtomicBool::new(false));
        let inner = Arc::new(Inner {
            state: Mutex::new(state),
            hub,
            pool,
            clock,
            stale: stale.clone(),
        });
        let queues = Queues {
            local: local_queue,
            remote: remote_queue,
            _remote_open: remote,
        };
        tokio::spawn(run(Arc::downgrade(&inner), queues));
        let sink = Sink {
            local,
            bus,
            seq: Arc::default(),
            stale,
        };
        Ok((Leaderboards { inner }, sink))
    }

    /// One board now, with the viewer's own row when they are ranked on it.
    pub fn board(&self, key: BoardKey, viewer: Option<PlayerId>) -> wire::Board {
        let state = self.inner.state.lock().expect("leaderboard lock");
        state.board(key, viewer)
    }

    /// The player's row on a board, if they are ranked on it.
    pub fn rank(&self, key: BoardKey, player: PlayerId) -> Option<Ranked> {
        let state = self.inner.state.lock().expect("leaderboard lock");
        state.ranked(key, player)
    }

    /// Where the player ranks on the overall boards, every period and metric they are on.
    pub fn placings(&self, player: PlayerId) -> Vec<Placing> {
        let state = self.inner.state.lock().expect("leaderboard lock");
        keys()
            .filter(|key| key.scope == Scope::Overall)
            .filter_map(|key| {
                let (rank, _) = state.table(key)?.rank(player)?;
                Some(Placing { key, rank })
            })
            .collect()
    }

    /// Every player's stakes and profit together in a scope and period (the house's result
    /// is the opposite of their profit).
    pub fn totals(&self, scope: Scope, period: Period) -> Totals {
        let state = self.inner.state.lock().expect("leaderboard lock");
        let table = state.tables.get(&(scope, period));
        table.map(board::Table::sum).unwrap_or_default()
    }

    /// Sends a connection its scope's boards' tops as last sent, then their changes.
    pub fn watch(&self, scope: Scope, outbox: &Outbox) {
        let state = self.inner.state.lock().expect("leaderboard lock");
        let changes: Vec<BoardChange> = keys()
            .filter(|key| key.scope == scope)
            .map(|key| {
                let rows = state.sent.get(&key).cloned().unwrap_or_default();
                let len = rows.len() as u32;
                BoardChange { key, rows, len }
            })
            .collect();
        // Under the state lock: no change is published between this snapshot and the next.
        self.inner
            .hub
            .subscribe_with(&scope.topic(), outbox, |topic, seq, at_ms| {
                ServerMsg::Leaderboard {
                    topic,
                    seq,
                    at_ms,
                    changes,
                }
            });
    }
}

/// Every board's key.
pub fn keys() -> impl Iterator<Item = BoardKey> {
    Scope::ALL.into_iter().flat_map(|scope| {
        Period::ALL.into_iter().flat_map(move |period| {
            Metric::ALL.into_iter().map(move |metric| BoardKey {
                scope,
                period,
                metric,
            })
        })
    })
}

/// Every node's boards, the players' names, and what was last sent to viewers.
#[derive(Default)]
pub struct State {
    tables: HashMap<(Scope, Period), Table>,
    /// Where the current day and week started (Unix ms).
    starts: HashMap<Period, i64>,
    names: HashMap<PlayerId, String>,
    sent: HashMap<BoardKey, Vec<Ranked>>,
    /// The last batch number seen from each other node.
    seen: HashMap<u64, u64>,
    dirty: bool,
}

impl State {
    /// Empty boards whose periods hold `now_ms`.
    pub fn new(now_ms: i64) -> State {
        let mut state = State::default();
        state.roll(now_ms);
        state
    }

    /// Adds a player's settled bets in one game, in the periods `in_periods` says they fall in.
    pub fn add(&mut self, player: PlayerId, scope: Scope, in_periods: [(i64, i64); 3]) {
        for (period, (stake, profit)) in Period::ALL.into_iter().zip(in_periods) {
            if stake == 0 {
                continue;
            }
            for scope in [Scope::Overall, scope] {
                let table = self.tables.entry((scope, period)).or_default();
                table.add(player, stake, profit);
            }
        }
        self.dirty = true;
    }

    /// Adds bets settled now.
    pub fn apply(&mut self, bets: Vec<Settled>) {
        for bet in bets {
            let totals = (bet.stake.0, bet.payout.0 - bet.stake.0);
            self.add(bet.player, bet.scope, [totals; 3]);
            self.names.insert(bet.player, bet.username);
        }
    }

    /// Starts the day's and the week's boards over when `now_ms` is in a new period.
    pub fn roll(&mut self, now_ms: i64) {
        for period in [Period::Day, Period::Week] {
            let start = period.start_ms(now_ms).expect("days and weeks start");
            if self.starts.insert(period, start) != Some(start) {
                self.tables.retain(|(_, of), _| *of != period);
                self.dirty = true;
            }
        }
    }

    /// Remembers a player's name.
    pub fn name(&mut self, player: PlayerId, username: String) {
        self.names.insert(player, username);
    }

    fn row(&self, player: PlayerId, rank: u64, score: i64) -> Ranked {
        Ranked {
            rank,
            username: self.names.get(&player).cloned().unwrap_or_default(),
            score: Cents(score),
        }
    }

    fn table(&self, key: BoardKey) -> Option<&Board> {
        let table = self.tables.get(&(key.scope, key.period))?;
        Some(table.board(key.metric))
    }

    /// The player's row on a board.
    pub fn ranked(&self, key: BoardKey, player: PlayerId) -> Option<Ranked> {
        let (rank, score) = self.table(key)?.rank(player)?;
        Some(self.row(player, rank, score))
    }

    /// A board's top rows.
    pub fn top(&self, key: BoardKey) -> Vec<Ranked> {
        let Some(board) = self.table(key) else {
            return Vec::new();
        };
        (1..)
            .zip(board.top(LEADERBOARD_TOP))
            .map(|(rank, (player, score))| self.row(player, rank, score))
            .collect()
    }

    /// A board as a page shows it.
    pub fn board(&self, key: BoardKey, viewer: Option<PlayerId>) -> wire::Board {
        wire::Board {
            key,
            top: self.top(key),
            you: viewer.and_then(|player| self.ranked(key, player)),
            players: self.table(key).map_or(0, |board| board.len() as u64),
        }
    }

    /// The boards' changes since they were last sent, by scope; remembers them as sent.
    fn changes(&mut self) -> HashMap<Scope, Vec<BoardChange>> {
        let mut by_scope: HashMap<Scope, Vec<BoardChange>> = HashMap::new();
        if !std::mem::take(&mut self.dirty) {
            return by_scope;
        }
        for key in keys() {
            let now = self.top(key);
            let before = self.sent.get(&key).map(Vec::as_slice).unwrap_or_default();
            let rows: Vec<Ranked> = now
                .iter()
                .enumerate()
                .filter(|(at, row)| before.get(*at) != Some(row))
                .map(|(_, row)| row.clone())
                .collect();
            if rows.is_empty() && before.len() == now.len() {
                continue;
            }
            let len = now.len() as u32;
            by_scope
                .entry(key.scope)
                .or_default()
                .push(BoardChange { key, rows, len });
            self.sent.insert(key, now);
        }
        by_scope
    }

    /// Whether a notice numbered `seq` from `node` follows the last one seen from it.
    fn follows(&mut self, node: u64, seq: u64) -> bool {
        match self.seen.insert(node, seq) {
            Some(last) => seq == last + 1,
            None => true,
        }
    }
}

/// What the boards' task reads from.
struct Queues {
    local: mpsc::Receiver<Vec<Settled>>,
    remote: mpsc::Receiver<Vec<u8>>,
    /// Keeps the remote queue open without a bus.
    _remote_open: mpsc::Sender<Vec<u8>>,
}

/// Applies settled bets as they come; every [`LEADERBOARD_PUBLISH_MS`] rolls periods over,
/// rebuilds when bets were missed, and sends the changes.
async fn run(inner: Weak<Inner>, mut queues: Queues) {
    let mut every = tokio::time::interval(Duration::from_millis(LEADERBOARD_PUBLISH_MS));
    loop {
        tokio::select! {
            bets = queues.local.recv() => {
                let (Some(bets), Some(inner)) = (bets, inner.upgrade()) else { return };
                let mut state = inner.state.lock().expect("leaderboard lock");
                state.roll(inner.clock.now_ms());
                state.apply(bets);
            }
            Some(body) = queues.remote.recv() => {
                let Some(inner) = inner.upgrade() else { return };
                inner.receive(&body);
            }
            _ = every.tick() => {
                let Some(inner) = inner.upgrade() else { return };
                if inner.stale.swap(false, Ordering::Relaxed) {
                    inner.rebuild(&mut queues).await;
                }
                inner.publish();
            }
        }
    }
}

impl Inner {
    /// Another node's settled bets.
    fn receive(&self, body: &[u8]) {
        let Ok(notice) = serde_json::from_slice::<Notice>(body) else {
            return tracing::error!("unreadable settled bets on the bus");
        };
        let mut state = self.state.lock().expect("leaderboard lock");
        if !state.follows(notice.node, notice.seq) {
            tracing::warn!(
                node = notice.node,
                "settled bets of another node were missed; rebuilding the leaderboards"
            );
            self.stale.store(true, Ordering::Relaxed);
        }
        state.roll(self.clock.now_ms());
        state.apply(notice.bets.into_owned());
    }

    /// Rebuilds the boards from the ledger. What waits in the queues was committed before the
    /// ledger is read, so it is dropped: the rebuild counts it.
    async fn rebuild(&self, queues: &mut Queues) {
        while queues.local.try_recv().is_ok() {}
        while queues.remote.try_recv().is_ok() {}
        match rebuild::from_ledger(&self.pool, self.clock.now_ms()).await {
            Ok(mut fresh) => {
                let mut state = self.state.lock().expect("leaderboard lock");
                fresh.sent = std::mem::take(&mut state.sent);
                fresh.seen = std::mem::take(&mut state.seen);
                *state = fresh;
            }
            Err(error) => {
                tracing::error!(%error, "cannot rebuild the leaderboards; trying again");
                self.stale.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Rolls periods over and sends each scope's changes to its watchers.
    fn publish(&self) {
        let mut state = self.state.lock().expect("leaderboard lock");
        state.roll(self.clock.now_ms());
        for (scope, changes) in state.changes() {
            // Under the state lock, so a joining watcher's snapshot is never in between.
            self.hub
                .publish(&scope.topic(), |topic, seq, at_ms| ServerMsg::Leaderboard {
                    topic,
                    seq,
                    at_ms,
                    changes,
                });
        }
    }
}
