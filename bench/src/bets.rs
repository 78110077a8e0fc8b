//! `bench bets`: what a player waits for a bet over the WebSocket at a fixed rate. Registers
//! P players through `/auth/register` (spread over source addresses, as the sign-up throttle is
//! per address), opens one WebSocket per player with its session cookie, and has every player
//! send `dice_bet`s at an even share of the total rate (open loop: a slow answer does not slow
//! the sending). Over a window of S seconds it records the time from sending a bet to its
//! `ack` (HDR histogram), counts refusals by code, and reads the server's CPU time.
//!
//! Every connection also receives the public feed of every settled bet (`dice_feed`), as a
//! player's tab does; that fan-out is part of what the server does per bet.

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Sign-ups per source address (the server allows a burst of 20 per address).
const SIGNUPS_PER_ADDRESS: usize = 16;
/// The stake of every bet: 0.01 at 50%, so a player's 1,000.00 outlasts any run.
const STAKE_CENTS: i64 = 1;
/// Time between opening the last connection and starting to count.
const SETTLE_MS: u64 = 1_000;

/// What to run.
#[derive(clap::Args)]
pub struct Bets {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// The server's process id (CPU time is read from /proc).
    #[arg(long)]
    pub pid: u32,
    /// Players, each with its own session and WebSocket.
    #[arg(long, default_value_t = 200)]
    pub players: usize,
    /// Bets per second, all players together.
    #[arg(long, default_value_t = 5_000)]
    pub rate: u32,
    /// Seconds to count.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
}

/// What the players saw while counting.
struct Answers {
    acked: u64,
    refused: BTreeMap<String, u64>,
    latency_us: Histogram<u64>,
}

/// The parts of a server frame the bench reads.
#[derive(serde::Deserialize)]
struct Reply {
    #[serde(rename = "type")]
    kind: String,
    req: Option<u64>,
    code: Option<String>,
}

/// Registers player `index` and returns its session cookie (`name=value`).
async fn register(addr: SocketAddr, run: &str, index: usize) -> anyhow::Result<String> {
    let source = Ipv4Addr::new(127, 0, 1, 1 + (index / SIGNUPS_PER_ADDRESS) as u8);
    let client = reqwest::Client::builder()
        .local_address(IpAddr::V4(source))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let username = format!("b{run}_{index}");
    let response = client
        .post(format!("http://{addr}/auth/register"))
        .header("accept", "application/json")
        .form(&[
            ("username", username.as_str()),
            ("password", "bench-password"),
        ])
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("sign-up of {username} refused: {}", response.text().await?);
    }
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|cookie| cookie.starts_with("zl_session="))
        .and_then(|cookie| cookie.split(';').next())
        .map(str::to_owned)
        .context("no session cookie")
}

type Sent = Arc<Mutex<HashMap<u64, Instant>>>;

/// One player: sends a bet every `every` until `stop`, and records each answer while counting.
async fn play(
    addr: SocketAddr,
    cookie: String,
    every: Duration,
    counting: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    answers: Arc<Mutex<Answers>>,
    frames: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let mut request = format!("ws://{addr}/ws").into_client_request()?;
    request.headers_mut().insert("cookie", cookie.parse()?);
    let (ws, _) = tokio_tungstenite::connect_async(request).await?;
    let (mut sink, mut stream) = ws.split();
    let sent: Sent = Arc::default();
    let reader_sent = sent.clone();
    let reader = tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            // The server's pings (answered by the library) and anything else are not frames
            // of the protocol.
            let Message::Text(text) = message else {
                if matches!(message, Message::Close(_)) {
                    break;
                }
                continue;
            };
            if counting.load(Ordering::Relaxed) {
                frames.fetch_add(1, Ordering::Relaxed);
            }
            if !text.starts_with(r#"{"type":"ack""#) && !text.starts_with(r#"{"type":"error""#) {
                continue;
            }
            let Ok(reply) = serde_json::from_str::<Reply>(&text) else {
                continue;
            };
            let Some(at) = reply
                .req
                .and_then(|req| reader_sent.lock().ok()?.remove(&req))
            else {
                continue;
            };
            if !counting.load(Ordering::Relaxed) {
                continue;
            }
            let mut answers = answers.lock().expect("answers");
            if reply.kind == "ack" {
                answers.acked += 1;
                let _ = answers
                    .latency_us
                    .record(at.elapsed().as_micros().max(1) as u64);
            } else {
                let code = reply.code.unwrap_or_default();
                *answers.refused.entry(code).or_default() += 1;
            }
        }
    });
    let mut ticker = tokio::time::interval(every);
    let mut req = 0u64;
    while !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        req += 1;
        let bet = format!(
            r#"{{"type":"dice_bet","req":{req},"idem":"k{req}","amount":{STAKE_CENTS},"target":5000}}"#
        );
        sent.lock().expect("sent").insert(req, Instant::now());
        if sink.send(Message::text(bet)).await.is_err() {
            break;
        }
    }
    reader.abort();
    Ok(())
}

/// Runs the measurement and prints one line of results.
pub async fn run(run: Bets) -> anyhow::Result<()> {
    let tag = format!("{}", std::process::id() % 100_000);
    let mut cookies = Vec::with_capacity(run.players);
    for index in 0..run.players {
        cookies.push(register(run.addr, &tag, index).await?);
    }
    let every = Duration::from_secs_f64(run.players as f64 / f64::from(run.rate));
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Answers {
        acked: 0,
        refused: BTreeMap::new(),
        latency_us: crate::latency_histogram(),
    }));
    // Every frame the players receive while counting: acks, balances, the feed, round events.
    let frames = Arc::new(AtomicU64::new(0));
    let mut players = Vec::with_capacity(run.players);
    for cookie in cookies {
        let (counting, stop, answers) = (counting.clone(), stop.clone(), answers.clone());
        players.push(tokio::spawn(play(
            run.addr,
            cookie,
            every,
            counting,
            stop,
            answers,
            frames.clone(),
        )));
        // Spread the players' sending instants over one period.
        tokio::time::sleep(every / run.players as u32).await;
    }
    tokio::time::sleep(Duration::from_millis(SETTLE_MS)).await;
    let cpu_start = crate::server_proc::cpu_us(run.pid)?;
    counting.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(run.seconds)).await;
    counting.store(false, Ordering::Relaxed);
    let cpu_end = crate::server_proc::cpu_us(run.pid)?;
    stop.store(true, Ordering::Relaxed);
    for player in players {
        player.await??;
    }
    let answers = answers.lock().expect("answers");
    if answers.acked == 0 {
        bail!(
            "no bet acknowledged in {} s (refused: {:?})",
            run.seconds,
            answers.refused
        );
    }
    println!(
        "bets: {players} players, {rate}/s offered, {seconds} s: {acked} acked ({acked_rate:.0}/s), \
         refused {refused:?}; ack latency {latency}; server CPU {cpu:.2} s; \
         {frames} frames delivered, server CPU {per_frame:.2} us per delivered frame",
        players = run.players,
        rate = run.rate,
        seconds = run.seconds,
        acked = answers.acked,
        acked_rate = answers.acked as f64 / run.seconds as f64,
        refused = answers.refused,
        latency = crate::percentiles(&answers.latency_us),
        cpu = (cpu_end - cpu_start) as f64 / 1e6,
        frames = frames.load(Ordering::Relaxed),
        per_frame = (cpu_end - cpu_start) as f64 / frames.load(Ordering::Relaxed).max(1) as f64,
    );
    Ok(())
}
