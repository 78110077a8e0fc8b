//! What the engine's tests share: a fresh database on either backend, and a way to run one
//! test on each.
#![allow(dead_code)]

use engine::Engine;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Db {
    /// A SQLite file in a fresh temporary directory.
    Sqlite,
    /// A fresh database on the private PostgreSQL server `make unit` starts.
    Postgres,
}

/// A fresh database's URL, and the directory that holds it (SQLite) until it is dropped.
pub async fn database(db: Db) -> (String, Option<tempfile::TempDir>) {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/test.db", dir.path().display());
            (url, Some(dir))
        }
        Db::Postgres => (engine::testing::postgres_database().await, None),
    }
}

/// An engine without round games on a fresh database.
pub async fn fresh_engine(db: Db) -> (Engine, Option<tempfile::TempDir>) {
    let (url, dir) = database(db).await;
    (Engine::start(&url).await.unwrap(), dir)
}

/// The address tests register and log in from.
pub const IP: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// Registers `name` and returns the new player.
pub async fn player(engine: &Engine, name: &str) -> protocol::PlayerId {
    let (session, _) = engine
        .accounts()
        .register(name, "password1", IP)
        .await
        .unwrap();
    session.player.id
}

/// Runs each named `async fn(Db)` as two tests, `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_each_database {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::common::Db::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::common::Db::Postgres).await
                }
            )*
        }
    };
}
