//! `bench fanout`: live events delivered to many WebSocket clients, measured from outside the
//! server, the same way for Zerolag and for the peer servers on npm's `ws` and `socket.io`
//! (`bench/peers/broadcast.js`, which send a tick of the same shape at the same rate).
//!
//! Opens N clients spread over the source addresses 127.0.0.1-127.0.0.4, lets them settle,
//! then for a window of S seconds counts every tick each client receives, checks that each
//! client's `seq` goes up by one (a gap is a lost message), and records the delivery latency:
//! the client's receive time minus the `at_ms` the server wrote into the tick. The server's CPU
//! time over the window (from `/proc/<pid>/stat`) divided by the ticks delivered gives its cost
//! per delivered message; its resident memory before and after connecting gives its memory per
//! connection.
//!
//! `at_ms` has millisecond resolution and is the floor of the publish time, so a latency reads
//! up to 1 ms high; both sides share this machine's clock.

use crate::server_proc::{cpu_us, rss_kib};
use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Source addresses the clients are spread over (more ephemeral ports than one address has).
const SOURCE_ADDRESSES: u8 = 4;
/// A client's WebSocket read buffer: ticks are about 150 bytes.
const CLIENT_READ_BUFFER_BYTES: usize = 4 * 1024;
/// Time between connecting the last client and starting to count.
const SETTLE_MS: u64 = 1_000;
/// Clients connecting at once.
const CONNECTS_IN_FLIGHT: usize = 64;

/// The server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Peer {
    /// Zerolag's `/ws`: `crash_tick` events while a crash round runs.
    Zerolag,
    /// `bench/peers/broadcast.js ws`: plain WebSocket text frames.
    Ws,
    /// `bench/peers/broadcast.js socketio`: socket.io `tick` events over its WebSocket transport.
    Socketio,
}

/// What to run.
#[derive(clap::Args)]
pub struct Fanout {
    /// Which server listens at `--addr`.
    #[arg(long, value_enum, default_value = "zerolag")]
    pub peer: Peer,
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// The server's process id (CPU and memory are read from /proc).
    #[arg(long)]
    pub pid: u32,
    /// Clients to open.
    #[arg(long, default_value_t = 2_000)]
    pub clients: usize,
    /// Seconds to count.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Fail when a tick is lost (the smoke run in `make test`) instead of reporting it.
    #[arg(long)]
    pub strict: bool,
}

/// What one client saw while counting.
struct Seen {
    delivered: u64,
    gaps: u64,
    last_seq: Option<u64>,
    latency_us: Histogram<u64>,
}

impl Seen {
    fn new() -> Seen {
        Seen {
            delivered: 0,
            gaps: 0,
            last_seq: None,
            latency_us: crate::latency_histogram(),
        }
    }

    fn record(&mut self, seq: u64, at_ms: i64, is_tick: bool, counting: bool) {
        if let Some(last) = self.last_seq {
            if counting && seq > last + 1 {
                self.gaps += seq - last - 1;
            }
        }
        self.last_seq = Some(seq);
        if counting && is_tick {
            self.delivered += 1;
            let latency = now_us().saturating_sub(at_ms.max(0) as u64 * 1_000);
            let _ = self.latency_us.record(latency.max(1));
        }
    }
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The fields of a tick the harness reads.
#[derive(serde::Deserialize)]
struct Tick {
    seq: u64,
    at_ms: i64,
}

/// The event of the ticks' stream in a text frame, if it carries one, and whether it is a tick.
/// Zerolag's `crash` topic also carries round and bet events: their `seq` counts for gaps.
fn event_of(peer: Peer, text: &str) -> Option<(Tick, bool)> {
    let (json, is_tick) = match peer {
        Peer::Zerolag | Peer::Ws => (
            text.starts_with(r#"{"type":"crash_"#).then_some(text)?,
            text.starts_with(r#"{"type":"crash_tick""#),
        ),
        Peer::Socketio => (text.strip_prefix(r#"42["tick","#)?.strip_suffix(']')?, true),
    };
    Some((serde_json::from_str(json).ok()?, is_tick))
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Opens client `index` from its source address and does the peer's handshake.
async fn connect(peer: Peer, addr: SocketAddr, index: usize) -> anyhow::Result<Socket> {
    let source = Ipv4Addr::new(127, 0, 0, 1 + (index % usize::from(SOURCE_ADDRESSES)) as u8);
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source, 0)))?;
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    let url = match peer {
        Peer::Zerolag | Peer::Ws => format!("ws://{addr}/ws"),
        Peer::Socketio => format!("ws://{addr}/socket.io/?EIO=4&transport=websocket"),
    };
    let config = WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER_BYTES);
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
    if peer == Peer::Socketio {
        // engine.io: the server opens ("0{...}"), the client joins the default namespace.
        ws.next().await.context("no engine.io open")??;
        ws.send(Message::text("40")).await?;
    }
    Ok(ws)
}

/// Reads one client's frames until told to stop, recording ticks while `counting`.
async fn read(
    peer: Peer,
    mut ws: Socket,
    seen: Arc<Mutex<Seen>>,
    counting: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    while let Some(Ok(message)) = ws.next().await {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let Message::Text(text) = message else {
            continue;
        };
        if peer == Peer::Socketio && text.as_str() == "2" {
            // engine.io ping: answer or be dropped.
            if ws.send(Message::text("3")).await.is_err() {
                break;
            }
            continue;
        }
        if let Some((event, is_tick)) = event_of(peer, &text) {
            let counting = counting.load(Ordering::Relaxed);
            let mut seen = seen.lock().expect("seen");
            seen.record(event.seq, event.at_ms, is_tick, counting);
        }
    }
}

/// Runs the measurement and prints one line of results.
pub async fn run(run: Fanout) -> anyhow::Result<()> {
    let rss_before = rss_kib(run.pid)?;
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::with_capacity(run.clients);
    let mut readers = Vec::with_capacity(run.clients);
    let indexes: Vec<usize> = (0..run.clients).collect();
    for chunk in indexes.chunks(CONNECTS_IN_FLIGHT) {
        let connecting = chunk.iter().map(|&i| connect(run.peer, run.addr, i));
        for ws in futures::future::join_all(connecting).await {
            let seen = Arc::new(Mutex::new(Seen::new()));
            clients.push(seen.clone());
            let task = read(run.peer, ws?, seen, counting.clone(), stop.clone());
            readers.push(tokio::spawn(task));
        }
    }
    tokio::time::sleep(Duration::from_millis(SETTLE_MS)).await;
    let rss_after = rss_kib(run.pid)?;
    let cpu_start = cpu_us(run.pid)?;
    counting.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(run.seconds)).await;
    counting.store(false, Ordering::Relaxed);
    let cpu_end = cpu_us(run.pid)?;
    stop.store(true, Ordering::Relaxed);

    let mut total = Seen::new();
    for seen in &clients {
        let seen = seen.lock().expect("seen");
        total.delivered += seen.delivered;
        total.gaps += seen.gaps;
        total.latency_us.add(&seen.latency_us)?;
    }
    for reader in readers {
        reader.abort();
    }
    if total.delivered == 0 {
        bail!("no ticks delivered in {} s", run.seconds);
    }
    if run.strict && total.gaps > 0 {
        bail!("{} ticks lost", total.gaps);
    }
    let cpu_us = (cpu_end - cpu_start) as f64;
    println!(
        "{peer:?}: {clients} clients, {seconds} s: {delivered} ticks delivered ({rate:.0}/s), \
         {gaps} lost; latency {latency}; \
         server CPU {cpu_per:.2} us per delivered tick ({cpu_s:.2} s); \
         server RSS {per_conn:.1} KiB per connection ({rss_before} -> {rss_after} KiB)",
        peer = run.peer,
        clients = run.clients,
        seconds = run.seconds,
        delivered = total.delivered,
        rate = total.delivered as f64 / run.seconds as f64,
        gaps = total.gaps,
        latency = crate::percentiles(&total.latency_us),
        cpu_per = cpu_us / total.delivered as f64,
        cpu_s = cpu_us / 1e6,
        per_conn = rss_after.saturating_sub(rss_before) as f64 / run.clients as f64,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_read_from_each_peer_s_framing() {
        let plain = r#"{"type":"crash_tick","topic":"crash","seq":7,"at_ms":5,"round":1,"elapsed_ms":0,"multiplier_x100":100}"#;
        assert_eq!(
            event_of(Peer::Zerolag, plain).map(|(t, tick)| (t.seq, tick)),
            Some((7, true))
        );
        assert_eq!(event_of(Peer::Ws, plain).map(|(t, _)| t.at_ms), Some(5));
        let socketio = format!(r#"42["tick",{plain}]"#);
        assert_eq!(
            event_of(Peer::Socketio, &socketio).map(|(t, _)| t.seq),
            Some(7)
        );
        let round = r#"{"type":"crash_round","topic":"crash","seq":8,"at_ms":6,"round":{}}"#;
        assert_eq!(
            event_of(Peer::Zerolag, round).map(|(t, tick)| (t.seq, tick)),
            Some((8, false))
        );
        assert!(event_of(Peer::Zerolag, r#"{"type":"balance","seq":1,"at_ms":1}"#).is_none());
        assert!(event_of(Peer::Socketio, "2").is_none());
    }

    #[test]
    fn a_skipped_seq_counts_as_lost_only_while_counting() {
        let mut seen = Seen::new();
        seen.record(1, 0, true, false);
        seen.record(5, 0, true, false);
        seen.record(6, 0, true, true);
        seen.record(7, 0, false, true);
        seen.record(10, 0, true, true);
        assert_eq!((seen.delivered, seen.gaps), (2, 2));
    }
}
