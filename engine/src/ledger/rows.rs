//! The rows one batch writes, and the statements that write them: multi-row inserts and one
//! balance update per batch, so a batch costs a handful of statements however many bets it
//! holds. This is what lets one SQLite writer reach tens of thousands of durable bets a second.

use super::idempotency::NewKey;
use super::work::{HOUSE, IN_PLAY, TREASURY};
use crate::limits::{BATCH_SQL_CACHED_BYTES_MAX, SQL_BIND_PARAMS_MAX};
use protocol::dice::DiceBetView;
use protocol::ids::{AccountId, ChainId, RoundBetId, RoundId, SeedId};
use protocol::{BetId, PlayerId};
use sqlx::{
    Database, Encode, PgConnection, Postgres, QueryBuilder, Sqlite, SqliteConnection, Type,
};
use std::collections::HashMap;

/// Kinds of ledger transaction (the `ledger_txs.kind` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxKind {
    Grant,
    BetHold,
    BetSettle,
    BetVoid,
}

impl TxKind {
    fn as_str(self) -> &'static str {
        match self {
            TxKind::Grant => "grant",
            TxKind::BetHold => "bet_hold",
            TxKind::BetSettle => "bet_settle",
            TxKind::BetVoid => "bet_void",
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

    /// Every statement but the balances', in the order their references need.
    fn push_statements<'a, DB: Database>(&'a self, s: &mut Statements<'a, DB>)
    where
        i64: Encode<'a, DB> + Type<DB>,
        String: Encode<'a, DB> + Type<DB>,
        Option<i64>: Encode<'a, DB> + Type<DB>,
        &'a str: Encode<'a, DB> + Type<DB>,
        Option<&'a str>: Encode<'a, DB> + Type<DB>,
    {
        self.push_wallets(s);
        self.push_rounds(s);
        self.push_money(s);
        self.push_outcomes(s);
    }

    /// New wallets and seed changes.
    fn push_wallets<'a, DB: Database>(&'a self, s: &mut Statements<'a, DB>)
    where
        i64: Encode<'a, DB> + Type<DB>,
        Option<i64>: Encode<'a, DB> + Type<DB>,
        &'a str: Encode<'a, DB> + Type<DB>,
    {
        for chunk in self.accounts.chunks(SQL_BIND_PARAMS_MAX / 2) {
            s.q()
                .push("INSERT INTO accounts (id, kind, user_id, balance) ");
            s.q().push_values(chunk, |mut b, (account, player)| {
                b.push_bind(account.0)
                    .push_bind("player")
                    .push_bind(player.0)
                    .push_bind(0i64);
            });
            s.end(None);
        }
        // Reveals first: the partial unique index allows one unrevealed seed per player.
        for (seed, at_ms, bets) in &self.reveals {
            s.q()
                .push("UPDATE server_seeds SET revealed_at = ")
                .push_bind(*at_ms)
                .push(", bets = ")
                .push_bind(*bets as i64)
                .push(" WHERE id = ")
                .push_bind(seed.0);
            s.end(None);
        }
        for (seed, client_seed) in &self.client_seeds {
            s.q()
                .push("UPDATE server_seeds SET client_seed = ")
                .push_bind(client_seed.as_str())
                .push(" WHERE id = ")
                .push_bind(seed.0);
            s.end(None);
        }
        for chunk in self.seeds.chunks(SQL_BIND_PARAMS_MAX / 8) {
            s.q().push("INSERT INTO server_seeds (id, user_id, server_seed, commitment, client_seed, created_at, revealed_at, bets) ");
            s.q().push_values(chunk, |mut b, row| {
                b.push_bind(row.seed.id.0)
                    .push_bind(row.player.0)
                    .push_bind(row.seed.server_seed.as_str())
                    .push_bind(row.seed.commitment.as_str())
                    .push_bind(row.seed.client_seed.as_str())
                    .push_bind(row.created_ms)
                    .push_bind(row.revealed.map(|(at, _)| at))
                    .push_bind(row.revealed.map(|(_, bets)| bets as i64));
            });
            s.end(None);
        }
    }

    /// Ledger transactions, their entries, dice bets and idempotency keys.
    fn push_money<'a, DB: Database>(&'a self, s: &mut Statements<'a, DB>)
    where
        i64: Encode<'a, DB> + Type<DB>,
        String: Encode<'a, DB> + Type<DB>,
        Option<i64>: Encode<'a, DB> + Type<DB>,
        &'a str: Encode<'a, DB> + Type<DB>,
    {
        for chunk in self.txs.chunks(SQL_BIND_PARAMS_MAX / 6) {
            s.q().push(
                "INSERT INTO ledger_txs (id, kind, user_id, bet_id, round_bet_id, created_at) ",
            );
            s.q().push_values(chunk, |mut b, row| {
                b.push_bind(row.id)
                    .push_bind(row.kind.as_str())
                    .push_bind(row.player.0)
                    .push_bind(row.bet.map(|bet| bet.0))
                    .push_bind(row.round_bet.map(|bet| bet.0))
                    .push_bind(row.at_ms);
            });
            s.end(None);
        }
        for chunk in self.entries.chunks(SQL_BIND_PARAMS_MAX / 3) {
            s.q()
                .push("INSERT INTO entries (tx_id, account_id, amount) ");
            s.q().push_values(chunk, |mut b, row| {
                b.push_bind(row.tx)
                    .push_bind(row.account.0)
                    .push_bind(row.amount);
            });
            s.end(None);
        }
        for chunk in self.bets.chunks(SQL_BIND_PARAMS_MAX / 11) {
            s.q().push("INSERT INTO dice_bets (id, user_id, seed_id, client_seed, nonce, amount, target, roll, multiplier_x100, payout, created_at) ");
            s.q().push_values(chunk, |mut b, row| {
                let bet = &row.view;
                b.push_bind(bet.id.0)
                    .push_bind(row.player.0)
                    .push_bind(row.seed.0)
                    .push_bind(bet.client_seed.as_str())
                    .push_bind(bet.nonce as i64)
                    .push_bind(bet.amount.0)
                    .push_bind(bet.target as i64)
                    .push_bind(bet.roll as i64)
                    .push_bind(bet.multiplier_x100 as i64)
                    .push_bind(bet.payout.0)
                    .push_bind(row.at_ms);
            });
            s.end(None);
        }
        for chunk in self.idempotency.chunks(SQL_BIND_PARAMS_MAX / 4) {
            s.q()
                .push("INSERT INTO idempotency (scoped_key, fingerprint, result, created_at) ");
            s.q().push_values(chunk, |mut b, (key, at_ms)| {
                b.push_bind(key.scoped.as_str())
                    .push_bind(key.fingerprint.as_str())
                    .push_bind(key.receipt.to_column())
                    .push_bind(*at_ms);
            });
            s.end(None);
        }
    }

    /// Settled round bets (only bets still open: each must change) and audit entries.
    fn push_outcomes<'a, DB: Database>(&'a self, s: &mut Statements<'a, DB>)
    where
        i64: Encode<'a, DB> + Type<DB>,
        Option<i64>: Encode<'a, DB> + Type<DB>,
        &'a str: Encode<'a, DB> + Type<DB>,
    {
        for chunk in self.round_bets_settled.chunks(SQL_BIND_PARAMS_MAX / 5) {
            s.q()
                .push("WITH v(id, status, multiplier_x100, payout, settled_at) AS (");
            s.q().push_values(chunk, |mut b, row| {
                b.push_bind(row.id.0)
                    .push_bind(row.status)
                    .push_bind(row.multiplier_x100)
                    .push_bind(row.payout)
                    .push_bind(row.at_ms);
            });
            s.q().push(
                ") UPDATE round_bets SET \
                 status = (SELECT v.status FROM v WHERE v.id = round_bets.id), \
                 multiplier_x100 = (SELECT v.multiplier_x100 FROM v WHERE v.id = round_bets.id), \
                 payout = (SELECT v.payout FROM v WHERE v.id = round_bets.id), \
                 settled_at = (SELECT v.settled_at FROM v WHERE v.id = round_bets.id) \
                 WHERE id IN (SELECT id FROM v) AND status = 'open'",
            );
            s.end(Some(chunk.len() as u64));
        }
        for (kind, detail, at_ms) in &self.audit {
            s.q()
                .push("INSERT INTO audit_log (kind, detail, created_at) VALUES (")
                .push_bind(kind.as_str())
                .push(", ")
                .push_bind(detail.as_str())
                .push(", ")
                .push_bind(*at_ms)
                .push(")");
            s.end(None);
        }
    }

    /// SQLite: the final balances the single writer computed (it owns the file, so its balances
    /// are the database's).
    fn push_balances_sqlite<'a>(&'a self, s: &mut Statements<'a, Sqlite>) {
        let balances: Vec<(&AccountId, &i64)> = self.balances.iter().collect();
        for chunk in balances.chunks(SQL_BIND_PARAMS_MAX / 2) {
            s.q().push("WITH v(id, balance) AS (");
            s.q().push_values(chunk, |mut b, (account, balance)| {
                b.push_bind(account.0).push_bind(**balance);
            });
            s.q().push(
                ") UPDATE accounts SET balance = (SELECT v.balance FROM v WHERE v.id = accounts.id) \
                 WHERE id IN (SELECT id FROM v)",
            );
            s.end(None);
        }
    }

    /// PostgreSQL: every account moves by the sum of its entries in the batch, after the system
    /// accounts are locked in id order (players' rows are locked when the batch starts), so
    /// batches of several nodes never wait on each other in a circle. The locks are `FOR NO KEY
    /// UPDATE`, what an update of the balance takes anyway: they let other batches insert
    /// entries that refer to these accounts meanwhile (a foreign key check takes `FOR KEY
    /// SHARE`), where `FOR UPDATE` would deadlock two of them.
    fn push_balances_postgres<'a>(&'a self, s: &mut Statements<'a, Postgres>) {
        let mut moves: HashMap<AccountId, i64> = HashMap::new();
        for entry in &self.entries {
            *moves.entry(entry.account).or_default() += entry.amount;
        }
        moves.retain(|_, amount| *amount != 0);
        let mut moves: Vec<(AccountId, i64)> = moves.into_iter().collect();
        moves.sort_unstable_by_key(|(account, _)| account.0);
        if moves
            .iter()
            .any(|(account, _)| SYSTEM_ACCOUNTS.contains(account))
        {
            s.q().push(
                "SELECT id FROM accounts WHERE id IN (1, 2, 3) ORDER BY id FOR NO KEY UPDATE",
            );
            s.end(None);
        }
        for chunk in moves.chunks(SQL_BIND_PARAMS_MAX / 2) {
            s.q()
                .push("UPDATE accounts AS a SET balance = a.balance + v.amount FROM (");
            s.q().push_values(chunk, |mut b, (account, amount)| {
                b.push_bind(account.0).push_bind(*amount);
            });
            s.q().push(") AS v(id, amount) WHERE a.id = v.id");
            s.end(Some(chunk.len() as u64));
        }
    }

    /// Rounds opened and moved on, and bets placed in them: written before the ledger
    /// transactions that reference them. A round moves on only from the phase it was in.
    fn push_rounds<'a, DB: Database>(&'a self, s: &mut Statements<'a, DB>)
    where
        i64: Encode<'a, DB> + Type<DB>,
        Option<i64>: Encode<'a, DB> + Type<DB>,
        &'a str: Encode<'a, DB> + Type<DB>,
        Option<&'a str>: Encode<'a, DB> + Type<DB>,
    {
        for row in &self.rounds {
            s.q()
                .push("INSERT INTO rounds (id, game, chain_id, number, phase, opened_at) VALUES (")
                .push_bind(row.id.0)
                .push(", ")
                .push_bind(row.game)
                .push(", ")
                .push_bind(row.chain.0)
                .push(", ")
                .push_bind(row.number)
                .push(", 'betting', ")
                .push_bind(row.at_ms)
                .push(")");
            s.end(None);
        }
        for update in &self.round_updates {
            match update {
                RoundUpdate::Running { round, at_ms } => {
                    s.q()
                        .push("UPDATE rounds SET phase = 'running', running_at = ")
                        .push_bind(*at_ms)
                        .push(" WHERE id = ")
                        .push_bind(round.0)
                        .push(" AND phase = 'betting'");
                }
                RoundUpdate::Ended {
                    round,
                    phase,
                    hash,
                    outcome,
                    at_ms,
                } => {
                    s.q()
                        .push("UPDATE rounds SET phase = ")
                        .push_bind(*phase)
                        .push(", hash = ")
                        .push_bind(hash.as_deref())
                        .push(", outcome = ")
                        .push_bind(*outcome)
                        .push(", ended_at = ")
                        .push_bind(*at_ms)
                        .push(" WHERE id = ")
                        .push_bind(round.0)
                        .push(" AND phase IN ('betting', 'running')");
                }
            }
            s.end(Some(1));
        }
        for chunk in self.round_bets.chunks(SQL_BIND_PARAMS_MAX / 7) {
            s.q().push("INSERT INTO round_bets (id, round_id, user_id, amount, choice, status, created_at) ");
            s.q().push_values(chunk, |mut b, row| {
                b.push_bind(row.id.0)
                    .push_bind(row.round.0)
                    .push_bind(row.player.0)
                    .push_bind(row.amount)
                    .push_bind(row.choice.as_str())
                    .push_bind("open")
                    .push_bind(row.at_ms);
            });
            s.end(None);
        }
    }
}

/// The treasury, the house and stakes in play.
const SYSTEM_ACCOUNTS: [AccountId; 3] = [TREASURY, HOUSE, IN_PLAY];

/// Where a batch's statements go: into one multi-statement query (SQLite), or one query each
/// (PostgreSQL), each with the number of rows it must change when that is known.
struct Statements<'a, DB: Database> {
    done: Vec<(QueryBuilder<'a, DB>, Option<u64>)>,
    current: QueryBuilder<'a, DB>,
    one_query: bool,
}

impl<'a, DB: Database> Statements<'a, DB> {
    fn one_query(start: &str) -> Self {
        Statements {
            done: Vec::new(),
            current: QueryBuilder::new(start),
            one_query: true,
        }
    }

    fn separate() -> Self {
        Statements {
            done: Vec::new(),
            current: QueryBuilder::new(""),
            one_query: false,
        }
    }

    /// The statement being written.
    fn q(&mut self) -> &mut QueryBuilder<'a, DB> {
        &mut self.current
    }

    /// Ends the statement being written; `changes` is how many rows it must change.
    fn end(&mut self, changes: Option<u64>) {
        if self.one_query {
            self.current.push("; ");
        } else {
            let done = std::mem::replace(&mut self.current, QueryBuilder::new(""));
            self.done.push((done, changes));
        }
    }

    fn finish(self) -> Vec<(QueryBuilder<'a, DB>, Option<u64>)> {
        self.done
    }
}

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
