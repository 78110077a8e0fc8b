//! The database: SQLite in WAL mode with `synchronous=FULL` (durable on commit). One pool serves
//! reads and the rare non-ledger writes (users, sessions); the ledger writer owns a dedicated
//! connection so its group commits never wait for a pool slot.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// How long a statement waits for another writer's lock before failing (5 s).
const BUSY_TIMEOUT_MS: u64 = 5_000;
/// How often committed WAL pages are copied back into the database file (1 s).
const CHECKPOINT_INTERVAL_MS: u64 = 1_000;
/// Read connections in the pool.
const POOL_CONNECTIONS_MAX: u32 = 8;

/// Failure to open or migrate the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL could not be parsed or the file could not be opened.
    #[error("cannot open database: {0}")]
    Open(#[from] sqlx::Error),
    /// A migration failed.
    #[error("cannot migrate database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connections to the source of truth.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    options: SqliteConnectOptions,
}

impl Store {
    /// Opens (creating if missing) and migrates the database at `url`, e.g.
    /// `sqlite://data/zerolag.db`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS));
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_CONNECTIONS_MAX)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool, options })
    }

    /// The shared pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A dedicated connection for the ledger writer. It never checkpoints the WAL itself (the
    /// copy back into the main file would stall every group commit that triggers it);
    /// [`Store::spawn_checkpointer`] does that work beside it.
    pub async fn writer_connection(&self) -> Result<SqliteConnection, sqlx::Error> {
        self.options
            .clone()
            .pragma("wal_autocheckpoint", "0")
            .connect()
            .await
    }

    /// Copies committed WAL pages back into the database file every
    /// [`CHECKPOINT_INTERVAL_MS`] from a pool connection, without blocking the writer
    /// (`PASSIVE`), until the returned token is cancelled.
    pub fn spawn_checkpointer(&self) -> tokio_util::sync::CancellationToken {
        let stop = tokio_util::sync::CancellationToken::new();
        let (pool, stopped) = (self.pool.clone(), stop.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(CHECKPOINT_INTERVAL_MS));
            loop {
                tokio::select! {
                    _ = stopped.cancelled() => break,
                    _ = tick.tick() => {
                        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                            tracing::warn!(%error, "WAL checkpoint failed; retrying at the next tick");
                        }
                    }
                }
            }
        });
        stop
    }
}

/// Milliseconds since the Unix epoch, the unit of every stored time.
pub fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
