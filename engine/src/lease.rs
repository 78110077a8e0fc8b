//! Jobs that one node of the cluster does at a time, among the nodes sharing a PostgreSQL
//! database: driving a round game, relaying the export outbox to Kafka. The node that does a
//! job holds its lease, a PostgreSQL session advisory lock on a connection of its own.
//!
//! The lock lasts as long as that connection: when the node dies (even `kill -9`) the server
//! ends its session and frees the lock, and the next node to try takes it (they try every
//! [`LEASE_CHECK_MS`]), so another node takes the job over within about a second. The holder
//! checks its connection at the same pace and stops at once when it is gone. What a deposed
//! round driver might still send is fenced by the database: a round moves on only from the
//! phase it was in, and only bets still open are settled (`ledger/rows.rs`); a deposed relay
//! can only send a message twice, which the export allows (at least once).

use crate::limits::LEASE_CHECK_MS;
use crate::store::{Store, WriterConnection};
use protocol::Game;
use sqlx::PgConnection;
use std::time::Duration;

/// A job that one node does at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Driving a round game's rounds.
    RoundDriver(Game),
    /// Sending the export outbox to Kafka.
    ExportRelay,
}

impl Job {
    fn name(self) -> String {
        match self {
            Job::RoundDriver(game) => format!("zerolag:round-driver:{}", game.as_str()),
            Job::ExportRelay => "zerolag:export-relay".to_owned(),
        }
    }
}

/// A held lease.
pub struct Lease {
    conn: PgConnection,
}

/// The advisory lock's key for a job: a fixed 64-bit number from its name (FNV-1a), the same
/// on every node.
fn key(job: Job) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in job.name().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

impl Lease {
    /// Waits until this node holds the job's lease.
    pub async fn acquire(store: &Store, job: Job) -> Lease {
        let wait = Duration::from_millis(LEASE_CHECK_MS);
        loop {
            match try_acquire(store, job).await {
                Ok(Some(lease)) => return lease,
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, ?job, "cannot try the lease"),
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Resolves when the lease is lost (its connection failed).
    pub async fn lost(mut self) {
        let wait = Duration::from_millis(LEASE_CHECK_MS);
        loop {
            tokio::time::sleep(wait).await;
            if let Err(error) = sqlx::query("SELECT 1").execute(&mut self.conn).await {
                tracing::error!(%error, "lost a lease");
                return;
            }
        }
    }
}

/// The job's lease if no node holds it now.
pub async fn try_acquire(store: &Store, job: Job) -> Result<Option<Lease>, sqlx::Error> {
    let WriterConnection::Postgres(mut conn) = store.writer_connection().await? else {
        return Err(sqlx::Error::Protocol("leases need PostgreSQL".into()));
    };
    let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key(job))
        .fetch_one(&mut conn)
        .await?;
    Ok(held.then_some(Lease { conn }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_job_has_its_own_fixed_key() {
        let crash = Job::RoundDriver(Game::Crash);
        let keys = [crash, Job::RoundDriver(Game::Wheel), Job::ExportRelay].map(key);
        assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2]);
        assert_eq!(key(crash), key(crash));
    }
}
