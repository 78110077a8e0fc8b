//! The rows one batch writes, and their commit ([`statements`] builds the SQL): multi-row
//! inserts and one balance update per batch, so a batch costs a handful of statements however
//! many bets it holds. This is what lets one SQLite writer reach tens of thousands of durable
//! bets a second.

use super::idempotency::NewKey;
use crate::limits::BATCH_SQL_CACHED_BYTES_MAX;
use protocol::dice::DiceBetView;
use protocol::ids::{AccountId, ChainId, RoundBetId, RoundId, SeedId};
use protocol::{BetId, PlayerId};
use sqlx::{PgConnection, SqliteConnection};
use std::collections::HashMap;

/// Kinds of ledger transaction (the `ledger_txs.kind` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxKind {
    Grant,
    BetHold,
    BetSettle,
    BetVoid,
    Adjustment,
}

impl TxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TxKind::Grant => "grant",
            TxKind::BetHold => "bet_hold",
            TxKind::BetSettle => "bet_settle",
            TxKind::BetVoid => "bet_void",
            TxKind::Adjustment => "adjustment",
        }
    }
}

pub struct TxRow {
    pub id: i64,
    pub kind: TxKind,
    pub player: PlayerId,
    pub bet: Option<BetId>,
    pub round_bet: Option<RoundBetId>,
    pub at_ms: i64,
}

pub struct RoundRow {
    pub id: RoundId,
    pub game: &'static str,
    pub chain: ChainId,
    pub number: i64,
    pub at_ms: i64,
}

pub enum RoundUpdate {
    Running {
        round: RoundId,
        at_ms: i64,
    },
    Ended {
        round: RoundId,
        phase: &'static str,
        hash: Option<String>,
        outcome: Option<i64>,
        at_ms: i64,
    },
}

pub struct RoundBetRow {
    pub id: RoundBetId,
    pub round: RoundId,
    pub player: PlayerId,
    pub amount: i64,
    pub choice: String,
    pub at_ms: i64,
}

pub struct RoundBetSettled {
    pub id: RoundBetId,
    pub round: RoundId,
    pub player: PlayerId,
    pub status: &'static str,
    pub multiplier_x100: Option<i64>,
    pub payout: i64,
    pub at_ms: i64,
}

pub struct EntryRow {
    pub tx: i64,
    pub account: AccountId,
    pub amount: i64,
}

pub struct BetRow {
    pub player: PlayerId,
    pub seed: SeedId,
    pub view: DiceBetView,
    pub at_ms: i64,
}

pub struct SeedRow {
    pub player: PlayerId,
    pub seed: SeedFields,
    pub created_ms: i64,
    /// (revealed_at, bets) when the seed is revealed within the batch that created it.
    pub revealed: Option<(i64, u64)>,
}

/// A new server seed as stored.
pub struct SeedFields {
    pub id: SeedId,
    pub server_seed: String,
    pub commitment: String,
    pub client_seed: String,
}

/// Everything one batch writes.
#[derive(Default)]
pub struct Rows {
    pub accounts: Vec<(AccountId, PlayerId)>,
    pub seeds: Vec<SeedRow>,
    reveals: Vec<(SeedId, i64, u64)>,
    client_seeds: Vec<(SeedId, String)>,
    pub txs: Vec<TxRow>,
    pub entries: Vec<EntryRow>,
    pub bets: Vec<BetRow>,
    /// (key, created_at)
    pub idempotency: Vec<(NewKey, i64)>,
    pub rounds: Vec<RoundRow>,
    pub round_updates: Vec<RoundUpdate>,
    pub round_bets: Vec<RoundBetRow>,
    pub round_bets_settled: Vec<RoundBetSettled>,
    /// (kind, detail JSON, created_at)
    pub audit: Vec<(String, String, i64)>,
    /// Final balance of every account the batch touched.
    pub balances: HashMap<AccountId, i64>,
    /// Events to export ([`Rows::fill_outbox`], when the node exports to Kafka).
    pub outbox: Vec<OutboxRow>,
}

impl Rows {
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
            && self.seeds.is_empty()
            && self.reveals.is_empty()
            && self.client_seeds.is_empty()
            && self.txs.is_empty()
            && self.idempotency.is_empty()
            && self.rounds.is_empty()
            && self.round_updates.is_empty()
            && self.audit.is_empty()
    }

    /// Marks a seed revealed; a seed created in this same batch is revealed in its insert.
    pub fn reveal_seed(&mut self, seed: SeedId, at_ms: i64, bets: u64) {
        match self.seeds.iter_mut().find(|row| row.seed.id == seed) {
            Some(row) => row.revealed = Some((at_ms, bets)),
            None => self.reveals.push((seed, at_ms, bets)),
        }
    }

    /// Records a client seed change; a seed created in this batch changes in its insert.
    pub fn set_client_seed(&mut self, seed: SeedId, client_seed: String) {
        match self.seeds.iter_mut().find(|row| row.seed.id == seed) {
            Some(row) => row.seed.client_seed = client_seed,
            None => self.client_seeds.push((seed, client_seed)),
        }
    }

    /// Writes every row in one transaction, or nothing. The whole transaction (`BEGIN`, each
    /// table's statement, `COMMIT`) goes to SQLite as one multi-statement query: the
    /// connection runs each query on its own worker thread, so a batch is one hand-off there
    /// and back instead of one per statement (a thread switch each, measured in
    /// docs/benchmarks.md). The statements come in the order their references need.
    pub async fn commit_sqlite(&self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        let mut s = Statements::one_query("BEGIN IMMEDIATE; ");
        self.push_statements(&mut s);
        self.push_balances_sqlite(&mut s);
        let mut q = s.current;
        q.push("COMMIT;");
        // The text changes with the batch's row counts. Small batches repeat theirs and are worth
        // the connection's prepared-statement cache (4% less CPU at 5,000 bets/s); a large one
        // would fill it with a statement of thousands of parameters used once.
        let cached = q.sql().len() <= BATCH_SQL_CACHED_BYTES_MAX;
        let Err(error) = q.build().persistent(cached).execute(&mut *conn).await else {
            return Ok(());
        };
        // The statements stop at the first failure, which leaves the transaction open (unless
        // it was `BEGIN` itself that failed): undo what it wrote.
        if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
            tracing::warn!(%rollback, "rollback after a failed batch");
        }
        Err(error)
    }

    /// Writes every row inside the caller's PostgreSQL transaction, one statement at a time
    /// (PostgreSQL prepares one statement per query). Balances move by the batch's entries,
    /// never to a value computed from a cache, so a player's balance checked below zero fails
    /// the batch; settlements and round endings apply only to bets still open and rounds still
    /// live, so a batch built on a stale view (a deposed round driver) fails instead of
    /// settling twice. The caller commits, or rolls back on an error.
    pub async fn write_postgres(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let mut s = Statements::separate();
        self.push_statements(&mut s);
        self.push_balances_postgres(&mut s);
        for (mut q, expected) in s.finish() {
            let cached = q.sql().len() <= BATCH_SQL_CACHED_BYTES_MAX;
            let done = q.build().persistent(cached).execute(&mut *conn).await?;
            if let Some(expected) = expected {
                if done.rows_affected() != expected {
                    return Err(sqlx::Error::Protocol(format!(
                        "stale batch: {} rows changed where {expected} were expected",
                        done.rows_affected()
                    )));
                }
            }
        }
        Ok(())
    }
}

mod outbox;
mod statements;

pub use outbox::{OutboxRow, TOPIC_BETS, TOPIC_LEDGER, TOPIC_RISK, TOPIC_ROUNDS};
use statements::Statements;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::work::IN_PLAY;
    use crate::store::temp_store;

    async fn audit_rows(conn: &mut SqliteConnection) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_batch_that_fails_part_way_writes_nothing_and_the_next_one_commits() {
        let (_dir, store) = temp_store().await;
        let mut conn = store.writer_connection().await.unwrap().sqlite();
        let audit = ("test".to_owned(), "{}".to_owned(), 1);

        // The audit row is written first; the balance update after it breaks a CHECK (stakes
        // held can never be negative), so the whole transaction must go.
        let mut failing = Rows::default();
        failing.audit.push(audit.clone());
        failing.balances.insert(IN_PLAY, -1);
        assert!(failing.commit_sqlite(&mut conn).await.is_err());
        assert_eq!(audit_rows(&mut conn).await, 0);

        let mut next = Rows::default();
        next.audit.push(audit);
        next.commit_sqlite(&mut conn).await.unwrap();
        assert_eq!(audit_rows(&mut conn).await, 1);
    }
}
