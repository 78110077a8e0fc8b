//! The single ledger writer: drains its queue into a batch, applies the batch to a working
//! copy, commits it in one transaction, then adopts the copy, answers and publishes.

use super::checkpoint::Checkpointer;
use super::command::{self, Op, Reply, Request};
use super::idempotency::{scoped_key, KeyKind, KnownKey, KnownReceipt, StoredReceipt};
use super::pg;
use super::results::{DiceReceipt, LedgerError, RoundBetReceipt};
use super::work::{
    self, ActiveSeed, Ids, NextIds, OpenBet, PlayerState, Work, HOUSE, IN_PLAY, TREASURY,
};
use crate::history::{dice_bet_view, DICE_BET_COLUMNS};
use crate::hub::Hub;
use crate::limits::{LEDGER_CACHE_PLAYERS_MAX, SQL_BIND_PARAMS_MAX};
use crate::recent::RecentFeed;
use crate::store::{now_ms, Store, WriterConnection};
use protocol::ids::{AccountId, RoundBetId, RoundId, SeedId};
use protocol::wire::RoundBetStatus;
use protocol::{Cents, PlayerId};
use sqlx::{
    ColumnIndex, Decode, PgConnection, Postgres, QueryBuilder, Row, Sqlite, SqliteConnection, Type,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
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
}

impl Writer {
    pub async fn open(store: &Store, hub: Hub, recent: RecentFeed) -> Result<Writer, sqlx::Error> {
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
            feed: work::Feed {
                budget: work::feed_budget(),
                recent,
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
        tracing::debug!(
            commands = batch.answers.len(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "ledger batch committed"
        );
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
        rows,
        events,
        opened_bets,
        settled_bets,
        ..
    } = work;
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

/// The system accounts' balances.
async fn system_balances_sqlite(
    conn: &mut SqliteConnection,
) -> Result<HashMap<AccountId, i64>, sqlx::Error> {
    let mut system = HashMap::new();
    for account in [TREASURY, HOUSE, IN_PLAY] {
        let balance: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
            .bind(account.0)
            .fetch_one(&mut *conn)
            .await?;
        system.insert(account, balance);
    }
    Ok(system)
}

/// SQLite: every id above the highest stored (this writer alone inserts these rows).
async fn next_ids_sqlite(conn: &mut SqliteConnection) -> Result<NextIds, sqlx::Error> {
    let mut next = NextIds::default();
    for (ids, table) in next.each_mut().into_iter().zip(ID_TABLES) {
        let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}");
        *ids = Ids::from(sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?);
    }
    Ok(next)
}

/// Loads the state of every touched player that is not cached; returns the players whose
/// state could not be read (their commands fail with a storage error).
async fn load_players_sqlite(
    conn: &mut SqliteConnection,
    cache: &mut HashMap<PlayerId, PlayerState>,
    touched: &[PlayerId],
) -> HashSet<PlayerId> {
    let mut unavailable = HashSet::new();
    for &player in touched {
        if cache.contains_key(&player) || unavailable.contains(&player) {
            continue;
        }
        match load_player_sqlite(conn, player).await {
            Ok(Some(state)) => {
                cache.insert(player, state);
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!(%error, %player, "loading a player's ledger state failed");
                unavailable.insert(player);
            }
        }
    }
    unavailable
}

async fn load_player_sqlite(
    conn: &mut SqliteConnection,
    player: PlayerId,
) -> Result<Option<PlayerState>, sqlx::Error> {
    let sql = format!("{PLAYER_STATE_SQL} WHERE a.user_id = $1");
    let row = sqlx::query(&sql)
        .bind(player.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|row| player_state(&row)))
}

/// A player's ledger state, with their active seed: read with [`player_state`].
pub(super) const PLAYER_STATE_SQL: &str = "SELECT a.user_id, a.id, a.balance, u.username, \
        s.id AS seed_id, s.server_seed, s.commitment, s.client_seed, \
        (SELECT COALESCE(MAX(nonce) + 1, 0) FROM dice_bets b WHERE b.seed_id = s.id) AS next_nonce \
     FROM accounts a JOIN users u ON u.id = a.user_id \
     JOIN server_seeds s ON s.user_id = a.user_id AND s.revealed_at IS NULL";

pub(super) fn player_state<R: Row>(row: &R) -> PlayerState
where
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    PlayerState {
        account: AccountId(row.get("id")),
        balance: row.get("balance"),
        username: row.get("username"),
        seed: ActiveSeed {
            id: SeedId(row.get("seed_id")),
            server_seed: row.get("server_seed"),
            commitment: row.get("commitment"),
            client_seed: row.get("client_seed"),
            next_nonce: row.get::<i64, _>("next_nonce") as u64,
        },
    }
}

/// The tables whose ids the writer hands out, in the order of [`NextIds::each`].
pub(super) const ID_TABLES: [&str; 6] = [
    "ledger_txs",
    "dice_bets",
    "server_seeds",
    "accounts",
    "rounds",
    "round_bets",
];

/// The reads a batch makes on the writer's own connection, the same on both databases: each
/// function is written once and compiled for each connection type.
macro_rules! batch_reads {
    ($conn:ty, $db:ty, $open_bets:ident, $known_keys:ident, $round_receipt:ident) => {
        /// Round bets whose stakes are held.
        pub(super) async fn $open_bets(
            conn: &mut $conn,
        ) -> Result<HashMap<RoundBetId, OpenBet>, sqlx::Error> {
            let rows = sqlx::query(
                "SELECT id, user_id, round_id, amount FROM round_bets WHERE status = 'open'",
            )
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows
                .into_iter()
                .map(|row| {
                    let bet = OpenBet {
                        player: PlayerId(row.get("user_id")),
                        round: RoundId(row.get("round_id")),
                        stake: Cents(row.get("amount")),
                    };
                    (RoundBetId(row.get("id")), bet)
                })
                .collect())
        }

        /// Keys of this batch already stored, with the receipts they produced.
        pub(super) async fn $known_keys(
            conn: &mut $conn,
            keys: &HashMap<String, KeyKind>,
        ) -> Result<HashMap<String, KnownKey>, sqlx::Error> {
            let mut found: Vec<(String, String, StoredReceipt)> = Vec::new();
            let listed: Vec<&String> = keys.keys().collect();
            for chunk in listed.chunks(SQL_BIND_PARAMS_MAX) {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT scoped_key, fingerprint, result FROM idempotency WHERE scoped_key IN (",
                );
                let mut list = q.separated(", ");
                for key in chunk {
                    list.push_bind(key.as_str());
                }
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    let (key, result): (String, String) =
                        (row.get("scoped_key"), row.get("result"));
                    let Some(receipt) = keys
                        .get(&key)
                        .and_then(|kind| StoredReceipt::from_column(&result, *kind))
                    else {
                        tracing::error!(%result, "unreadable idempotency result");
                        return Err(sqlx::Error::Protocol(
                            "unreadable idempotency result".into(),
                        ));
                    };
                    found.push((key, row.get("fingerprint"), receipt));
                }
            }
            // Retries are rare: fetch the original bets one by one.
            let mut known = HashMap::with_capacity(found.len());
            for (key, fingerprint, stored) in found {
                let receipt = match stored {
                    StoredReceipt::Round { bet, balance } => {
                        KnownReceipt::Round($round_receipt(conn, bet.0, balance).await?)
                    }
                    StoredReceipt::Dice { bet, balance } => {
                        let sql = format!(
                            "SELECT {DICE_BET_COLUMNS} FROM dice_bets b JOIN server_seeds s ON s.id = b.seed_id WHERE b.id = $1"
                        );
                        let row = sqlx::query(&sql)
                            .bind(bet.0)
                            .fetch_one(&mut *conn)
                            .await?;
                        let bet = dice_bet_view(&row);
                        KnownReceipt::Dice(DiceReceipt { bet, balance })
                    }
                    StoredReceipt::Grant { .. } => continue,
                };
                known.insert(
                    key,
                    KnownKey {
                        fingerprint,
                        receipt,
                    },
                );
            }
            Ok(known)
        }

        /// A stored round bet as a retry's receipt: its round and where it stands now.
        async fn $round_receipt(
            conn: &mut $conn,
            bet: i64,
            balance: Cents,
        ) -> Result<RoundBetReceipt, sqlx::Error> {
            let row = sqlx::query("SELECT round_id, status, payout FROM round_bets WHERE id = $1")
                .bind(bet)
                .fetch_one(&mut *conn)
                .await?;
            let stored: String = row.get("status");
            let status = RoundBetStatus::parse(&stored).ok_or_else(|| {
                sqlx::Error::Protocol(format!("unknown round bet status {stored:?}"))
            })?;
            Ok(RoundBetReceipt {
                bet: RoundBetId(bet),
                round: RoundId(row.get("round_id")),
                balance,
                status,
                payout: row.get::<Option<i64>, _>("payout").map(Cents),
                replayed: true,
            })
        }
    };
}

batch_reads!(
    SqliteConnection,
    Sqlite,
    open_bets_sqlite,
    known_keys_sqlite,
    round_receipt_sqlite
);
batch_reads!(
    PgConnection,
    Postgres,
    open_bets_pg,
    known_keys_pg,
    round_receipt_pg
);

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
            Op::RoundBet(bet) | Op::FindRoundBet(bet) => Some((
                scoped_key(r.player, KeyKind::Round, &bet.idem),
                KeyKind::Round,
            )),
            _ => None,
        })
        .collect()
}
