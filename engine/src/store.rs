//! The database: SQLite in WAL mode with `synchronous=FULL` (durable on commit). One pool serves
//! reads and the rare non-ledger writes (users, sessions); the ledger writer owns a dedicated
//! connection so its group commits never wait for a pool slot.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// How long a statement waits for another writer's lock before failing (5 s).
const BUSY_TIMEOUT_MS: u64 = 5_000;
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
            .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
            // No connection checkpoints on its own commits: the ledger writer schedules them
            // (`ledger/checkpoint.rs`).
            .pragma("wal_autocheckpoint", "0");
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

    /// A dedicated connection for the ledger writer, which also runs the WAL checkpoints
    /// (`ledger/checkpoint.rs`).
    pub async fn writer_connection(&self) -> Result<SqliteConnection, sqlx::Error> {
        let kept = crate::ledger::WAL_FILE_BYTES_KEPT.to_string();
        self.options
            .clone()
            .pragma("journal_size_limit", kept)
            .connect()
            .await
    }
}

/// A fresh, migrated database in a temporary directory (kept while the directory lives), for
/// tests.
#[cfg(test)]
pub async fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("zerolag.db").display());
    let store = Store::open(&url).await.expect("database");
    (dir, store)
}

/// Milliseconds since the Unix epoch, the unit of every stored time.
pub fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
