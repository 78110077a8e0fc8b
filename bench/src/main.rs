//! Benchmarks; figures and how to reproduce them: `docs/benchmarks.md`.
//!
//! - `bench ledger`: durable dice bets per second through the engine's ledger writer (group
//!   commit on SQLite, WAL, synchronous=FULL), with latency percentiles from submit to
//!   acknowledgement (after COMMIT).
//! - `bench idle` ([`idle`]): server memory per idle WebSocket connection.
//! - `bench fanout` ([`fanout`]): live ticks delivered to many WebSocket clients (rate, loss,
//!   latency, server CPU and memory), for Zerolag and the `ws` / socket.io peers alike.
//! - `bench bets` ([`bets`]): dice bets over real WebSockets at a fixed rate, many players, and
//!   the time each waits for its `ack`.
//! - `bench http` ([`http`]): pages and server-function calls over kept-alive connections.
#![forbid(unsafe_code)]

mod bets;
mod fanout;
mod http;
mod idle;
mod leaderboard;
mod server_proc;

use clap::{Parser, Subcommand};
use engine::Engine;
use hdrhistogram::Histogram;
use protocol::{Cents, PlayerId};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Zerolag benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Durable dice bets through the ledger writer.
    Ledger {
        /// Players placing bets (each registered through the real account path).
        #[arg(long, default_value_t = 64)]
        players: usize,
        /// Bets in flight at once across all players.
        #[arg(long, default_value_t = 2048)]
        concurrency: usize,
        /// Total bets to place.
        #[arg(long, default_value_t = 200_000)]
        bets: usize,
        /// Database directory (a fresh temporary one by default).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// A database URL instead (e.g. an empty PostgreSQL database: `make bench-postgres`).
        #[arg(long)]
        database_url: Option<String>,
        /// Engines (nodes) sharing the database, each with its own ledger writer; bets are
        /// spread over them (more than one needs PostgreSQL).
        #[arg(long, default_value_t = 1)]
        nodes: usize,
        /// Export every committed event to Kafka at these brokers while betting (the outbox
        /// is written with each batch and relayed meanwhile).
        #[arg(long)]
        kafka_brokers: Option<String>,
    },
    /// Server memory per idle WebSocket connection (against a running server).
    Idle {
        /// The server's WebSocket URL.
        #[arg(long, default_value = "ws://127.0.0.1:3000/ws")]
        url: String,
        /// The server's process id (its memory is read from /proc).
        #[arg(long)]
        pid: u32,
        /// Connections to open.
        #[arg(long, default_value_t = 2_000)]
        connections: usize,
    },
    /// Ticks delivered to many WebSocket clients (against a running server).
    Fanout(fanout::Fanout),
    /// Dice bets over WebSockets at a fixed rate (against a running server).
    Bets(bets::Bets),
    /// Pages and server-function calls over kept-alive connections (against a running server).
    Http(http::Http),
    /// Leaderboard updates and rank queries at a million players (in memory).
    Leaderboard(leaderboard::Leaderboard),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The engine's own warnings and errors (RUST_LOG overrides).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match Cli::parse().command {
        Command::Ledger {
            players,
            concurrency,
            bets,
            dir,
            database_url,
            nodes,
            kafka_brokers,
        } => {
            let run = LedgerRun {
                players,
                concurrency,
                bets,
                nodes: nodes.max(1),
                kafka_brokers,
            };
            ledger(run, dir, database_url).await
        }
        Command::Idle {
            url,
            pid,
            connections,
        } => idle::run(&url, pid, connections).await,
        Command::Fanout(run) => fanout::run(run).await,
        Command::Bets(run) => bets::run(run).await,
        Command::Http(run) => http::run(run).await,
        Command::Leaderboard(run) => leaderboard::run(run).await,
    }
}

/// The shape of a ledger benchmark run.
struct LedgerRun {
    players: usize,
    concurrency: usize,
    bets: usize,
    nodes: usize,
    kafka_brokers: Option<String>,
}

async fn ledger(
    run: LedgerRun,
    dir: Option<std::path::PathBuf>,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    let LedgerRun {
        players,
        concurrency,
        bets,
        nodes,
        kafka_brokers,
    } = run;
    let temp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| temp.path().to_path_buf());
    let (url, database) = match database_url {
        Some(url) => (url, "PostgreSQL, synchronous_commit as the server has it"),
        None => {
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}/bench.db", dir.display());
            (url, "SQLite WAL synchronous=FULL")
        }
    };
    let engines = start_engines(&url, nodes, kafka_brokers).await?;
    let engine = engines[0].clone();
    let ids = register_players(&engine, players).await?;
    println!("ledger benchmark: {bets} bets, {players} players, {concurrency} in flight, {nodes} node(s), {database}");

    let per_task = bets / concurrency;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let engine = engines[worker % nodes].clone();
        let player = ids[worker % ids.len()];
        tasks.push(tokio::spawn(async move {
            let mut histogram = latency_histogram();
            for n in 0..per_task {
                let key = format!("w{worker}-{n}");
                let sent = Instant::now();
                // 0.01 credits at 50%: a player's 1,000.00 lasts far longer than the run.
                engine
                    .ledger()
                    .dice_bet(player, &key, Cents(1), 5_000)
                    .await
                    .expect("bet accepted");
                histogram
                    .record(sent.elapsed().as_micros() as u64)
                    .expect("in range");
            }
            histogram
        }));
    }
    let mut latency = latency_histogram();
    for task in tasks {
        latency.add(task.await?)?;
    }
    let elapsed = started.elapsed();
    let placed = per_task * concurrency;
    let history = engine.history();
    assert_eq!(history.ledger_sum().await?, 0, "ledger out of balance");
    let stored: i64 = history.bet_count().await?;
    assert_eq!(stored as usize, placed, "every acknowledged bet is stored");
    println!(
        "{placed} durable bets in {:.2} s = {:.0} bets/s; latency submit->ack p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        placed as f64 / elapsed.as_secs_f64(),
        ms(latency.value_at_quantile(0.50)),
        ms(latency.value_at_quantile(0.99)),
        ms(latency.value_at_quantile(0.999)),
        ms(latency.max()),
    );
    if let Some(export) = engine.export() {
        report_export(export).await;
    }
    Ok(())
}

/// `nodes` engines on the database at `url`, exporting to `kafka_brokers` when given.
async fn start_engines(
    url: &str,
    nodes: usize,
    kafka_brokers: Option<String>,
) -> anyhow::Result<Vec<Engine>> {
    let export = kafka_brokers.map(|brokers| engine::export::ExportConfig {
        brokers,
        topic_prefix: "zerolag-bench.".to_owned(),
        client_id: "zerolag-bench".to_owned(),
    });
    let mut engines = Vec::with_capacity(nodes);
    for _ in 0..nodes {
        let config = engine::EngineConfig {
            database_url: url.to_owned(),
            export: export.clone(),
            ..engine::EngineConfig::default()
        };
        engines.push(Engine::start_with(config).await?);
    }
    Ok(engines)
}

/// How far the export's relay was behind when the bets ended, and how long it took to catch up.
async fn report_export(export: &engine::export::Export) {
    let ended = Instant::now();
    // The outbox is counted once a second: wait for a count taken after the last bet.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let behind = export.pending().unwrap_or(0);
    while export.pending() != Some(0) && ended.elapsed().as_secs() < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    println!(
        "export: {behind} events waiting in the outbox when the bets ended; {} sent by this node; outbox empty {:.1} s after the last bet",
        export.sent(),
        ended.elapsed().as_secs_f64()
    );
}

/// Registers `players` players through the real account path.
async fn register_players(engine: &Engine, players: usize) -> anyhow::Result<Vec<PlayerId>> {
    let mut ids: Vec<PlayerId> = Vec::with_capacity(players);
    for i in 0..players {
        // Registration is throttled per IP; vary the address as many real clients would.
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, (i / 250) as u8, (i % 250) as u8 + 1));
        let (session, _) = engine
            .accounts()
            .register(&format!("bench_{i}"), "bench-password", ip)
            .await?;
        ids.push(session.player.id);
    }
    Ok(ids)
}

fn ms(micros: u64) -> f64 {
    Duration::from_micros(micros).as_secs_f64() * 1_000.0
}

/// An empty latency histogram in microseconds, from 1 µs to 60 s at 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// A latency histogram in microseconds as "p50 …, p99 …, p99.9 …, max …" in milliseconds.
pub fn percentiles(latency_us: &Histogram<u64>) -> String {
    let at = |q: f64| ms(latency_us.value_at_quantile(q));
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.99),
        at(0.999),
        ms(latency_us.max())
    )
}
