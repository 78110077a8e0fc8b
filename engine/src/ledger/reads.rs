//! Committed wallet state read straight from the database. Reads never queue behind the
//! writer's group commits: SQLite in WAL mode lets readers see the last committed state while
//! the writer writes, and the writer adopts (and acknowledges) a batch only after its commit, so
//! a read that follows an acknowledgement sees it.

use super::results::WalletSnapshot;
use protocol::wire::SeedView;
use protocol::{Cents, PlayerId};
use sqlx::{AnyPool, Row};

/// The player's committed balance and active seed pair; `None` without a wallet.
pub async fn snapshot(
    pool: &AnyPool,
    player: PlayerId,
) -> Result<Option<WalletSnapshot>, sqlx::Error> {
    // One statement, so balance and seed come from the same committed state.
    let row = sqlx::query(
        "SELECT a.balance, s.commitment, s.client_seed, \
                (SELECT COALESCE(MAX(nonce) + 1, 0) FROM dice_bets b WHERE b.seed_id = s.id) AS next_nonce \
         FROM accounts a JOIN server_seeds s ON s.user_id = a.user_id AND s.revealed_at IS NULL \
         WHERE a.user_id = $1",
    )
    .bind(player.0)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| WalletSnapshot {
        balance: Cents(row.get("balance")),
        seed: SeedView {
            commitment: row.get("commitment"),
            client_seed: row.get("client_seed"),
            next_nonce: row.get::<i64, _>("next_nonce") as u64,
        },
    }))
}
