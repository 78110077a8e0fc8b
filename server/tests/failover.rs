//! Failover: two node processes on one PostgreSQL database and one Redis; the node driving the
//! crash game is killed (SIGKILL) in the middle of a round. The other takes the game over within
//! 5 s, applies the recovery rule to the interrupted round (its open bets are refunded, once),
//! and its players play on.

mod common;

use common::Ws;
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Longest a node may take to drive the game after its driver died (what operators are told).
const TAKEOVER_MAX: Duration = Duration::from_secs(5);

struct Node {
    addr: String,
    process: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl Node {
    async fn start(database: &str, redis: &str, prefix: &str) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap().to_string();
        drop(free);
        let process = tokio::process::Command::new(env!("CARGO_BIN_EXE_zerolag"))
            .args([
                "--addr",
                &addr,
                "--database-url",
                database,
                "--redis-url",
                redis,
            ])
            .args(["--redis-prefix", prefix, "--log", "warn"])
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--site-root")
            .arg(dir.path())
            .env("ZEROLAG_CRASH_BETTING_MS", "1500")
            .env("ZEROLAG_CRASH_INTERMISSION_MS", "200")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let node = Node {
            addr,
            process,
            _dir: dir,
        };
        for _ in 0..400 {
            let ready = reqwest::get(format!("http://{}/readyz", node.addr)).await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return node;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the node did not become ready");
    }

    async fn register(&self, username: &str) -> String {
        let response = reqwest::Client::new()
            .post(format!("http://{}/auth/register", self.addr))
            .header("accept", "application/json")
            .form(&[("username", username), ("password", "password1")])
            .send()
            .await
            .unwrap();
        common::session_token(&response).expect("registration sets the session cookie")
    }

    async fn ws(&self, token: &str) -> Ws {
        let url = format!("ws://{}/ws", self.addr);
        Ws::connect(&url, Some(token), None).await.unwrap()
    }
}

fn round_in(frame: &Value, phase: &str) -> bool {
    (frame["type"] == "crash_round" || frame["type"] == "crash_state")
        && frame["round"]["phase"] == phase
}

#[tokio::test]
async fn when_the_driving_node_dies_another_takes_over_and_recovers_the_round() {
    let database = engine::testing::postgres_database().await;
    let (redis, prefix) = engine::testing::redis();
    // The first node takes the game's lease; the second waits for it.
    let mut driver = Node::start(&database, &redis, &prefix).await;
    let other = Node::start(&database, &redis, &prefix).await;
    let token = other.register("frank").await;
    let mut ws = other.ws(&token).await;

    // A bet placed through the node that does not drive, then the driver dies mid-round.
    let round = loop {
        let round = ws.until(|f| round_in(f, "betting")).await["round"]["id"].clone();
        let bet = json!({"type": "crash_bet", "idem": "held", "amount": 2_500, "auto_cashout_x100": null});
        let placed = ws.call(bet).await;
        if placed["type"] == "ack" {
            assert_eq!(placed["result"]["round"], round);
            break round;
        }
        assert_eq!(placed["code"], "betting_closed", "{placed}");
    };
    ws.until(|f| f["type"] == "crash_tick" && f["round"] == round)
        .await;
    driver.process.start_kill().unwrap();
    driver.process.wait().await.unwrap();
    let killed = Instant::now();

    // The other node drives from now on: a new round opens for its players.
    let next = ws
        .until(|f| round_in(f, "betting") && f["round"]["id"].as_i64() > round.as_i64())
        .await;
    let took = killed.elapsed();
    println!("the other node drove the game {took:?} after the driver died");
    assert!(took <= TAKEOVER_MAX, "took {took:?}");

    // The interrupted round was recovered once: the bet refunded, the ledger whole.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database).await.unwrap();
    let phase: String = sqlx::query_scalar("SELECT phase FROM rounds WHERE id = $1")
        .bind(round.as_i64().unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM round_bets WHERE round_id = $1")
        .bind(round.as_i64().unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    let sum: i64 = sqlx::query_scalar("SELECT CAST(SUM(balance) AS BIGINT) FROM accounts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        (phase.as_str(), status.as_str(), sum),
        ("interrupted", "voided", 0)
    );
    let again = other.ws(&token).await;
    assert_eq!(again.welcome["balance"], 100_000, "the stake came back");

    // Play goes on through the node that took over.
    let bet =
        json!({"type": "crash_bet", "idem": "after", "amount": 100, "auto_cashout_x100": null});
    let placed = ws.call(bet).await;
    assert!(
        placed["type"] == "ack" || placed["code"] == "betting_closed",
        "{placed}"
    );
    assert!(next["round"]["id"].as_i64() > round.as_i64());
}
