//! The WebSocket gateway at `/ws`: one connection per browser tab.
//!
//! At upgrade: the `Origin` is checked (cross-site -> 403), the session cookie identifies the
//! player, and the connection count is capped. Then two halves run:
//! - the writer drains the connection's bounded outbox (shared, pre-encoded event frames and
//!   this connection's replies), writing every frame that is ready before one flush, pings on
//!   an interval, and closes with a code when the hub or the session says so;
//! - the reader enforces the size limit, the per-connection rate limit and the in-flight cap,
//!   decodes each frame into a [`protocol::ClientMsg`] and runs it ([`commands`]), so every
//!   command gets exactly one `ack` or `error` with its `req`.

mod commands;

use crate::auth::session_of;
use crate::limits::{
    CLOSE_GOING_AWAY, CLOSE_IDLE, CLOSE_SESSION_ENDED, CLOSE_SLOW_CONSUMER, CLOSE_TOO_BIG,
    WS_COMMANDS_BURST, WS_COMMANDS_IN_FLIGHT_MAX, WS_COMMANDS_PER_SECOND, WS_CONNECTIONS_MAX,
    WS_FRAME_BYTES_HARD_MAX, WS_IDLE_TIMEOUT_MS, WS_PING_INTERVAL_MS,
};
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use engine::accounts::Session;
use engine::hub::{self, CloseReason, Inbox};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use protocol::limits::WS_MESSAGE_BYTES_MAX;
use protocol::wire::{ErrorCode, PROTOCOL_VERSION};
use protocol::ServerMsg;
use std::num::NonZeroU32;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Where a reconnecting client left off: the epoch from its last `welcome` and the last `seq`
/// it saw on the public dice feed.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Resume {
    epoch: Option<u64>,
    dice: Option<u64>,
}

/// `GET /ws`
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(resume): Query<Resume>,
    ws: WebSocketUpgrade,
) -> Response {
    if !state.allowlist.allows(&headers) {
        tracing::warn!(origin = ?headers.get(axum::http::header::ORIGIN), "cross-origin WebSocket refused");
        return (StatusCode::FORBIDDEN, "cross-origin WebSocket refused").into_response();
    }
    if state.connections.load(Ordering::Relaxed) >= WS_CONNECTIONS_MAX {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    }
    let session = session_of(&state, &jar).await;
    ws.max_message_size(WS_FRAME_BYTES_HARD_MAX)
        .max_frame_size(WS_FRAME_BYTES_HARD_MAX)
        .on_upgrade(move |socket| serve(socket, state, session, resume))
}

async fn serve(socket: WebSocket, state: AppState, session: Option<Session>, resume: Resume) {
    state.connections.fetch_add(1, Ordering::Relaxed);
    let hub = state.engine.hub().clone();
    let (outbox, inbox) = hub.open_connection();
    let mut topics = vec![hub::DICE_FEED_TOPIC.to_owned()];
    let (player, balance, seed) = match &session {
        Some(session) => {
            topics.push(hub::player_topic(session.player.id));
            hub.attach_session(&session.id, &outbox);
            match state.engine.ledger().snapshot(session.player.id).await {
                Ok(snapshot) => (
                    Some(session.player.clone()),
                    Some(snapshot.balance),
                    Some(snapshot.seed),
                ),
                Err(error) => {
                    tracing::error!(%error, "snapshot for welcome failed");
                    (Some(session.player.clone()), None, None)
                }
            }
        }
        None => (None, None, None),
    };
    // Welcome first, then subscribe: every event after the snapshot reaches the client. The
    // feed replays what a resuming client missed, or its kept events to a new one.
    let epoch = hub.epoch();
    outbox.send(&ServerMsg::Welcome {
        version: PROTOCOL_VERSION,
        epoch,
        player,
        balance,
        seed,
    });
    let dice_after = resume.dice.filter(|_| resume.epoch == Some(epoch));
    for topic in &topics {
        let after = if topic == hub::DICE_FEED_TOPIC {
            dice_after
        } else {
            None
        };
        hub.subscribe(topic, &outbox, after);
    }
    if let Some(crash) = state.engine.crash() {
        // The game sends its state and subscribes the connection between its own events.
        crash.join(outbox.clone()).await;
        topics.push(engine::crash::CRASH_TOPIC.to_owned());
    }
    if let Some(wheel) = state.engine.wheel() {
        wheel.join(outbox.clone()).await;
        topics.push(engine::wheel::WHEEL_TOPIC.to_owned());
    }

    let (sink, stream) = socket.split();
    let closed = inbox.closed.clone();
    let writer = tokio::spawn(write_loop(sink, inbox));
    let ctx = commands::Context {
        engine: state.engine.clone(),
        session: session.clone(),
        outbox: outbox.clone(),
    };
    read_loop(stream, ctx, closed.clone()).await;
    closed.cancel();
    let _ = writer.await;
    hub.disconnect(&outbox, &topics, session.as_ref().map(|s| s.id.as_str()));
    state.connections.fetch_sub(1, Ordering::Relaxed);
}

fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

async fn write_loop(mut sink: SplitSink<WebSocket, Message>, mut inbox: Inbox) {
    let mut ping = tokio::time::interval(Duration::from_millis(WS_PING_INTERVAL_MS));
    ping.reset();
    loop {
        tokio::select! {
            biased;
            frame = inbox.frames.recv() => {
                let Some(frame) = frame else { break };
                if feed_frame(&mut sink, frame).await.is_err() {
                    return;
                }
                // Write whatever else is already queued, then flush once.
                while let Ok(frame) = inbox.frames.try_recv() {
                    if feed_frame(&mut sink, frame).await.is_err() {
                        return;
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            _ = inbox.closed.cancelled() => break,
            _ = ping.tick() => {
                if sink.send(Message::Ping(bytes::Bytes::new())).await.is_err() {
                    return;
                }
            }
        }
    }
    let close = match inbox.close_reason() {
        Some(CloseReason::SlowConsumer) => close_frame(CLOSE_SLOW_CONSUMER, "slow consumer"),
        Some(CloseReason::SessionEnded) => close_frame(CLOSE_SESSION_ENDED, "session ended"),
        Some(CloseReason::Idle) => close_frame(CLOSE_IDLE, "idle"),
        Some(CloseReason::ProtocolViolation) => close_frame(CLOSE_TOO_BIG, "message too big"),
        None => close_frame(CLOSE_GOING_AWAY, "closing"),
    };
    let _ = sink.send(close).await;
}

async fn feed_frame(
    sink: &mut SplitSink<WebSocket, Message>,
    frame: hub::Frame,
) -> Result<(), axum::Error> {
    // Frames are JSON from serde_json, hence UTF-8; the check is a fast scan and keeps the
    // bytes shared (no copy per connection).
    match Utf8Bytes::try_from(frame) {
        Ok(text) => sink.feed(Message::Text(text)).await,
        Err(_) => Ok(()),
    }
}

async fn read_loop(
    mut stream: SplitStream<WebSocket>,
    ctx: commands::Context,
    closed: CancellationToken,
) {
    let limiter: Arc<DefaultDirectRateLimiter> = Arc::new(RateLimiter::direct(
        Quota::per_second(NonZeroU32::new(WS_COMMANDS_PER_SECOND).expect("non-zero"))
            .allow_burst(NonZeroU32::new(WS_COMMANDS_BURST).expect("non-zero")),
    ));
    let in_flight = Arc::new(Semaphore::new(WS_COMMANDS_IN_FLIGHT_MAX));
    let idle = Duration::from_millis(WS_IDLE_TIMEOUT_MS);
    loop {
        let deadline = Instant::now() + idle;
        let message = tokio::select! {
            _ = closed.cancelled() => return,
            _ = tokio::time::sleep_until(deadline) => {
                ctx.outbox.close(CloseReason::Idle);
                return;
            }
            message = stream.next() => message,
        };
        // A crash cash-out counts at this moment, before any queueing on our side.
        let received = Instant::now();
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                ctx.error(None, ErrorCode::BadRequest, "frames are JSON text");
                continue;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => return,
            Some(Err(error)) => {
                // Over the hard frame limit, or a broken connection: nothing more can be read.
                tracing::debug!(%error, "WebSocket read failed");
                ctx.outbox.close(CloseReason::ProtocolViolation);
                return;
            }
        };
        if text.len() > WS_MESSAGE_BYTES_MAX {
            ctx.error(
                None,
                ErrorCode::TooLarge,
                &format!("frames are limited to {WS_MESSAGE_BYTES_MAX} bytes"),
            );
            continue;
        }
        let command = match commands::decode(&text) {
            Ok(command) => command,
            Err((req, code, message)) => {
                ctx.error(req, code, &message);
                continue;
            }
        };
        if limiter.check().is_err() {
            ctx.error(
                Some(command.req()),
                ErrorCode::RateLimited,
                "too many commands; slow down",
            );
            continue;
        }
        // At the in-flight cap, stop reading: the client's frames wait in TCP buffers
        // (backpressure) instead of being refused.
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            ctx.run(command, received).await;
            drop(permit);
        });
    }
}
