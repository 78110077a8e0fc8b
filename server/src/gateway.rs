//! The WebSocket gateway at `/ws`: one connection per browser tab.
//!
//! At upgrade: the `Origin` is checked (cross-site -> 403), the connection count is capped, and
//! the connection is registered with the hub ([`registration`]): tied to the cookie's session
//! before the upgrade is answered, so a logout can never miss it. Then two halves run:
//! - the writer ([`writer`]) drains the connection's bounded outbox (shared, pre-encoded event
//!   frames and this connection's replies), writing every frame that is ready before one
//!   flush, and pings on an interval;
//! - the reader counts every data frame against the per-connection rate limit, enforces the
//!   size limit and the in-flight cap, decodes each frame into a [`protocol::ClientMsg`] and
//!   runs it ([`commands`]), so every command gets exactly one `ack` or `error` with its `req`.
//!
//! When either side ends the connection (the hub or session closes the outbox, the client sends
//! Close, the stream breaks), both halves stop and [`writer::finish`] sends the closing frame:
//! the echo of the client's Close, or the server's close code.
//!
//! When the node drains, the reader stops reading, waits for the commands it already read to be
//! answered, and closes the connection with 1012 (connect again); new upgrades get 503.

pub mod admission;
mod commands;
mod registration;
mod writer;

use crate::client_ip::ClientIp;
use crate::limits::{
    WS_COMMANDS_BURST, WS_COMMANDS_IN_FLIGHT_MAX, WS_COMMANDS_PER_SECOND, WS_CONNECTIONS_MAX,
    WS_FRAME_BYTES_HARD_MAX, WS_IDLE_TIMEOUT_MS, WS_READ_BUFFER_BYTES, WS_WRITE_BUFFER_BYTES,
};
use crate::state::AppState;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use engine::hub::{self, CloseReason};
use futures::stream::SplitStream;
use futures::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use protocol::limits::WS_MESSAGE_BYTES_MAX;
use protocol::wire::{ErrorCode, PROTOCOL_VERSION};
use protocol::ServerMsg;
use registration::Registration;
use std::num::NonZeroU32;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use writer::ReadEnd;

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
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    Query(resume): Query<Resume>,
    ws: WebSocketUpgrade,
) -> Response {
    if !state.allowlist.allows(&headers) {
        tracing::warn!(origin = ?headers.get(axum::http::header::ORIGIN), "cross-origin WebSocket refused");
        return (StatusCode::FORBIDDEN, "cross-origin WebSocket refused").into_response();
    }
    if state.draining.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "this node is stopping").into_response();
    }
    if state.connections.load(Ordering::Relaxed) >= WS_CONNECTIONS_MAX {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    }
    let Some(admitted) = state.admission.admit(ip).await else {
        let refusal = "too many connections from this address";
        return (StatusCode::TOO_MANY_REQUESTS, refusal).into_response();
    };
    // Registered before the upgrade is answered: from here on, a logout closes this connection.
    let registration = registration::register(&state, &jar).await;
    ws.max_message_size(WS_FRAME_BYTES_HARD_MAX)
        .max_frame_size(WS_FRAME_BYTES_HARD_MAX)
        .read_buffer_size(WS_READ_BUFFER_BYTES)
        .write_buffer_size(WS_WRITE_BUFFER_BYTES)
        .on_upgrade(move |socket| serve(socket, state, registration, resume, admitted))
}

/// The `welcome` frame: the player's balance and seed pair read now (after the subscriptions).
async fn welcome(
    state: &AppState,
    session: Option<&engine::accounts::Session>,
    epoch: u64,
) -> hub::Frame {
    let (player, balance, seed) = match session {
        Some(session) => match state.engine.ledger().snapshot(session.player.id).await {
            Ok(snapshot) => (
                Some(session.player.clone()),
                Some(snapshot.balance),
                Some(snapshot.seed),
            ),
            Err(error) => {
                tracing::error!(%error, "snapshot for welcome failed");
                (Some(session.player.clone()), None, None)
            }
        },
        None => (None, None, None),
    };
    hub::encode(&ServerMsg::Welcome {
        version: PROTOCOL_VERSION,
        epoch,
        player,
        balance,
        seed,
    })
}

async fn serve(
    socket: WebSocket,
    state: AppState,
    registration: Registration,
    resume: Resume,
    admitted: admission::Admitted,
) {
    state.connections.fetch_add(1, Ordering::Relaxed);
    let Registration {
        outbox,
        inbox,
        session,
        link,
    } = registration;
    let hub = state.engine.hub().clone();
    let mut topics = vec![
        hub::DICE_FEED_TOPIC.to_owned(),
        protocol::notification::NOTICES_TOPIC.to_owned(),
    ];
    // Every chat room's new messages (a page shows the rooms it has).
    topics.extend(protocol::chat::ROOMS.map(protocol::chat::topic));
    if let Some(session) = &session {
        topics.push(hub::player_topic(session.player.id));
    }
    // Subscribe before reading the snapshot, so no balance change can fall between the two;
    // the welcome still comes first because it is written to the socket before the outbox is
    // drained. The feed replays what a resuming client missed, or its kept events to a new one.
    let epoch = hub.epoch();
    let dice_after = resume.dice.filter(|_| resume.epoch == Some(epoch));
    for topic in &topics {
        let after = if topic == hub::DICE_FEED_TOPIC {
            dice_after
        } else {
            None
        };
        hub.subscribe(topic, &outbox, after);
    }
    let welcome = welcome(&state, session.as_ref(), epoch).await;
    let (mut sink, stream) = socket.split();
    // A failed write means the peer is gone; the read loop then ends at once.
    let _ = writer::send_frame(&mut sink, welcome).await;
    let person = match &session {
        Some(session) => engine::presence::Person::Player(session.player.id),
        None => engine::presence::Person::Visitor(outbox.id()),
    };
    state.engine.presence().arrive(&outbox, person);
    topics.push(protocol::presence::PRESENCE_TOPIC.to_owned());
    if let Some(session) = &session {
        // A notification kept while the player had no connection (the signup grant).
        if let Err(error) = state
            .engine
            .notices()
            .deliver_pending(session.player.id)
            .await
        {
            tracing::error!(%error, "cannot deliver pending notifications");
        }
    }
    let joined = state.engine.join_round_games(&outbox).await;
    topics.extend(joined.into_iter().map(str::to_owned));
    // Leaderboards a `leaderboard_watch` may subscribe the connection to.
    topics.extend(protocol::leaderboard::Scope::ALL.map(|scope| scope.topic()));
    // What a connection may watch on command, unsubscribed when it closes.
    topics.push(protocol::console::ADMIN_TOPIC.to_owned());

    let closed = inbox.closed.clone();
    let writer = tokio::spawn(writer::write_loop(sink, inbox));
    let ctx = commands::Context {
        engine: state.engine.clone(),
        session,
        outbox: outbox.clone(),
    };
    let end = read_loop(stream, ctx, closed.clone(), state.draining.clone()).await;
    closed.cancel();
    if let Ok((sink, inbox)) = writer.await {
        writer::finish(sink, end, inbox.close_reason()).await;
    }
    state.engine.presence().leave(outbox.id());
    hub.disconnect(&outbox, &topics, None);
    drop(link);
    state.connections.fetch_sub(1, Ordering::Relaxed);
    drop(admitted);
}

/// The `req` of a frame that is not decoded, so a refusal can still name the command.
fn request_id(text: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Req {
        req: Option<u64>,
    }
    serde_json::from_str::<Req>(text).ok()?.req
}

/// The text of a data frame that passes the rate limit and the size limit; otherwise the
/// refusal is sent and `None` returned. Every data frame counts against the rate limit, whether
/// it decodes or not: refusing a malformed frame is work too.
fn admit(
    limiter: &DefaultDirectRateLimiter,
    ctx: &commands::Context,
    text: Option<Utf8Bytes>,
) -> Option<Utf8Bytes> {
    if limiter.check().is_err() {
        let req = text
            .as_deref()
            .filter(|text| text.len() <= WS_MESSAGE_BYTES_MAX)
            .and_then(request_id);
        ctx.error(req, ErrorCode::RateLimited, "too many commands; slow down");
        return None;
    }
    let Some(text) = text else {
        ctx.error(None, ErrorCode::BadRequest, "frames are JSON text");
        return None;
    };
    if text.len() > WS_MESSAGE_BYTES_MAX {
        ctx.error(
            None,
            ErrorCode::TooLarge,
            &format!("frames are limited to {WS_MESSAGE_BYTES_MAX} bytes"),
        );
        return None;
    }
    Some(text)
}

async fn read_loop(
    mut stream: SplitStream<WebSocket>,
    ctx: commands::Context,
    closed: CancellationToken,
    draining: CancellationToken,
) -> ReadEnd {
    let limiter: Arc<DefaultDirectRateLimiter> = Arc::new(RateLimiter::direct(
        Quota::per_second(NonZeroU32::new(WS_COMMANDS_PER_SECOND).expect("non-zero"))
            .allow_burst(NonZeroU32::new(WS_COMMANDS_BURST).expect("non-zero")),
    ));
    let in_flight = Arc::new(Semaphore::new(WS_COMMANDS_IN_FLIGHT_MAX));
    let idle = Duration::from_millis(WS_IDLE_TIMEOUT_MS);
    loop {
        let deadline = Instant::now() + idle;
        let message = tokio::select! {
            // A closed connection reads nothing more, even with frames waiting: after a
            // logout returned, no frame of its connections is run.
            biased;
            _ = closed.cancelled() => return ReadEnd::ServerClosing,
            _ = draining.cancelled() => {
                // Every command read so far is answered before the Close: the client knows
                // the fate of each, and resends only what it never got an answer to.
                let _answered = in_flight.acquire_many(WS_COMMANDS_IN_FLIGHT_MAX as u32).await;
                ctx.outbox.close(CloseReason::Restarting);
                return ReadEnd::ServerClosing;
            }
            _ = tokio::time::sleep_until(deadline) => {
                ctx.outbox.close(CloseReason::Idle);
                return ReadEnd::ServerClosing;
            }
            message = stream.next() => message,
        };
        // A crash cash-out counts at this moment, before any queueing on our side.
        let received = Instant::now();
        let text = match message {
            Some(Ok(Message::Text(text))) => Some(text),
            Some(Ok(Message::Binary(_))) => None,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) => return ReadEnd::PeerClosed,
            None => return ReadEnd::Gone,
            Some(Err(error)) => {
                // Over the hard frame limit, or a broken connection: nothing more can be read.
                tracing::debug!(%error, "WebSocket read failed");
                ctx.outbox.close(CloseReason::ProtocolViolation);
                return ReadEnd::ServerClosing;
            }
        };
        let Some(text) = admit(&limiter, &ctx, text) else {
            continue;
        };
        let command = match commands::decode(&text) {
            Ok(command) => command,
            Err((req, code, message)) => {
                ctx.error(req, code, &message);
                continue;
            }
        };
        // At the in-flight cap, stop reading: the client's frames wait in TCP buffers
        // (backpressure) instead of being refused.
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return ReadEnd::ServerClosing;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            // A command read just before its connection was closed (say, by a logout) does
            // not act after it.
            if !ctx.outbox.is_closed() {
                ctx.run(command, received).await;
            }
            drop(permit);
        });
    }
}
