//! Recovery after `kill -9`: the real `zerolag` binary is killed in the middle of a crash round
//! with an acknowledged cash-out and an open bet, then restarted on the same database.

mod common;

use common::Ws;
use futures::StreamExt;
use serde_json::{json, Value};
use sqlx::any::AnyPoolOptions;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Attempts at catching a round still running right after a cash-out (a round that crashes
/// first is simply played again).
const ATTEMPTS_MAX: usize = 8;

struct Server {
    child: Child,
    addr: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(data: &std::path::Path) -> Server {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_zerolag"))
        .args([
            "--addr",
            &addr,
            "--data-dir",
            data.to_str().unwrap(),
            "--log",
            "warn",
        ])
        .env("ZEROLAG_CRASH_BETTING_MS", "1500")
        .env("ZEROLAG_CRASH_INTERMISSION_MS", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned by the Server from here on: dropped (also on a panic), it is killed and reaped.
    let server = Server { child, addr };
    let health = format!("http://{}/healthz", server.addr);
    for _ in 0..600 {
        if reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not start");
}

impl Server {
    /// `kill -9` and reap.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn register(server: &Server, name: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("http://{}/auth/register", server.addr))
        .header("accept", "application/json")
        .form(&[("username", name), ("password", "password1")])
        .send()
        .await
        .unwrap();
    common::session_token(&response).expect("registration sets the session cookie")
}

async fn connect(server: &Server, token: &str) -> Ws {
    let mut request = format!("ws://{}/ws", server.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "cookie",
        HeaderValue::from_str(&format!("zl_session={token}")).unwrap(),
    );
    let (stream, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut ws = Ws::from_stream(stream);
    let welcome = ws.next().await;
    ws.welcome = welcome;
    ws
}

async fn pool(data: &std::path::Path) -> sqlx::AnyPool {
    let url = format!("sqlite://{}/zerolag.db", data.display());
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap()
}

fn is_phase(frame: &Value, phase: &str) -> bool {
    (frame["type"] == "crash_round" || frame["type"] == "crash_state")
        && frame["round"]["phase"] == phase
}

/// Plays crash rounds (alice cashes out, bob stays in) and kills the server right after the
/// cash-out, until a round is left interrupted by the kill. Returns that round, alice's
/// cash-out reply and how many rounds were tried.
async fn kill_mid_round(
    server: &mut Server,
    data: &std::path::Path,
    alice: &str,
    bob: &str,
) -> (Value, Value, usize) {
    for attempt in 1..=ATTEMPTS_MAX {
        let (mut a, mut b) = (connect(server, alice).await, connect(server, bob).await);
        let betting = a
            .until(|f| {
                is_phase(f, "betting") && f["round"]["betting_left_ms"].as_u64().unwrap() > 500
            })
            .await;
        let round = betting["round"]["id"].clone();
        for (ws, idem, amount) in [(&mut a, "a", 1_000), (&mut b, "b", 3_000)] {
            let bet =
                json!({"type": "crash_bet", "idem": format!("{idem}{attempt}"), "amount": amount});
            assert_eq!(ws.call(bet).await["type"], "ack");
        }
        a.until(|f| {
            f["type"] == "crash_round"
                && f["round"]["id"] == round
                && f["round"]["phase"] == "running"
        })
        .await;
        let cashed = a.call(json!({"type": "crash_cash_out"})).await;
        // Kill at once, before the round can end on its own.
        server.kill();
        drop((a.stream.close(None).await, b.stream.next().await));
        // Restart on the same data; recovery runs before the server listens.
        *server = start(data).await;
        let phase: String = sqlx::query_scalar("SELECT phase FROM rounds WHERE id = ?")
            .bind(round.as_i64().unwrap())
            .fetch_one(&pool(data).await)
            .await
            .unwrap();
        // A round that crashed before the kill was settled normally: play another one.
        if cashed["type"] == "ack" && phase != "ended" {
            assert_eq!(phase, "interrupted");
            return (round, cashed, attempt);
        }
    }
    panic!("no round outlived a cash-out");
}

/// The status and payout of a player's bet in a round.
async fn bet_of(pool: &sqlx::AnyPool, username: &str, round: &Value) -> (String, Option<i64>) {
    sqlx::query_as(
        "SELECT status, payout FROM round_bets b JOIN users u ON u.id = b.user_id WHERE u.username = ? AND b.round_id = ?",
    )
    .bind(username)
    .bind(round.as_i64().unwrap())
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn after_kill_9_acknowledged_cash_outs_stand_and_open_bets_are_refunded() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let (alice, bob) = (
        register(&server, "alice").await,
        register(&server, "bob").await,
    );
    let (round, cashed, attempts) = kill_mid_round(&mut server, dir.path(), &alice, &bob).await;
    let pool = pool(dir.path()).await;
    let payout = cashed["result"]["payout"].as_i64().unwrap();
    let a = connect(&server, &alice).await;
    let balance = a.welcome["balance"].as_i64().unwrap();
    // Alice paid at most 10.00 in each earlier attempt and was paid this round's cash-out.
    assert!(
        balance >= 100_000 - 1_000 * attempts as i64 + payout,
        "{balance}"
    );
    assert_eq!(bet_of(&pool, "bob", &round).await.0, "voided");
    assert_eq!(
        bet_of(&pool, "alice", &round).await,
        ("cashed".to_owned(), Some(payout))
    );
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM rounds WHERE phase IN ('betting', 'running') AND id <= ?",
    )
    .bind(round.as_i64().unwrap())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(open, 0);
    let stray = engine::rounds::open_bets_in_finished_rounds(&pool)
        .await
        .unwrap();
    assert!(stray.is_empty(), "open bets in finished rounds: {stray:?}");
    let audits: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE kind = 'round_interrupted'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(audits >= 1);
    let sum: i64 = sqlx::query_scalar("SELECT SUM(balance) FROM accounts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sum, 0);
}
