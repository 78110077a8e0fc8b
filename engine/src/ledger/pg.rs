//! The ledger writer's batches on PostgreSQL, where the writers of several nodes share one
//! database and none may trust what it remembers.
//!
//! A batch runs in one transaction: it locks the rows of the players it touches (in id order, so
//! two nodes never wait on each other in a circle) and reads their balances and seeds afresh,
//! reads the idempotency keys it carries, applies its commands to that state, writes its rows
//! (balances move by their entries, never to a remembered value) and commits. A batch that lost
//! a race with another node (the same idempotency key stored first, a new wallet opened twice,
//! a deadlock) is tried again from the start, and then sees what the other node committed: a
//! retried key is answered with its original result, never applied twice.
//!
//! Ids come from each table's sequence, drawn in blocks ahead of need ([`Sequences`]): sequences
//! never hand the same id to two nodes, and never roll back.

use super::command::{Op, Request};
use super::idempotency::KeyKind;
use super::work::{NextIds, OpenBet, PlayerState, HOUSE, IN_PLAY, TREASURY};
use super::writer::{
    apply, known_keys_pg, player_state, Applied, Start, ID_TABLES, PLAYER_STATE_SQL,
};
use crate::store::{Store, WriterConnection};
use protocol::ids::{AccountId, RoundBetId, RoundId};
use protocol::{Cents, PlayerId};
use sqlx::{Connection, PgConnection, Row};
use std::collections::{HashMap, HashSet};

/// How many times a batch is tried when it lost a race with another node's writer.
const BATCH_ATTEMPTS_MAX: u32 = 3;
/// Error codes of a batch that lost a race and may succeed when tried again: unique and check
/// violations (another node committed first), serialization failure, deadlock.
const LOST_RACE_CODES: [&str; 4] = ["23505", "23514", "40001", "40P01"];

/// What a batch needs besides its commands.
pub struct Context<'a> {
    /// The players whose balances the batch may move.
    pub touched: &'a [PlayerId],
    /// The idempotency keys its commands carry.
    pub keys: &'a HashMap<String, KeyKind>,
    /// Round bets whose stakes are held.
    pub open_bets: &'a HashMap<RoundBetId, OpenBet>,
    /// Whether batches write their events into the export outbox.
    pub export: bool,
}

/// Commits a batch; returns what it produced and the players it read, or `None` when it
/// could not be written (every command then fails with a storage error, and nothing was
/// written). A broken connection is dropped and opened again by the next batch.
pub async fn process(
    conn: &mut Option<PgConnection>,
    store: &Store,
    sequences: &Sequences,
    next: &mut NextIds,
    context: &Context<'_>,
    commands: Vec<(PlayerId, Op)>,
) -> Option<(Applied, HashMap<PlayerId, PlayerState>)> {
    for attempt in 1..=BATCH_ATTEMPTS_MAX {
        let open = match conn {
            Some(open) => open,
            None => match store.writer_connection().await {
                Ok(WriterConnection::Postgres(open)) => conn.insert(open),
                Ok(WriterConnection::Sqlite(_)) => unreachable!("a PostgreSQL store"),
                Err(error) => {
                    tracing::error!(%error, "the ledger writer cannot reach PostgreSQL");
                    return None;
                }
            },
        };
        let error = match attempt_batch(open, sequences, next, context, &commands).await {
            Ok(done) => return Some(done),
            Err(error) => error,
        };
        let code = error
            .as_database_error()
            .and_then(|db| db.code().map(|code| code.into_owned()));
        match code {
            Some(code)
                if LOST_RACE_CODES.contains(&code.as_str()) && attempt < BATCH_ATTEMPTS_MAX =>
            {
                tracing::debug!(%error, attempt, "ledger batch lost a race; trying it again");
            }
            Some(_) => {
                tracing::error!(%error, commands = commands.len(), "ledger batch failed; nothing was written");
                return None;
            }
            None => {
                tracing::error!(%error, commands = commands.len(), "ledger batch failed; nothing was written; reconnecting");
                *conn = None;
                return None;
            }
        }
    }
    None
}

async fn attempt_batch(
    conn: &mut PgConnection,
    sequences: &Sequences,
    next: &mut NextIds,
    context: &Context<'_>,
    commands: &[(PlayerId, Op)],
) -> Result<(Applied, HashMap<PlayerId, PlayerState>), sqlx::Error> {
    // Sequences are outside transactions: ids drawn here stay drawn whatever the batch does.
    let expected = 2 * commands.len() as u64;
    let wanted = next.each().map(|ids| expected.saturating_sub(ids.left()));
    sequences.draw(conn, next, wanted).await?;
    let mut tx = conn.begin().await?;
    let players = lock_players(&mut tx, context.touched).await?;
    let system = system_balances(&mut tx).await?;
    let known = known_keys_pg(&mut tx, context.keys).await?;
    let unavailable = HashSet::new();
    let applied = loop {
        let start = Start {
            players: &players,
            system: system.clone(),
            next: next.clone(),
            known: known.clone(),
            open_bets: context.open_bets,
            unavailable: &unavailable,
            export: context.export,
        };
        let applied = apply(start, commands.to_vec());
        if !applied.next.short() {
            break applied;
        }
        // More ids than drawn: draw what was missing and apply the batch again.
        let wanted = applied.next.each().map(|ids| ids.shortfall());
        sequences.draw(&mut tx, next, wanted).await?;
    };
    if !applied.rows.is_empty() {
        applied.rows.write_postgres(&mut tx).await?;
    }
    tx.commit().await?;
    Ok((applied, players))
}

/// The id sequences of the tables the writer fills, in the order of [`NextIds::each`]. Each
/// steps by a block (1,024 in the migrations): a value drawn stands for the block of ids from
/// it, so one `nextval` serves a thousand rows, and a single node's ids still run on without
/// gaps (gaps come only from blocks a node had not used up when it stopped).
pub struct Sequences {
    /// Each sequence's step, read from the database.
    steps: [i64; 6],
}

impl Sequences {
    /// Reads the sequences' steps.
    pub async fn load(conn: &mut PgConnection) -> Result<Sequences, sqlx::Error> {
        let mut steps = [0; 6];
        for (step, table) in steps.iter_mut().zip(ID_TABLES) {
            *step = sqlx::query_scalar(
                "SELECT seqincrement FROM pg_sequence \
                 WHERE seqrelid = pg_get_serial_sequence($1, 'id')::regclass",
            )
            .bind(table)
            .fetch_one(&mut *conn)
            .await?;
            if *step < 1 {
                return Err(sqlx::Error::Protocol(format!(
                    "the id sequence of {table} steps by {step}"
                )));
            }
        }
        Ok(Sequences { steps })
    }

    /// Draws blocks of ids where `wanted` (in the order of [`NextIds::each`]) is not zero.
    async fn draw(
        &self,
        conn: &mut PgConnection,
        next: &mut NextIds,
        wanted: [u64; 6],
    ) -> Result<(), sqlx::Error> {
        let tables = next.each_mut().into_iter().zip(ID_TABLES).zip(wanted);
        for (((ids, table), wanted), step) in tables.zip(self.steps) {
            if wanted == 0 {
                continue;
            }
            let blocks = wanted.div_ceil(step as u64) as i64;
            let drawn: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
            )
            .bind(table)
            .bind(blocks)
            .fetch_all(&mut *conn)
            .await?;
            for start in drawn {
                ids.add(start, start + step);
            }
        }
        Ok(())
    }
}

/// Locks the touched players' accounts (in id order) and reads their state as committed.
async fn lock_players(
    conn: &mut PgConnection,
    touched: &[PlayerId],
) -> Result<HashMap<PlayerId, PlayerState>, sqlx::Error> {
    let mut ids: Vec<i64> = touched.iter().map(|player| player.0).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    sqlx::query("SELECT id FROM accounts WHERE user_id = ANY($1) ORDER BY id FOR NO KEY UPDATE")
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    // A statement of its own: it sees every commit made before the locks were granted.
    let sql = format!("{PLAYER_STATE_SQL} WHERE a.user_id = ANY($1)");
    let rows = sqlx::query(&sql).bind(&ids).fetch_all(&mut *conn).await?;
    Ok(rows
        .iter()
        .map(|row| (PlayerId(row.get("user_id")), player_state(row)))
        .collect())
}

/// Replaces what `open_bets` holds for the rounds the batch settles with their open bets as the
/// database has them (a failure leaves them as they were: the batch's settlement statements
/// still change only bets that are open).
pub async fn refresh_open_bets(
    conn: &mut PgConnection,
    open_bets: &mut HashMap<RoundBetId, OpenBet>,
    batch: &[Request],
) {
    let mut rounds: Vec<i64> = batch
        .iter()
        .filter_map(|request| match &request.op {
            Op::Settle { round, .. } => Some(round.0),
            _ => None,
        })
        .collect();
    if rounds.is_empty() {
        return;
    }
    rounds.sort_unstable();
    rounds.dedup();
    // (bet, player, round, stake, game)
    type OpenRow = (i64, i64, i64, i64, String);
    let stored: Result<Vec<OpenRow>, sqlx::Error> = sqlx::query_as(
        "SELECT b.id, b.user_id, b.round_id, b.amount, r.game FROM round_bets b \
         JOIN rounds r ON r.id = b.round_id WHERE b.status = 'open' AND b.round_id = ANY($1)",
    )
    .bind(&rounds)
    .fetch_all(&mut *conn)
    .await;
    match stored {
        Ok(stored) => {
            open_bets.retain(|_, bet| rounds.binary_search(&bet.round.0).is_err());
            open_bets.extend(stored.into_iter().map(|(id, player, round, amount, game)| {
                let bet = OpenBet {
                    player: PlayerId(player),
                    round: RoundId(round),
                    stake: Cents(amount),
                    game: super::writer::round_game(&game),
                };
                (RoundBetId(id), bet)
            }));
        }
        Err(error) => {
            tracing::warn!(%error, "cannot read the open bets of the rounds a batch settles")
        }
    }
}

/// The system accounts' balances as committed (they move by deltas, so no lock is needed).
async fn system_balances(conn: &mut PgConnection) -> Result<HashMap<AccountId, i64>, sqlx::Error> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, balance FROM accounts WHERE id = ANY($1)")
            .bind([TREASURY.0, HOUSE.0, IN_PLAY.0])
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, balance)| (AccountId(id), balance))
        .collect())
}
