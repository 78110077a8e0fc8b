//! `zerolag`: starts the platform on one machine (embedded SQLite under `./data` by default).

use clap::Parser;
use tracing_subscriber::EnvFilter;
use zerolag::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log)?)
        .init();
    let running = zerolag::start(&config).await?;
    tracing::info!(database = %config.database_url(), "Zerolag serving at http://{}", running.addr);
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("shutting down");
            running.stop().await;
        }
    }
    Ok(())
}
