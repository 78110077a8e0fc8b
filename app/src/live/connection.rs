//! The socket itself (browser only): connecting, reconnecting with exponential backoff and
//! jitter, matching each reply to its request, and sending retryable commands again after a
//! reconnect.

use super::feed::FeedCursor;
use super::{ConnState, Live, Reply};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use leptos::prelude::*;
use protocol::wire::ErrorCode;
use protocol::{ClientMsg, ServerMsg};
use std::collections::BTreeMap;

/// First reconnect delay; doubles per failed attempt.
const RECONNECT_DELAY_MS_MIN: u32 = 250;
/// Longest reconnect delay (10 s).
const RECONNECT_DELAY_MS_MAX: u32 = 10_000;
/// Time between two `ping`s that measure the round trip the header shows (5 s).
const PING_INTERVAL_MS: u32 = 5_000;

/// A command sent and not yet answered.
struct Pending {
    frame: String,
    retry: bool,
    on_reply: Box<dyn FnOnce(Reply)>,
}

/// The connection's bookkeeping, kept across reconnects.
#[derive(Default)]
pub struct Conn {
    next_req: u64,
    socket: Option<mpsc::UnboundedSender<String>>,
    pending: BTreeMap<u64, Pending>,
    /// Where the public feed resumes after a reconnect.
    pub feed: FeedCursor,
    /// Toasts shown so far, to number the next.
    toasts: u64,
}

impl Conn {
    /// A number for the next toast, unique within the tab.
    pub fn next_toast(&mut self) -> u64 {
        self.toasts += 1;
        self.toasts
    }
}

/// Sends a command, or keeps it for the next connection when it is `retry`; otherwise a
/// command that cannot be sent is answered at once with an error.
pub fn request(
    live: Live,
    build: impl FnOnce(u64) -> ClientMsg,
    retry: bool,
    on_reply: Box<dyn FnOnce(Reply)>,
) {
    let refused = live.conn.try_update_value(|conn| {
        conn.next_req += 1;
        let req = conn.next_req;
        let frame = serde_json::to_string(&build(req)).expect("client messages serialise");
        let sent = conn
            .socket
            .as_ref()
            .is_some_and(|s| s.unbounded_send(frame.clone()).is_ok());
        if sent || retry {
            conn.pending.insert(
                req,
                Pending {
                    frame,
                    retry,
                    on_reply,
                },
            );
            None
        } else {
            Some(on_reply)
        }
    });
    if let Some(Some(on_reply)) = refused {
        on_reply(Err((
            ErrorCode::Internal,
            "not connected; try again in a moment".into(),
        )));
    }
}

fn deliver(live: Live, req: u64, reply: Reply) {
    let pending = live
        .conn
        .try_update_value(|conn| conn.pending.remove(&req))
        .flatten();
    if let Some(pending) = pending {
        (pending.on_reply)(reply);
    }
}

/// On connect: resend retryable commands in order.
fn attach(live: Live, socket: mpsc::UnboundedSender<String>) {
    live.conn.update_value(|conn| {
        for pending in conn.pending.values() {
            let _ = socket.unbounded_send(pending.frame.clone());
        }
        conn.socket = Some(socket);
    });
}

/// On disconnect: fail commands that must not be repeated; keep the retryable ones.
fn detach(live: Live) {
    let failed: Vec<Pending> = live
        .conn
        .try_update_value(|conn| {
            conn.socket = None;
            let keys: Vec<u64> = conn
                .pending
                .iter()
                .filter(|(_, p)| !p.retry)
                .map(|(k, _)| *k)
                .collect();
            keys.into_iter()
                .filter_map(|k| conn.pending.remove(&k))
                .collect()
        })
        .unwrap_or_default();
    for pending in failed {
        (pending.on_reply)(Err((
            ErrorCode::Internal,
            "connection lost; try again".into(),
        )));
    }
}

fn url(live: Live) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    let resume = live.conn.with_value(|conn| conn.feed.query());
    Some(format!("{scheme}://{}/ws{resume}", location.host().ok()?))
}

/// Connects, serves the connection until it drops, and reconnects, for as long as the tab lives.
pub async fn run(live: Live) {
    let mut attempt: u32 = 0;
    loop {
        let Some(url) = url(live) else { return };
        if let Ok(socket) = WebSocket::open(&url) {
            serve(live, socket).await;
            if live.state.get_untracked() == ConnState::Live {
                attempt = 0;
            }
        }
        live.state.set(ConnState::Reconnecting);
        let backoff = RECONNECT_DELAY_MS_MIN
            .saturating_mul(1 << attempt.min(6))
            .min(RECONNECT_DELAY_MS_MAX);
        let jitter = (js_sys::Math::random() * f64::from(backoff) / 2.0) as u32;
        gloo_timers::future::TimeoutFuture::new(backoff / 2 + jitter).await;
        attempt += 1;
    }
}

/// Writes queued frames and reads server messages until either side stops.
async fn serve(live: Live, socket: WebSocket) {
    let (mut write, mut read) = socket.split();
    let (tx, mut rx) = mpsc::unbounded::<String>();
    attach(live, tx);
    let writer = async move {
        while let Some(frame) = rx.next().await {
            if write.send(Message::Text(frame)).await.is_err() {
                break;
            }
        }
    };
    let reader = async move {
        while let Some(Ok(message)) = read.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let Ok(msg) = serde_json::from_str::<ServerMsg>(&text) else {
                continue;
            };
            if let Some((req, reply)) = live.handle(msg) {
                deliver(live, req, reply);
            }
        }
    };
    let pinger = async move {
        loop {
            measure_round_trip(live);
            gloo_timers::future::TimeoutFuture::new(PING_INTERVAL_MS).await;
        }
    };
    let reading = futures::future::select(Box::pin(reader), Box::pin(pinger));
    futures::future::select(Box::pin(writer), reading).await;
    live.round_trip_ms.set(None);
    detach(live);
}

/// Sends a `ping` and records how long its answer took: what a command's answer costs on
/// this connection, shown in the header.
fn measure_round_trip(live: Live) {
    let sent = js_sys::Date::now();
    let on_reply = move |reply: Reply| {
        if reply.is_ok() {
            let elapsed = (js_sys::Date::now() - sent).max(0.0);
            live.round_trip_ms.set(Some(elapsed.round() as u32));
        }
    };
    request(
        live,
        |req| ClientMsg::Ping { req },
        false,
        Box::new(on_reply),
    );
}
