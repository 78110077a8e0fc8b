//! Read-only history: a player's bets, the ledger transactions that touched their balance, and
//! bets whose server seed has been revealed (what `/fair` verifies).

use crate::limits::HISTORY_ROWS_MAX;
use protocol::dice::{DiceBetView, FeedBet};
use protocol::limits::FEED_BETS_SHOWN;
use protocol::records::{BetRecord, TxRecord};
use protocol::{BetId, Cents, PlayerId};
use sqlx::{AnyPool, ColumnIndex, Decode, Row, Type};

/// The columns [`dice_bet_view`] reads, from `dice_bets b JOIN server_seeds s`.
pub(crate) const DICE_BET_COLUMNS: &str =
    "b.id, b.amount, b.target, b.roll, b.multiplier_x100, b.payout, b.nonce, b.client_seed, s.commitment";

/// A dice bet as its player saw it, from a row with [`DICE_BET_COLUMNS`].
pub(crate) fn dice_bet_view<R: Row>(row: &R) -> DiceBetView
where
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    DiceBetView {
        id: BetId(row.get("id")),
        amount: Cents(row.get("amount")),
        target: row.get::<i64, _>("target") as u32,
        roll: row.get::<i64, _>("roll") as u32,
        multiplier_x100: row.get::<i64, _>("multiplier_x100") as u64,
        payout: Cents(row.get("payout")),
        nonce: row.get::<i64, _>("nonce") as u64,
        seed_commitment: row.get("commitment"),
        client_seed: row.get("client_seed"),
    }
}

/// History queries over the read pool.
#[derive(Clone, Debug)]
pub struct History {
    pool: AnyPool,
}

impl History {
    /// Queries over `pool`.
    pub fn new(pool: AnyPool) -> History {
        History { pool }
    }

    /// The player's latest bets, newest first. With `revealed_only`, only bets whose server
    /// seed has been revealed (verifiable now).
    pub async fn bets(
        &self,
        player: PlayerId,
        revealed_only: bool,
    ) -> Result<Vec<BetRecord>, sqlx::Error> {
        let sql = format!(
            "SELECT {DICE_BET_COLUMNS}, b.created_at, \
                    CASE WHEN s.revealed_at IS NULL THEN NULL ELSE s.server_seed END AS server_seed \
             FROM dice_bets b JOIN server_seeds s ON s.id = b.seed_id \
             WHERE b.user_id = $1 AND ($2 = 0 OR s.revealed_at IS NOT NULL) \
             ORDER BY b.id DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(player.0)
            .bind(i64::from(revealed_only))
            .bind(HISTORY_ROWS_MAX)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| BetRecord {
                bet: dice_bet_view(&row),
                server_seed: row.get("server_seed"),
                created_ms: row.get("created_at"),
            })
            .collect())
    }

    /// The player's latest ledger transactions with their effect on the player's balance.
    pub async fn transactions(&self, player: PlayerId) -> Result<Vec<TxRecord>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT t.id, t.kind, t.bet_id, t.created_at, \
                    COALESCE((SELECT e.amount FROM entries e JOIN accounts a ON a.id = e.account_id \
                              WHERE e.tx_id = t.id AND a.user_id = t.user_id), 0) AS amount \
             FROM ledger_txs t WHERE t.user_id = $1 ORDER BY t.id DESC LIMIT $2",
        )
        .bind(player.0)
        .bind(HISTORY_ROWS_MAX)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| TxRecord {
                id: row.get("id"),
                kind: row.get("kind"),
                amount: Cents(row.get("amount")),
                bet: row.get::<Option<i64>, _>("bet_id").map(BetId),
                created_ms: row.get("created_at"),
            })
            .collect())
    }

    /// Everyone's latest settled dice bets, newest first, as the public feed shows them.
    pub async fn stored_feed(&self) -> Result<Vec<FeedBet>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT b.id, u.username, b.amount, b.target, b.roll, b.payout \
             FROM dice_bets b JOIN users u ON u.id = b.user_id ORDER BY b.id DESC LIMIT $1",
        )
        .bind(FEED_BETS_SHOWN as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| FeedBet {
                id: BetId(row.get("id")),
                username: row.get("username"),
                amount: Cents(row.get("amount")),
                target: row.get::<i64, _>("target") as u32,
                roll: row.get::<i64, _>("roll") as u32,
                payout: Cents(row.get("payout")),
            })
            .collect())
    }

    /// How many dice bets are stored.
    pub async fn bet_count(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM dice_bets")
            .fetch_one(&self.pool)
            .await
    }

    /// The sum of every account's balance, which double entry keeps at zero.
    pub async fn ledger_sum(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM accounts")
            .fetch_one(&self.pool)
            .await
    }

    /// Transactions whose entries do not sum to zero (always empty unless the ledger is broken).
    pub async fn unbalanced_transactions(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT tx_id FROM entries GROUP BY tx_id HAVING SUM(amount) <> 0) AS t",
        )
        .fetch_one(&self.pool)
        .await
    }

    /// Whether every account's balance equals the sum of its entries.
    pub async fn balances_match_entries(&self) -> Result<bool, sqlx::Error> {
        let mismatched: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts a \
             WHERE a.balance <> COALESCE((SELECT SUM(e.amount) FROM entries e WHERE e.account_id = a.id), 0)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(mismatched == 0)
    }
}
