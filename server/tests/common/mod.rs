//! Test harness: the real server on port 0 with a fresh database, HTTP and WebSocket clients.
#![allow(dead_code)]

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use zerolag::{Config, Running};

/// Upper bound on waiting for any one frame; a hang fails the test instead of blocking CI.
const FRAME_WAIT: Duration = Duration::from_secs(20);

/// Which database a test server runs on.
#[derive(Clone, Copy, Debug)]
pub enum Db {
    /// The embedded default: a SQLite file in the test's temporary directory.
    Sqlite,
    /// A fresh database on the private PostgreSQL server `make unit` starts.
    Postgres,
}

/// What a test server differs in.
#[derive(Default)]
struct Setup {
    database_url: Option<String>,
    /// Redis URL and prefix.
    redis: Option<(String, String)>,
    chain: Option<([u8; 32], usize)>,
    wheel_chain: Option<([u8; 32], usize)>,
    trusted_proxies: Vec<std::net::IpAddr>,
    export: Option<engine::export::ExportConfig>,
    /// `--ws-connections-per-ip` (the default when `None`).
    ws_per_ip: Option<usize>,
    /// `--big-win-cents` (the default when `None`).
    big_win: Option<i64>,
    /// `--risk-suspensions`: off unless a test is about them (tests script bots of their own).
    risk_suspensions: bool,
    /// `--metrics-allow` empty: `/metrics` only with the token (`METRICS_TOKEN`).
    metrics_by_token_only: bool,
    /// `--secure-cookies`: as reached over https.
    secure_cookies: bool,
}

/// Runs `zerolag admin ARGS` on the test server's database; returns its stdout (it must succeed)
/// or its stderr (it must fail).
pub fn admin(app: &TestApp, args: &[&str], succeeds: bool) -> String {
    let data_dir = app.site_root().parent().unwrap().to_path_buf();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_zerolag"))
        .args([
            "--data-dir",
            data_dir.to_str().unwrap(),
            "--log",
            "error",
            "admin",
        ])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.success(), succeeds, "{output:?}");
    let text = if succeeds {
        output.stdout
    } else {
        output.stderr
    };
    String::from_utf8_lossy(&text).into_owned()
}

/// The session token a sign-in's answer sets (`zl_session`, among its cookies), if any.
pub fn session_token(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix("zl_session=")
                .map(|rest| rest.split(';').next().unwrap().to_owned())
        })
        .filter(|t| !t.is_empty())
}

/// The `--metrics-token` of every test server.
pub const METRICS_TOKEN: &str = "scraper-secret";

pub struct TestApp {
    pub running: Running,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with_chains(None, None).await
    }

    /// With a crash chain of known seed, so a test knows every round's crash point.
    pub async fn spawn_with_crash_chain(chain: Option<([u8; 32], usize)>) -> TestApp {
        TestApp::spawn_with_chains(chain, None).await
    }

    /// With chains of known seeds, so a test knows every outcome in advance.
    pub async fn spawn_with_chains(
        chain: Option<([u8; 32], usize)>,
        wheel_chain: Option<([u8; 32], usize)>,
    ) -> TestApp {
        TestApp::spawn_on(Db::Sqlite, chain, wheel_chain).await
    }

    /// On a fresh database of the given kind, with chains of known seeds.
    pub async fn spawn_on(
        db: Db,
        chain: Option<([u8; 32], usize)>,
        wheel_chain: Option<([u8; 32], usize)>,
    ) -> TestApp {
        let database_url = match db {
            Db::Sqlite => None,
            Db::Postgres => Some(engine::testing::postgres_database().await),
        };
        TestApp::spawn_with(Setup {
            database_url,
            chain,
            wheel_chain,
            ..Setup::default()
        })
        .await
    }

    /// Letting each client address hold at most `max` WebSocket connections; a node of a
    /// cluster when `cluster` gives its database, Redis URL and prefix.
    pub async fn spawn_limiting_connections(
        max: usize,
        cluster: Option<(&str, &str, &str)>,
    ) -> TestApp {
        let setup = Setup {
            ws_per_ip: Some(max),
            database_url: cluster.map(|(database, _, _)| database.to_owned()),
            redis: cluster.map(|(_, redis, prefix)| (redis.to_owned(), prefix.to_owned())),
            ..Setup::default()
        };
        TestApp::spawn_with(setup).await
    }

    /// Exporting to Kafka as `export` says (`--kafka-brokers`, `--kafka-topic-prefix`).
    pub async fn spawn_exporting(export: engine::export::ExportConfig) -> TestApp {
        let setup = Setup {
            export: Some(export),
            ..Setup::default()
        };
        TestApp::spawn_with(setup).await
    }

    /// Announcing wins of at least `cents` profit to everyone (`--big-win-cents`).
    pub async fn spawn_with_big_win(cents: i64) -> TestApp {
        let setup = Setup {
            big_win: Some(cents),
            ..Setup::default()
        };
        TestApp::spawn_with(setup).await
    }

    /// With the risk engine's suspensions on (`--risk-suspensions true`, the default of a real
    /// server).
    /// As reached over https (`--secure-cookies`: `__Host-` and `Secure` cookies, HSTS).
    pub async fn spawn_secure() -> TestApp {
        let setup = Setup {
            secure_cookies: true,
            ..Setup::default()
        };
        TestApp::spawn_with(setup).await
    }

    pub async fn spawn_suspending() -> TestApp {
        let setup = Setup {
            risk_suspensions: true,
            ..Setup::default()
        };
        TestApp::spawn_with(setup).await
    }

    /// `/metrics` readable only with [`METRICS_TOKEN`] (no address allowed).
    pub async fn spawn_metrics_by_token_only() -> TestApp {
        let setup = Setup {
            metrics_by_token_only: true,
            ..Setup::default()
        };
        TestApp::spawn_with(setup).await
    }

    /// Behind load balancers at `proxies` (`--trusted-proxy`).
    pub async fn spawn_trusting(proxies: Vec<std::net::IpAddr>) -> TestApp {
        let setup = Setup {
            trusted_proxies: proxies,
            ..Setup::default()
        };
        TestApp::spawn_with(setup).await
    }

    /// One node of a cluster: a shared PostgreSQL database, and Redis under the cluster's
    /// prefix (one per test, so tests sharing the Redis server never see each other's events).
    pub async fn spawn_node(database_url: &str, redis_url: &str, prefix: &str) -> TestApp {
        TestApp::spawn_with(Setup {
            database_url: Some(database_url.to_owned()),
            redis: Some((redis_url.to_owned(), prefix.to_owned())),
            ..Setup::default()
        })
        .await
    }

    async fn spawn_with(setup: Setup) -> TestApp {
        let Setup {
            database_url,
            redis,
            chain,
            wheel_chain,
            trusted_proxies,
            export,
            ws_per_ip,
            big_win,
            risk_suspensions,
            metrics_by_token_only,
            secure_cookies,
        } = setup;
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            command: None,
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
            database_url,
            redis_url: redis.as_ref().map(|(url, _)| url.clone()),
            trusted_proxies,
            kafka_brokers: export.as_ref().map(|export| export.brokers.clone()),
            kafka_topic_prefix: export.map_or_else(String::new, |export| export.topic_prefix),
            node_id: None,
            ws_connections_per_ip: ws_per_ip.unwrap_or(zerolag::limits::WS_CONNECTIONS_PER_IP_MAX),
            redis_prefix: redis.map_or_else(|| "zerolag".to_owned(), |(_, prefix)| prefix),
            log: "warn".into(),
            allowed_origins: vec![],
            secure_cookies,
            metrics_allow: match metrics_by_token_only {
                true => Vec::new(),
                false => vec!["127.0.0.1".parse().unwrap()],
            },
            metrics_token: Some(METRICS_TOKEN.into()),
            risk_suspensions,
            big_win_cents: big_win.unwrap_or(protocol::notification::BIG_WIN_CENTS_DEFAULT.0),
            site_root: dir.path().join("site"),
            crash_betting_ms: 1_500,
            crash_intermission_ms: 200,
            crash_first_chain: chain,
            wheel_betting_ms: 1_500,
            wheel_spin_ms: 300,
            wheel_first_chain: wheel_chain,
        };
        let running = zerolag::start(&config).await.unwrap();
        let base = format!("http://{}", running.addr);
        TestApp {
            running,
            base,
            _dir: dir,
        }
    }

    /// What every round scenario must end with: no finished round holds an open bet (its
    /// stake would be stuck in play) and the ledger sums to zero.
    pub async fn assert_rounds_settled(&self) {
        let engine = &self.running.engine;
        let stray = engine::rounds::open_bets_in_finished_rounds(engine.store().pool())
            .await
            .unwrap();
        assert!(stray.is_empty(), "open bets in finished rounds: {stray:?}");
        assert_eq!(engine.history().ledger_sum().await.unwrap(), 0);
    }

    /// Where the server looks for its built assets (empty unless a test writes there).
    pub fn site_root(&self) -> std::path::PathBuf {
        self._dir.path().join("site")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `/metrics` as this machine's scraper reads it.
    pub async fn metrics_text(&self) -> String {
        let scraped = self.http().get(self.url("/metrics")).send().await.unwrap();
        scraped.text().await.unwrap()
    }

    /// A client that does not follow redirects, so tests can see them.
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Posts an auth form from `browser` (a client of the test's own, e.g. keeping cookies),
    /// asking for JSON; returns the whole response.
    pub async fn auth_from(
        &self,
        browser: &reqwest::Client,
        action: &str,
        (username, password): (&str, &str),
    ) -> reqwest::Response {
        browser
            .post(self.url(&format!("/auth/{action}")))
            .header("accept", "application/json")
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// Posts an auth form as JSON-accepting client; returns the status, body and session token.
    pub async fn auth(
        &self,
        action: &str,
        username: &str,
        password: &str,
    ) -> (u16, Value, Option<String>) {
        let credentials = (username, password);
        let response = self.auth_from(&self.http(), action, credentials).await;
        let status = response.status().as_u16();
        let token = session_token(&response);
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body, token)
    }

    /// Registers a player with the `admin` role; returns their session token.
    #[allow(dead_code)] // Not every test binary has operators.
    pub async fn register_admin(&self, username: &str) -> String {
        self.register(username).await;
        let pool = self.running.engine.store().pool();
        let granted = engine::chat::grant_role(pool, username, engine::chat::Role::Admin);
        assert!(granted.await.unwrap(), "the role changed");
        // The grant ended the player's sessions: a new privilege, a new session.
        self.log_in(username).await
    }

    /// Logs `username` in (password `password1`, as [`TestApp::register`] sets); returns the
    /// session token.
    pub async fn log_in(&self, username: &str) -> String {
        let (status, body, token) = self.auth("login", username, "password1").await;
        assert_eq!(status, 200, "{body}");
        token.expect("a login sets the session cookie")
    }

    /// Calls a server function as the holder of `token` (a visitor without); returns the
    /// status and the JSON body (a JSON string of the body when it is not JSON).
    #[allow(dead_code)] // Not every test binary calls server functions.
    pub async fn server_fn(
        &self,
        path: &str,
        token: Option<&str>,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut request = self.http().post(self.url(path)).form(form);
        if let Some(token) = token {
            request = request.header("cookie", format!("zl_session={token}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&body).unwrap_or(Value::String(body)),
        )
    }

    /// The audit log as the operator holding `token` reads it: its actions, newest first, and
    /// its entries.
    #[allow(dead_code)] // Not every test binary has operators.
    pub async fn audit_log(&self, token: &str) -> (Vec<String>, Value) {
        use leptos::server_fn::ServerFn;
        let path = app::api::console::AdminAuditLog::PATH;
        let (_, log) = self.server_fn(path, Some(token), &[]).await;
        let entries = log.as_array().expect("the audit log is a list").iter();
        let actions = entries.map(|e| e["action"].as_str().unwrap().to_owned());
        (actions.collect(), log)
    }

    /// Registers a player and returns their session token.
    pub async fn register(&self, username: &str) -> String {
        let (status, body, token) = self.auth("register", username, "password1").await;
        assert_eq!(status, 200, "{body}");
        token.expect("registration sets the session cookie")
    }

    pub async fn ws(&self, token: Option<&str>) -> Ws {
        self.ws_with_origin(token, Some(&self.base))
            .await
            .expect("upgrade accepted")
    }

    pub async fn ws_with_origin(
        &self,
        token: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        self.ws_at("/ws", token, origin).await
    }

    pub async fn ws_at(
        &self,
        path: &str,
        token: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        Ws::connect(&format!("ws://{}{path}", self.running.addr), token, origin).await
    }
}

impl Ws {
    /// Opens a WebSocket at `url` (with the session cookie and `Origin` given) and reads its
    /// `welcome`.
    pub async fn connect(
        url: &str,
        token: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut request = url.into_client_request().unwrap();
        if let Some(token) = token {
            request.headers_mut().insert(
                "cookie",
                HeaderValue::from_str(&format!("zl_session={token}")).unwrap(),
            );
        }
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(request).await?;
        let mut ws = Ws {
            stream,
            next_req: 0,
            welcome: Value::Null,
            unclaimed: Vec::new(),
        };
        let welcome = ws.next().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        ws.welcome = welcome;
        Ok(ws)
    }
}

pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_req: u64,
    pub welcome: Value,
    /// Frames read while waiting for another one; replies may arrive in any order.
    unclaimed: Vec<Value>,
}

impl Ws {
    /// Wraps an open connection whose `welcome` the caller reads.
    pub fn from_stream(
        stream: tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> Ws {
        Ws {
            stream,
            next_req: 0,
            welcome: Value::Null,
            unclaimed: Vec::new(),
        }
    }

    pub async fn send_text(&mut self, text: String) {
        self.stream.send(Message::text(text)).await.unwrap();
    }

    /// Sends a command with a fresh `req` and returns that `req`.
    pub async fn send(&mut self, mut command: Value) -> u64 {
        self.next_req += 1;
        command["req"] = json!(self.next_req);
        self.send_text(command.to_string()).await;
        self.next_req
    }

    /// The next text frame.
    pub async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(FRAME_WAIT, self.stream.next())
                .await
                .expect("a frame arrives")
                .expect("connection open")
                .expect("frame readable");
            if let Message::Text(text) = frame {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    /// The first frame matching `want`; others are kept for later calls.
    pub async fn until(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.unclaimed.iter().position(&want) {
            return self.unclaimed.remove(i);
        }
        loop {
            let frame = self.next().await;
            if want(&frame) {
                return frame;
            }
            self.unclaimed.push(frame);
        }
    }

    /// Takes every frame read earlier, not yet claimed, that matches `want`.
    pub fn claim_all(&mut self, want: impl Fn(&Value) -> bool) -> Vec<Value> {
        let (matching, others) = std::mem::take(&mut self.unclaimed)
            .into_iter()
            .partition(|frame| want(frame));
        self.unclaimed = others;
        matching
    }

    /// The signed-in player this connection was welcomed as.
    pub fn player(&self) -> protocol::PlayerId {
        protocol::PlayerId(
            self.welcome["player"]["id"]
                .as_i64()
                .expect("a signed-in welcome"),
        )
    }

    /// Forgets frames read earlier and not yet claimed.
    pub fn forget_unclaimed(&mut self) {
        self.unclaimed.clear();
    }

    /// The `ack` or `error` for `req`.
    pub async fn reply(&mut self, req: u64) -> Value {
        self.until(|f| (f["type"] == "ack" || f["type"] == "error") && f["req"] == json!(req))
            .await
    }

    /// Sends a command and waits for its reply.
    pub async fn call(&mut self, command: Value) -> Value {
        let req = self.send(command).await;
        self.reply(req).await
    }

    /// Waits for the connection to be closed by the server; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(FRAME_WAIT, self.stream.next())
                .await
                .expect("close arrives")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}

/// A wheel round taking bets for long enough to place one (over 600 ms left).
#[allow(dead_code)] // Only the wheel's tests watch its rounds.
pub fn is_wheel_betting(frame: &Value) -> bool {
    (frame["type"] == "wheel_round" || frame["type"] == "wheel_state")
        && frame["round"]["phase"] == "betting"
        && frame["round"]["betting_left_ms"].as_u64().unwrap() > 600
}

pub fn dice_bet(idem: &str, amount: i64, target: u32) -> Value {
    json!({ "type": "dice_bet", "idem": idem, "amount": amount, "target": target })
}
