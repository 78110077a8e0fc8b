//! The single ledger writer: drains its queue into a batch, applies the batch to a working
//! copy, commits it in one transaction, then adopts the copy, answers and publishes.

use super::checkpoint::Checkpointer;
use super::command::{self, Op, Reply, Request};
use super::idempotency::{scoped_key, KeyKind, KnownKey, KnownReceipt, StoredReceipt};
use super::pg;
use super::results::{Adjustment, DiceReceipt, LedgerError, RoundBetReceipt};
use super::work::{
    self, ActiveSeed, Ids, NextIds, OpenBet, PlayerState, Work, HOUSE, IN_PLAY, TREASURY,
};
use crate::history::{dice_bet_view, DICE_BET_COLUMNS};
use crate::hub::Hub;
use crate::limits::{LEDGER_CACHE_PLAYERS_MAX, SQL_BIND_PARAMS_MAX};
use crate::store::{now_ms, Store, WriterConnection};
use protocol::ids::{AccountId, RoundBetId, RoundId, SeedId};
use protocol::wire::RoundBetStatus;
use protocol::{Cents, PlayerId};
use sqlx::{
    ColumnIndex, Decode, PgConnection, Postgres, QueryBuilder, Row, Sqlite, SqliteConnection, Type,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

mod reads;

/// The game of a stored round's `game` (the schema's CHECK admits only known games).
pub(in crate::ledger) fn round_game(name: &str) -> protocol::Game {
    protocol::Game::parse(name).expect("rounds.game holds a known game")
}

pub(super) use reads::{known_keys_pg, player_state, ID_TABLES, PLAYER_STATE_SQL};
use reads::{
    known_keys_sqlite, load_players_sqlite, next_ids_sqlite, open_bets_pg, open_bets_sqlite,
    system_balances_sqlite,
};
use tokio::sync::{mpsc, oneshot};

/// How long an idle writer on PostgreSQL waits before looking again (it has nothing to do
/// between batches; SQLite's wakes for WAL checkpoints).
const IDLE_WAIT_POSTGRES: Duration = Duration::from_secs(60);

pub struct Writer {
    db: Db,
    hub: Hub,
    /// SQLite: every player's state, which only this writer changes. PostgreSQL: unused (each
    /// batch reads its players afresh under a lock: other nodes move their balances too).
    players: HashMap<PlayerId, PlayerState>,
    /// SQLite: the system accounts' balances. PostgreSQL: read by each batch.
    system: HashMap<AccountId, i64>,
    next: NextIds,
    /// Round bets whose stakes are held, by bet.
    open_bets: HashMap<RoundBetId, OpenBet>,
    /// Whether batches write their events into the export outbox.
    export: bool,
    /// The public dice feed: what it may still carry, and its latest bets.
    feed: work::Feed,
}

/// The writer's database connection (one per process: its size does not matter).
#[allow(clippy::large_enum_variant)]
enum Db {
    Sqlite {
        conn: SqliteConnection,
        checkpoints: Checkpointer,
    },
    /// `None` after the connection broke; the next batch connects again.
    Postgres {
        conn: Option<PgConnection>,
        store: Store,
        sequences: pg::Sequences,
    },
}

/// A batch's commands and where their answers go.
struct Batch {
    commands: Vec<(PlayerId, Op)>,
    answers: Vec<Answer>,
}

/// What applying a batch to a working copy produced.
pub(super) struct Applied {
    pub players: HashMap<PlayerId, PlayerState>,
    pub system: HashMap<AccountId, i64>,
    pub next: NextIds,
    pub rows: super::rows::Rows,
    pub events: Vec<work::Event>,
    pub opened_bets: HashMap<RoundBetId, OpenBet>,
    pub settled_bets: HashSet<RoundBetId>,
    pub results: Vec<Result<Reply, LedgerError>>,
}

/// The state a batch starts from.
pub(super) struct Start<'a> {
    pub players: &'a HashMap<PlayerId, PlayerState>,
    pub system: HashMap<AccountId, i64>,
    pub next: NextIds,
    pub known: HashMap<String, KnownKey>,
    pub open_bets: &'a HashMap<RoundBetId, OpenBet>,
    pub unavailable: &'a HashSet<PlayerId>,
    /// Whether the batch writes its events into the export outbox.
    pub export: bool,
}

impl Writer {
    pub async fn open(
        store: &Store,
        hub: Hub,
        published: super::Published,
        export: bool,
    ) -> Result<Writer, sqlx::Error> {
        let (db, system, next, open_bets) = match store.writer_connection().await? {
            WriterConnection::Sqlite(mut conn) => {
                let system = system_balances_sqlite(&mut conn).await?;
                let next = next_ids_sqlite(&mut conn).await?;
                let open_bets = open_bets_sqlite(&mut conn).await?;
                let checkpoints = Checkpointer::new(store.pool().clone());
                (Db::Sqlite { conn, checkpoints }, system, next, open_bets)
            }
            WriterConnection::Postgres(mut conn) => {
                let open_bets = open_bets_pg(&mut conn).await?;
                let sequences = pg::Sequences::load(&mut conn).await?;
                let db = Db::Postgres {
                    conn: Some(conn),
                    store: store.clone(),
                    sequences,
                };
                (db, HashMap::new(), NextIds::default(), open_bets)
            }
        };
        Ok(Writer {
            db,
            hub,
            players: HashMap::new(),
            system,
            next,
            open_bets,
            export,
            feed: work::Feed {
                budget: work::feed_budget(),
                recent: published.recent,
                settled: published.settled,
                reporter: published.reporter,
                risk: published.risk,
            },
        })
    }

    pub async fn run(mut self, mut queue: mpsc::Receiver<Request>, batch_max: usize) {
        let mut batch = Vec::with_capacity(batch_max);
        loop {
            // Cancel-safe: a timeout loses no command.
            let wait = match &self.db {
                Db::Sqlite { checkpoints, .. } => checkpoints.idle_wait(),
                Db::Postgres { .. } => IDLE_WAIT_POSTGRES,
            };
            match tokio::time::timeout(wait, queue.recv_many(&mut batch, batch_max)).await {
                Ok(0) => break,
                Ok(_) => self.process(std::mem::take(&mut batch)).await,
                // Idle: checkpoints go on.
                Err(_) => {}
            }
            if let Db::Sqlite { conn, checkpoints } = &mut self.db {
                checkpoints.tick(conn).await;
            }
        }
        tracing::info!("ledger writer stopped");
    }

    /// Applies a batch to a working copy, commits its rows in one transaction, and only then
    /// adopts the copy, answers and publishes.
    async fn process(&mut self, requests: Vec<Request>) {
        if let Db::Postgres {
            conn: Some(conn), ..
        } = &mut self.db
        {
            // Another node may have driven these rounds (before a takeover): their open bets
            // are read from the database, not remembered.
            pg::refresh_open_bets(conn, &mut self.open_bets, &requests).await;
        }
        let touched = self.touched(&requests);
        let keys = batch_keys(&requests);
        let mut batch = Batch {
            commands: Vec::with_capacity(requests.len()),
            answers: Vec::with_capacity(requests.len()),
        };
        for Request { player, op, reply } in requests {
            batch.commands.push((player, op));
            batch.answers.push(reply);
        }
        let started = std::time::Instant::now();
        let outcome = match &self.db {
            Db::Sqlite { .. } => self.process_sqlite(&mut batch, &touched, &keys).await,
            Db::Postgres { .. } => self.process_postgres(&mut batch, &touched, &keys).await,
        };
        let Some((applied, players)) = outcome else {
            for answer in batch.answers {
                let _ = answer.send(Err(LedgerError::Storage));
            }
            return;
        };
        let elapsed = started.elapsed();
        tracing::debug!(
            commands = batch.answers.len(),
            elapsed_us = elapsed.as_micros() as u64,
            "ledger batch committed"
        );
        metrics::histogram!("zerolag_ledger_batch_commands").record(batch.answers.len() as f64);
        metrics::histogram!("zerolag_ledger_batch_seconds").record(elapsed.as_secs_f64());
        // Durable now: adopt the working copy, answer, publish.
        let Applied {
            players: changed,
            system,
            next,
            events,
            opened_bets,
            settled_bets,
            results,
            ..
        } = applied;
        self.next = next;
        self.open_bets.extend(opened_bets);
        self.open_bets.retain(|bet, _| !settled_bets.contains(bet));
        for (answer, result) in batch.answers.into_iter().zip(results) {
            let _ = answer.send(result);
        }
        match players {
            // SQLite: the cache is the truth.
            None => {
                self.players.extend(changed);
                self.system = system;
                work::publish(&self.hub, events, &self.players, &self.feed);
            }
            // PostgreSQL: what this batch read and changed, for its events only.
            Some(mut players) => {
                players.extend(changed);
                work::publish(&self.hub, events, &players, &self.feed);
            }
        }
    }

    /// SQLite: players from the cache (loaded once), one multi-statement transaction.
    async fn process_sqlite(
        &mut self,
        batch: &mut Batch,
        touched: &[PlayerId],
        keys: &HashMap<String, KeyKind>,
    ) -> Option<(Applied, Option<HashMap<PlayerId, PlayerState>>)> {
        if self.players.len() > LEDGER_CACHE_PLAYERS_MAX {
            self.players.clear();
        }
        let Db::Sqlite { conn, .. } = &mut self.db else {
            unreachable!("called for SQLite")
        };
        let unavailable = load_players_sqlite(conn, &mut self.players, touched).await;
        let known = match known_keys_sqlite(conn, keys).await {
            Ok(known) => known,
            Err(error) => {
                tracing::error!(%error, "reading idempotency keys failed");
                return None;
            }
        };
        let start = Start {
            players: &self.players,
            system: self.system.clone(),
            next: self.next.clone(),
            known,
            open_bets: &self.open_bets,
            unavailable: &unavailable,
            export: self.export,
        };
        let applied = apply(start, std::mem::take(&mut batch.commands));
        if !applied.rows.is_empty() {
            if let Err(error) = applied.rows.commit_sqlite(conn).await {
                tracing::error!(%error, commands = batch.answers.len(), "ledger batch failed; nothing was written");
                return None;
            }
        }
        Some((applied, None))
    }

    /// PostgreSQL: see [`super::pg`].
    async fn process_postgres(
        &mut self,
        batch: &mut Batch,
        touched: &[PlayerId],
        keys: &HashMap<String, KeyKind>,
    ) -> Option<(Applied, Option<HashMap<PlayerId, PlayerState>>)> {
        let Db::Postgres {
            conn,
            store,
            sequences,
        } = &mut self.db
        else {
            unreachable!("called for PostgreSQL")
        };
        let commands = std::mem::take(&mut batch.commands);
        let context = pg::Context {
            touched,
            keys,
            open_bets: &self.open_bets,
            export: self.export,
        };
        let (applied, players) =
            pg::process(conn, store, sequences, &mut self.next, &context, commands).await?;
        Some((applied, Some(players)))
    }

    /// The players whose balances a batch may move.
    fn touched(&self, batch: &[Request]) -> Vec<PlayerId> {
        let mut touched = Vec::with_capacity(batch.len());
        for request in batch {
            let Op::Settle {
                round,
                settlements,
                end,
            } = &request.op
            else {
                touched.push(request.player);
                continue;
            };
            let listed = settlements
                .iter()
                .filter_map(|s| self.open_bets.get(&s.bet));
            touched.extend(listed.map(|b| b.player));
            // Ending a round settles every bet still open in it.
            if end.is_some() {
                let open = self.open_bets.values().filter(|b| b.round == *round);
                touched.extend(open.map(|b| b.player));
            }
        }
        touched
    }
}

/// Applies a batch's commands, in order, to a working copy of `start`.
pub(super) fn apply(start: Start<'_>, commands: Vec<(PlayerId, Op)>) -> Applied {
    let export = start.export;
    let mut work = Work::new(
        start.players,
        start.system,
        start.next,
        start.known,
        start.open_bets,
        now_ms(),
    );
    let results = commands
        .into_iter()
        .map(|(player, op)| {
            if start.unavailable.contains(&player) {
                Err(LedgerError::Storage)
            } else {
                command::apply(&mut work, player, op)
            }
        })
        .collect();
    let Work {
        players,
        system,
        next,
        mut rows,
        events,
        opened_bets,
        settled_bets,
        ..
    } = work;
    if export {
        rows.fill_outbox();
    }
    Applied {
        players,
        system,
        next,
        rows,
        events,
        opened_bets,
        settled_bets,
        results,
    }
}

/// Where a command's answer goes.
type Answer = oneshot::Sender<Result<Reply, LedgerError>>;

/// The idempotency keys a batch's commands carry, with their kinds.
fn batch_keys(batch: &[Request]) -> HashMap<String, KeyKind> {
    batch
        .iter()
        .filter_map(|r| match &r.op {
            Op::Dice { idem, .. } => {
                Some((scoped_key(r.player, KeyKind::Dice, idem), KeyKind::Dice))
            }
            Op::Adjust { idem, .. } => {
                Some((scoped_key(r.player, KeyKind::Adjust, idem), KeyKind::Adjust))
            }
            Op::RoundBet(bet) | Op::FindRoundBet(bet) => Some((
                scoped_key(r.player, KeyKind::Round, &bet.idem),
                KeyKind::Round,
            )),
            _ => None,
        })
        .collect()
}
