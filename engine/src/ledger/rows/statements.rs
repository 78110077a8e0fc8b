//! How a batch's rows become SQL: the same statements for both databases (placeholders and
//! binds through each one's `QueryBuilder`), gathered into one multi-statement query for SQLite
//! or kept apart for PostgreSQL ([`Statements`]); only balances are written differently.

use super::{RoundUpdate, Rows};
use crate::ledger::work::{HOUSE, IN_PLAY, TREASURY};
use crate::limits::SQL_BIND_PARAMS_MAX;
use protocol::ids::AccountId;
use sqlx::{Database, Encode, Postgres, QueryBuilder, Sqlite, Type};
use std::collections::HashMap;

impl Rows {
    /// Every statement but the balances', in the order their references need.
    pub(super) fn push_statements<'a, DB: Database>(&'a self, s: &mut Statements<'a, DB>)
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
        self.push_outbox(s);
    }

    /// Exported events, after everything they describe. PostgreSQL draws each id here, after
    /// the batch locked its players, so one player's events get ids in commit order.
    fn push_outbox<'a, DB: Database>(&'a self, s: &mut Statements<'a, DB>)
    where
        i64: Encode<'a, DB> + Type<DB>,
        &'a str: Encode<'a, DB> + Type<DB>,
    {
        for chunk in self.outbox.chunks(SQL_BIND_PARAMS_MAX / 3) {
            s.q()
                .push("INSERT INTO export_outbox (events, event_count, created_at) ");
            s.q().push_values(chunk, |mut b, row| {
                b.push_bind(row.events.as_str())
                    .push_bind(row.count)
                    .push_bind(row.at_ms);
            });
            s.end(None);
        }
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
    pub(super) fn push_balances_sqlite<'a>(&'a self, s: &mut Statements<'a, Sqlite>) {
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
    pub(super) fn push_balances_postgres<'a>(&'a self, s: &mut Statements<'a, Postgres>) {
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
pub(super) struct Statements<'a, DB: Database> {
    done: Vec<(QueryBuilder<'a, DB>, Option<u64>)>,
    pub(super) current: QueryBuilder<'a, DB>,
    one_query: bool,
}

impl<'a, DB: Database> Statements<'a, DB> {
    pub(super) fn one_query(start: &str) -> Self {
        Statements {
            done: Vec::new(),
            current: QueryBuilder::new(start),
            one_query: true,
        }
    }

    pub(super) fn separate() -> Self {
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

    pub(super) fn finish(self) -> Vec<(QueryBuilder<'a, DB>, Option<u64>)> {
        self.done
    }
}
