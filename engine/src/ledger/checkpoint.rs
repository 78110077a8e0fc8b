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
//!    meanwhile on its own connection (a millisecond or two), and its next commit starts the
//!    WAL over.

use sqlx::{SqliteConnection, SqlitePool};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How often committed WAL pages are copied back into the database file (250 ms).
const CHECKPOINT_INTERVAL_MS: u64 = 250;
/// Copies what it can without waiting for readers or the writer.
const CHECKPOINT_SQL: &str = "PRAGMA wal_checkpoint(PASSIVE)";

pub struct Checkpointer {
    pool: SqlitePool,
    copying: Option<JoinHandle<()>>,
    last: Instant,
    /// Whether anything was committed since the last checkpoint started.
    dirty: bool,
}

impl Checkpointer {
    pub fn new(pool: SqlitePool) -> Checkpointer {
        Checkpointer {
            pool,
            copying: None,
            last: Instant::now(),
            dirty: false,
        }
    }

    /// Called by the writer after each batch, with its own connection; `committed`: the batch
    /// wrote rows.
    pub async fn after_batch(&mut self, writer: &mut SqliteConnection, committed: bool) {
        self.dirty |= committed;
        match &self.copying {
            None if self.dirty
                && self.last.elapsed() >= Duration::from_millis(CHECKPOINT_INTERVAL_MS) =>
            {
                self.dirty = false;
                self.last = Instant::now();
                let pool = self.pool.clone();
                self.copying = Some(tokio::spawn(async move {
                    if let Err(error) = sqlx::query(CHECKPOINT_SQL).execute(&pool).await {
                        tracing::warn!(%error, "WAL checkpoint failed; retrying at the next interval");
                    }
                }));
            }
            Some(copying) if copying.is_finished() => {
                self.copying = None;
                if let Err(error) = sqlx::query(CHECKPOINT_SQL).execute(writer).await {
                    tracing::warn!(%error, "WAL checkpoint of the last frames failed");
                }
            }
            _ => {}
        }
    }
}
