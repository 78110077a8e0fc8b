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

/// The variable naming the Kafka-compatible broker the tests run (`tansu`, installed by `make
/// tools-kafka`); `tansu` on the `PATH` when unset.
pub const TANSU_ENV: &str = "ZEROLAG_TEST_TANSU";

/// A private Kafka-compatible broker (`tansu`, in-memory storage) on a port of its own, stopped
/// when dropped. A broker that stops loses its topics and messages, as a new one would have
/// none.
pub struct KafkaBroker {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl KafkaBroker {
    /// A port no broker listens on yet: [`KafkaBroker::start`] brings one up there.
    pub fn reserve() -> KafkaBroker {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("a temporary directory");
        KafkaBroker {
            port,
            dir,
            child: None,
        }
    }

    /// A broker, up and answering.
    pub async fn started() -> KafkaBroker {
        let mut broker = KafkaBroker::reserve();
        broker.start().await;
        broker
    }

    /// `host:port`, as `--kafka-brokers` takes it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the broker on its port and waits until it accepts connections.
    pub async fn start(&mut self) {
        let binary = std::env::var(TANSU_ENV).unwrap_or_else(|_| "tansu".to_owned());
        let url = format!("tcp://{}", self.address());
        // Run from an empty directory: tansu reads a `.env` file from where it starts.
        let child = std::process::Command::new(&binary)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .current_dir(self.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot run the Kafka-compatible test broker `{binary}` ({error}): run \
                     `make tools-kafka`, which installs tansu, or set {TANSU_ENV}"
                )
            });
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(self.address()).await.is_ok() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the test broker did not start on {}", self.address());
    }

    /// Stops the broker (its messages go with it).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for KafkaBroker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An export configuration for `broker` with topics no other test uses.
pub fn export_config(broker: &KafkaBroker) -> crate::export::ExportConfig {
    static PREFIXES: AtomicU32 = AtomicU32::new(0);
    crate::export::ExportConfig {
        brokers: broker.address(),
        topic_prefix: format!("{}.", unique_name("zerolag-test", &PREFIXES)),
        client_id: "zerolag-test".to_owned(),
    }
}

/// Reads `topic` from its beginning (every partition) until `done` says what was read is
/// enough, or `timeout_ms` pass; returns every message's payload, duplicates included.
pub async fn consume(
    brokers: &str,
    topic: &str,
    timeout_ms: u64,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    use rdkafka::consumer::{Consumer, StreamConsumer};
    use rdkafka::{Message, Offset, TopicPartitionList};
    use std::time::{Duration, Instant};
    let consumer: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "zerolag-test")
        .set("enable.auto.commit", "false")
        .create()
        .expect("a consumer");
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    let partitions = loop {
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(5));
        if let Ok(metadata) = metadata {
            let count = metadata
                .topics()
                .first()
                .map_or(0, |t| t.partitions().len());
            if count > 0 {
                break count;
            }
        }
        assert!(Instant::now() < deadline, "topic {topic} never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        assignment
            .add_partition_offset(topic, partition as i32, Offset::Beginning)
            .expect("a partition");
    }
    consumer.assign(&assignment).expect("assigned");
    let mut read = Vec::new();
    while !done(&read) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, consumer.recv()).await {
            Ok(Ok(message)) => {
                let payload = message.payload().expect("a payload");
                read.push(serde_json::from_slice(payload).expect("JSON"));
            }
            Ok(Err(error)) => panic!("consuming {topic}: {error}"),
            Err(_) => break,
        }
    }
    read
}
