//! `bench idle`: what an idle WebSocket connection costs the server. Opens N connections to a
//! running server, reads each one's `welcome`, lets the first frames (feed, game states) drain,
//! and reports the growth of the server's resident memory (VmRSS from `/proc/<pid>/status`) per
//! connection.

use anyhow::Context;
use futures::StreamExt;
use std::time::Duration;

/// How long the connections stay open before memory is read, so their first frames are sent.
const SETTLE_MS: u64 = 3_000;

/// Opens `connections` idle WebSockets to `url` and prints the server's memory per connection.
pub async fn run(url: &str, pid: u32, connections: usize) -> anyhow::Result<()> {
    let before = crate::server_proc::rss_kib(pid)?;
    let mut open = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
        ws.next().await.context("no welcome")??;
        open.push(ws);
    }
    // Keep reading in the background so the server's queued frames leave it.
    let readers: Vec<_> = open
        .into_iter()
        .map(|mut ws| tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} }))
        .collect();
    tokio::time::sleep(Duration::from_millis(SETTLE_MS)).await;
    let after = crate::server_proc::rss_kib(pid)?;
    let per_connection = (after.saturating_sub(before)) as f64 / connections as f64;
    println!(
        "{connections} idle connections: server RSS {before} KiB -> {after} KiB = {per_connection:.1} KiB per connection"
    );
    for reader in readers {
        reader.abort();
    }
    Ok(())
}
