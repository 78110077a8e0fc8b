//! `bench http`: pages and server-function calls over kept-alive HTTP/1.1 connections. Each of
//! C connections sends one request after another for S seconds (closed loop); the report gives
//! requests per second and the latency of each, per path. With one connection it shows what a
//! player waits for a page on the connection a browser keeps open.

use anyhow::bail;
use hdrhistogram::Histogram;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

/// What to run.
#[derive(clap::Args)]
pub struct Http {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// A path to request: `/crash` is a GET; `POST:/api/…` posts an empty form (a server
    /// function). Repeat for several, measured one after the other.
    #[arg(long = "path", required = true)]
    pub paths: Vec<String>,
    /// Kept-alive connections, each sending one request after another.
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Seconds per path.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

/// One connection's requests until `until`: latencies in microseconds, and failures.
async fn client(url: String, post: bool, until: Instant) -> anyhow::Result<(Histogram<u64>, u64)> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .build()?;
    let mut latency = crate::latency_histogram();
    let mut failed = 0;
    while Instant::now() < until {
        let sent = Instant::now();
        let request = if post {
            http.post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("")
        } else {
            http.get(&url)
        };
        let response = request.send().await?;
        let ok = response.status().is_success();
        response.bytes().await?;
        if ok {
            latency.record(sent.elapsed().as_micros().max(1) as u64)?;
        } else {
            failed += 1;
        }
    }
    Ok((latency, failed))
}

/// Runs every path in turn and prints a line for each.
pub async fn run(run: Http) -> anyhow::Result<()> {
    for path in &run.paths {
        let (post, path) = match path.strip_prefix("POST:") {
            Some(path) => (true, path),
            None => (false, path.as_str()),
        };
        let url = format!("http://{}{path}", run.addr);
        let until = Instant::now() + Duration::from_secs(run.seconds);
        let clients: Vec<_> = (0..run.connections)
            .map(|_| tokio::spawn(client(url.clone(), post, until)))
            .collect();
        let mut latency = crate::latency_histogram();
        let mut failed = 0;
        for client in clients {
            let (seen, refused) = client.await??;
            latency.add(&seen)?;
            failed += refused;
        }
        if latency.is_empty() {
            bail!("{path}: no request succeeded ({failed} failed)");
        }
        println!(
            "{method} {path}: {connections} connection(s), {seconds} s: {done} ok ({rate:.0}/s), \
             {failed} failed; latency {latency}",
            method = if post { "POST" } else { "GET" },
            connections = run.connections,
            seconds = run.seconds,
            done = latency.len(),
            rate = latency.len() as f64 / run.seconds as f64,
            latency = crate::percentiles(&latency),
        );
    }
    Ok(())
}
