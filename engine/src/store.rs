//! The database, the source of truth: an embedded SQLite file by default, or PostgreSQL when the
//! operator runs several nodes.
//!
//! Both share one schema, migrated from a folder per backend (`migrations/sqlite`,
//! `migrations/postgres`, the same versions in each), and one SQL dialect for everything but the
//! ledger writer's batches: `$N` placeholders (SQLite accepts them too) and types both know
//! (`BIGINT` integers, `TEXT`). Reads and the rare writes outside the ledger (users, sessions,
//! chains) go through one [`AnyPool`]; the ledger writer owns a dedicated connection of the
//! backend's own type, because its batches are written differently on each (`ledger/writer.rs`).
//!
//! SQLite runs in WAL mode with `synchronous=FULL` (durable on commit); PostgreSQL with the
//! server's own settings (durable with `synchronous_commit=on`, its default).

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor, SqliteConnection};
use std::str::FromStr;
use std::time::Duration;

/// How long a SQLite statement waits for another writer's lock before failing (5 s).
const BUSY_TIMEOUT_MS: u64 = 5_000;
/// Connections in the shared pool.
const POOL_CONNECTIONS_MAX: u32 = 8;
/// How long a command waits for a pool connection before failing with a storage error (5 s):
/// when PostgreSQL is down, callers get a clear retryable error instead of waiting forever.
const POOL_ACQUIRE_TIMEOUT_MS: u64 = 5_000;

/// Failure to open or migrate the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL could not be parsed or the database could not be reached.
    #[error("cannot open database: {0}")]
    Open(#[from] sqlx::Error),
    /// A migration failed.
    #[error("cannot migrate database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names a database this build does not know.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/NAME")]
    Scheme(String),
}

/// Which database holds the data, with what the ledger writer connects with.
#[derive(Clone, Debug)]
pub enum Backend {
    /// An embedded SQLite file (the default).
    Sqlite(SqliteConnectOptions),
    /// A PostgreSQL server, which several nodes may share.
    Postgres(PgConnectOptions),
}

/// The ledger writer's own connection.
pub enum WriterConnection {
    /// On SQLite.
    Sqlite(SqliteConnection),
    /// On PostgreSQL.
    Postgres(PgConnection),
}

#[cfg(test)]
impl WriterConnection {
    /// The SQLite connection (tests of SQLite's own writer parts).
    pub fn sqlite(self) -> SqliteConnection {
        match self {
            WriterConnection::Sqlite(conn) => conn,
            WriterConnection::Postgres(_) => panic!("a SQLite store"),
        }
    }
}

/// Connections to the source of truth.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens and migrates the database at `url`: `sqlite://data/zerolag.db` (created if
    /// missing) or `postgres://user:password@host:5432/name` (the database must exist).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite(sqlite_options(url)?)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres(PgConnectOptions::from_str(url)?)
        } else {
            return Err(StoreError::Scheme(url.to_owned()));
        };
        if let Backend::Sqlite(options) = &backend {
            // Creates the file and switches it to WAL (a setting the file keeps) before the
            // pool, whose connections are opened from the URL alone, touches it.
            options.connect().await?.close().await?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(POOL_CONNECTIONS_MAX)
            .acquire_timeout(Duration::from_millis(POOL_ACQUIRE_TIMEOUT_MS))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        conn.execute(sqlite_pool_pragmas().as_str()).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(AnyConnectOptions::from_str(url)?)
            .await?;
        match &backend {
            Backend::Sqlite(_) => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres(_) => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        Ok(Store { pool, backend })
    }

    /// The shared pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// A dedicated connection for the ledger writer (on SQLite it also runs the WAL
    /// checkpoints, `ledger/checkpoint.rs`).
    pub async fn writer_connection(&self) -> Result<WriterConnection, sqlx::Error> {
        Ok(match &self.backend {
            Backend::Sqlite(options) => {
                let kept = crate::ledger::WAL_FILE_BYTES_KEPT.to_string();
                let conn = options
                    .clone()
                    .pragma("journal_size_limit", kept)
                    .connect()
                    .await?;
                WriterConnection::Sqlite(conn)
            }
            Backend::Postgres(options) => WriterConnection::Postgres(options.connect().await?),
        })
    }
}

/// What every pooled SQLite connection runs first (a SQLite URL carries no settings): the
/// writer's settings, except that no pool connection checkpoints on its own commits (the ledger
/// writer schedules them).
fn sqlite_pool_pragmas() -> String {
    format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; \
         PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA wal_autocheckpoint = 0;"
    )
}

fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
        .pragma("wal_autocheckpoint", "0"))
}

/// A fresh, migrated SQLite database in a temporary directory (kept while the directory
/// lives), for tests.
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
