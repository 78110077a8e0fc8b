//! `zerolag`: starts the platform on one machine (embedded SQLite under `./data` by default).

use clap::Parser;
use tracing_subscriber::EnvFilter;
use zerolag::config::Command;
use zerolag::Config;

/// The server allocates and frees many small buffers per request and per frame (HTML
/// fragments, JSON, WebSocket frames); mimalloc does that with less work than glibc's malloc,
/// whose calls were about 13% of a page render in a profile (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log)?)
        .init();
    if let Some(Command::Admin { action }) = &config.command {
        return zerolag::admin(&config, action).await;
    }
    let running = zerolag::start(&config).await?;
    tracing::info!(
        node = config.node_id.as_deref().unwrap_or("-"),
        database = %config.database_url(),
        kafka = config.kafka_brokers.as_deref().unwrap_or("off"),
        "Zerolag serving at http://{}",
        running.addr
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("draining: clients are asked to reconnect elsewhere");
    running.drain().await;
    tracing::info!("stopped");
    Ok(())
}
