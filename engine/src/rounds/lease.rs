//! One driver per round game across the nodes sharing a PostgreSQL database: the node that holds
//! the game's lease, a PostgreSQL session advisory lock on a connection of its own.
//!
//! The lock lasts as long as that connection: when the node dies (even `kill -9`) the server
//! ends its session and frees the lock, and the next node to try takes it (they try every
//! [`ROUND_LEASE_CHECK_MS`]), so another node drives the game within about a second. The holder
//! checks its connection at the same pace and stops driving at once when it is gone. What a
//! deposed driver might still send is fenced by the database: a round moves on only from the
//! phase it was in, and only bets still open are settled (`ledger/rows.rs`).

use crate::limits::ROUND_LEASE_CHECK_MS;
use crate::store::{Store, WriterConnection};
use protocol::Game;
use sqlx::PgConnection;
use std::time::Duration;

/// A held lease.
pub struct Lease {
    conn: PgConnection,
}

/// The advisory lock's key for a game: a fixed 64-bit number from its name (FNV-1a), the same
/// on every node.
fn key(game: Game) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("zerolag:round-driver:{}", game.as_str()).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

impl Lease {
    /// Waits until this node holds the game's lease.
    pub async fn acquire(store: &Store, game: Game) -> Lease {
        let wait = Duration::from_millis(ROUND_LEASE_CHECK_MS);
        loop {
            match try_acquire(store, game).await {
                Ok(Some(lease)) => return lease,
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, game = game.as_str(), "cannot try the round lease")
                }
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Resolves when the lease is lost (its connection failed).
    pub async fn lost(mut self) {
        let wait = Duration::from_millis(ROUND_LEASE_CHECK_MS);
        loop {
            tokio::time::sleep(wait).await;
            if let Err(error) = sqlx::query("SELECT 1").execute(&mut self.conn).await {
                tracing::error!(%error, "lost the round lease");
                return;
            }
        }
    }
}

/// The game's lease if no node holds it now.
pub async fn try_acquire(store: &Store, game: Game) -> Result<Option<Lease>, sqlx::Error> {
    let WriterConnection::Postgres(mut conn) = store.writer_connection().await? else {
        return Err(sqlx::Error::Protocol("round leases need PostgreSQL".into()));
    };
    let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key(game))
        .fetch_one(&mut conn)
        .await?;
    Ok(held.then_some(Lease { conn }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_game_has_its_own_fixed_key() {
        assert_ne!(key(Game::Crash), key(Game::Wheel));
        assert_eq!(key(Game::Crash), key(Game::Crash));
    }
}
