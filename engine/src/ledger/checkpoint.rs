//! WAL checkpoints for the ledger writer: copying committed pages from the WAL back into the
//! database file, in two steps, so that group commits never wait for the bulk of the copy and
//! the WAL still starts over instead of growing.
//!
//! SQLite starts the WAL over only when a checkpoint has copied every frame in it. A checkpoint
//! on another connection never gets there under load: the writer appends while it copies (the
//! WAL reached 745 MB after 10 s at 5,000 bets/s). One run by the writer itself gets there, but
//! stalls the commits behind it for the whole copy (tens of milliseconds once a second). So:
//! 1. every [`CHECKPOINT_INTERVAL_MS`], a checkpoint starts on a pool connection beside the
//!    writer and copies what is in the WAL at that moment;
//! 2. when it is done, the writer, between two batches, checkpoints the few frames committed
//!    meanwhile on its own connection, and its next commit starts the WAL over. While a reader
//!    still needs older frames this step cannot finish; the writer tries again after its next
//!    batch, and after two intervals starts over at step 1.
//!
//! The writer also wakes every interval while no command comes, so checkpoints go on when it is
//! idle (the pool's own writes, sessions and users, never checkpoint: `store.rs`). The WAL file
//! is cut back to [`WAL_FILE_BYTES_KEPT`] when it starts over.

use sqlx::{AnyPool, SqliteConnection};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How often committed WAL pages are copied back into the database file (250 ms).
const CHECKPOINT_INTERVAL_MS: u64 = 250;
/// The size the WAL file is cut back to when it starts over (64 MiB).
pub const WAL_FILE_BYTES_KEPT: u64 = 64 * 1024 * 1024;
/// Copies what it can without waiting for readers or the writer; answers (busy, frames in the
/// WAL, frames copied).
const CHECKPOINT_SQL: &str = "PRAGMA wal_checkpoint(PASSIVE)";

enum Step {
    /// Nothing under way.
    Idle,
    /// Step 1: the bulk, on a pool connection.
    Copying(JoinHandle<()>),
    /// Step 2: the rest, on the writer's connection, until every frame is copied.
    CatchingUp,
}

pub struct Checkpointer {
    pool: AnyPool,
    step: Step,
    /// When step 1 last started.
    started: Instant,
}

impl Checkpointer {
    pub fn new(pool: AnyPool) -> Checkpointer {
        Checkpointer {
            pool,
            step: Step::Idle,
            started: Instant::now(),
        }
    }

    /// How long the writer waits for a command before calling [`Checkpointer::tick`] anyway.
    pub fn idle_wait(&self) -> Duration {
        Duration::from_millis(CHECKPOINT_INTERVAL_MS)
    }

    /// Called by the writer between batches (and when idle), with its own connection.
    pub async fn tick(&mut self, writer: &mut SqliteConnection) {
        let interval = Duration::from_millis(CHECKPOINT_INTERVAL_MS);
        match &self.step {
            Step::Idle if self.started.elapsed() >= interval => {
                self.started = Instant::now();
                let pool = self.pool.clone();
                self.step = Step::Copying(tokio::spawn(async move {
                    if let Err(error) = sqlx::query(CHECKPOINT_SQL).execute(&pool).await {
                        tracing::warn!(%error, "WAL checkpoint failed; retrying at the next interval");
                    }
                }));
            }
            Step::Copying(copying) if copying.is_finished() => {
                self.step = Step::CatchingUp;
                self.catch_up(writer).await;
            }
            Step::CatchingUp if self.started.elapsed() >= 2 * interval => {
                // Readers kept older frames in use for long: copy afresh beside the writer.
                self.step = Step::Idle;
            }
            Step::CatchingUp => self.catch_up(writer).await,
            _ => {}
        }
    }

    async fn catch_up(&mut self, writer: &mut SqliteConnection) {
        match sqlx::query_as::<_, (i64, i64, i64)>(CHECKPOINT_SQL)
            .fetch_one(writer)
            .await
        {
            // A reader still needs older frames: again after the next batch.
            Ok((_, frames, copied)) if copied < frames => {}
            Ok(_) => self.step = Step::Idle,
            Err(error) => {
                tracing::warn!(%error, "WAL checkpoint of the last frames failed");
                self.step = Step::Idle;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_store;

    async fn insert(conn: &mut SqliteConnection) {
        sqlx::query("INSERT INTO audit_log (kind, detail, created_at) VALUES ('test', '{}', 0)")
            .execute(conn)
            .await
            .unwrap();
    }

    /// Frames in the WAL, from a checkpoint that copies nothing new (the writer holds no lock).
    async fn wal_frames(conn: &mut SqliteConnection) -> i64 {
        let (_, frames, _): (i64, i64, i64) = sqlx::query_as(CHECKPOINT_SQL)
            .fetch_one(conn)
            .await
            .unwrap();
        frames
    }

    #[tokio::test]
    async fn the_wal_starts_over_once_both_steps_ran() {
        let (_dir, store) = temp_store().await;
        let mut writer = store.writer_connection().await.unwrap().sqlite();
        for _ in 0..200 {
            insert(&mut writer).await;
        }
        let mut checkpoints = Checkpointer::new(store.pool().clone());
        tokio::time::sleep(checkpoints.idle_wait()).await;
        checkpoints.tick(&mut writer).await;
        assert!(
            matches!(checkpoints.step, Step::Copying(_)),
            "step 1 starts"
        );
        // The writer goes on committing while step 1 copies: step 2 has to copy these.
        for _ in 0..50 {
            insert(&mut writer).await;
        }
        for _ in 0..500 {
            if matches!(checkpoints.step, Step::Idle) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            checkpoints.tick(&mut writer).await;
        }
        assert!(matches!(checkpoints.step, Step::Idle), "both steps ran");
        // Everything was copied: the next commit writes from the start of the WAL again.
        insert(&mut writer).await;
        let frames = wal_frames(&mut writer).await;
        assert!(frames < 10, "the WAL started over ({frames} frames)");
    }
}
