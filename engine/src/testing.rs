//! For tests of this and other crates: fresh PostgreSQL databases on the private server that
//! `make test` starts (`tools/with-postgres.sh`, which exports [`POSTGRES_ENV`]).

use sqlx::{Connection, Executor, PgConnection};
use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the test server's maintenance database,
/// `postgres://USER@HOST:PORT/postgres`.
pub const POSTGRES_ENV: &str = "ZEROLAG_TEST_POSTGRES";

/// Creates an empty database on the test server and returns its URL. Panics with what to do
/// when no test server is configured: a test meant for PostgreSQL must never pass without it.
pub async fn postgres_database() -> String {
    static CREATED: AtomicU32 = AtomicU32::new(0);
    let admin = service_url(POSTGRES_ENV, "PostgreSQL", "tools/with-postgres.sh");
    let name = unique_name("zerolag_test", &CREATED);
    let mut conn = PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|error| panic!("cannot reach the test PostgreSQL at {admin}: {error}"));
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|error| panic!("cannot create database {name}: {error}"));
    let (server, _) = admin
        .rsplit_once('/')
        .unwrap_or_else(|| panic!("{POSTGRES_ENV} must end with /DATABASE: {admin}"));
    format!("{server}/{name}")
}

/// The variable naming the test Redis server, `redis://HOST:PORT` (`tools/with-redis.sh`).
pub const REDIS_ENV: &str = "ZEROLAG_TEST_REDIS";
/// The variable naming a script that restarts the test Redis server, emptied.
pub const REDIS_RESTART_ENV: &str = "ZEROLAG_TEST_REDIS_RESTART";

/// The test Redis server's URL and a prefix no other test uses. Panics with what to do when no
/// test server is configured.
pub fn redis() -> (String, String) {
    static CLUSTERS: AtomicU32 = AtomicU32::new(0);
    let url = service_url(REDIS_ENV, "Redis", "tools/with-redis.sh");
    let prefix = unique_name("zerolag-test", &CLUSTERS).replace('_', "-");
    (url, prefix)
}

/// Restarts the test Redis server, which comes back empty (as one without persistence does).
pub fn restart_redis() {
    let script = std::env::var(REDIS_RESTART_ENV).unwrap_or_else(|_| {
        panic!("{REDIS_RESTART_ENV} is not set: run through tools/with-redis.sh")
    });
    let status = std::process::Command::new(script)
        .status()
        .expect("the restart script runs");
    assert!(status.success(), "Redis came back");
}

/// The variable naming a script that stops and starts the test PostgreSQL server
/// (`tools/with-postgres.sh`): `stop` or `start` as its argument.
pub const POSTGRES_CONTROL_ENV: &str = "ZEROLAG_TEST_POSTGRES_CONTROL";

/// Stops the test PostgreSQL server (its data stays; [`start_postgres`] brings it back).
pub fn stop_postgres() {
    postgres_control("stop");
}

/// Starts the test PostgreSQL server again after [`stop_postgres`].
pub fn start_postgres() {
    postgres_control("start");
}

fn postgres_control(action: &str) {
    let script = std::env::var(POSTGRES_CONTROL_ENV).unwrap_or_else(|_| {
        panic!("{POSTGRES_CONTROL_ENV} is not set: run through tools/with-postgres.sh")
    });
    let status = std::process::Command::new(script)
        .arg(action)
        .status()
        .expect("the control script runs");
    assert!(status.success(), "PostgreSQL {action}");
}

/// The test service named by the variable `env`; panics with what to do when it is not set: a
/// test meant for a service must never pass without it.
fn service_url(env: &str, service: &str, script: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| {
        panic!(
            "this test needs {service}: run it through `make unit`, or prefix the command with \
             {script}, which starts a private server and sets {env}"
        )
    })
}

/// `<prefix>_<process>_<n>`, a name no other test of any running process uses.
fn unique_name(prefix: &str, counter: &AtomicU32) -> String {
    let n = counter.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}
