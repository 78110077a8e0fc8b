//! The writing half of a connection: drains its outbox, pings, and ends the connection with
//! the right closing frame.

use crate::limits::{
    CLOSE_GOING_AWAY, CLOSE_IDLE, CLOSE_RESTARTING, CLOSE_SESSION_ENDED, CLOSE_SLOW_CONSUMER,
    CLOSE_TOO_BIG, WS_PING_INTERVAL_MS,
};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use engine::hub::{self, CloseReason, Inbox};
use futures::stream::SplitSink;
use futures::SinkExt;
use std::time::Duration;

/// The sending half of a WebSocket.
pub type Sink = SplitSink<WebSocket, Message>;

/// How the reading half of a connection ended, which decides how the connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadEnd {
    /// The client sent a Close frame: it gets its Close echoed back.
    PeerClosed,
    /// The stream ended without a Close frame: there is nobody to tell.
    Gone,
    /// The server ends the connection (the outbox's close reason says why, if any).
    ServerClosing,
}

/// Writes the outbox's frames until the connection is closed or a write fails, flushing once
/// per batch of ready frames; pings on an interval. Hands back the sink and the inbox so the
/// connection can be closed with the right frame once both halves have stopped.
pub async fn write_loop(mut sink: Sink, inbox: Inbox) -> (Sink, Inbox) {
    let mut ping = tokio::time::interval(Duration::from_millis(WS_PING_INTERVAL_MS));
    ping.reset();
    loop {
        tokio::select! {
            biased;
            frames = inbox.next_batch() => {
                if write_batch(&mut sink, frames).await.is_err() {
                    break;
                }
            }
            _ = inbox.closed.cancelled() => break,
            _ = ping.tick() => {
                if sink.send(Message::Ping(bytes::Bytes::new())).await.is_err() {
                    break;
                }
            }
        }
    }
    (sink, inbox)
}

/// Ends the connection once both halves have stopped.
pub async fn finish(mut sink: Sink, end: ReadEnd, reason: Option<CloseReason>) {
    match end {
        // RFC 6455 5.5.1: a Close is answered with a Close. The WebSocket layer queued the
        // echo (same code) when it read the client's frame and refuses any other frame after
        // it; flushing writes it out before the socket is dropped.
        ReadEnd::PeerClosed => {
            let _ = sink.flush().await;
        }
        ReadEnd::Gone => {}
        ReadEnd::ServerClosing => {
            let _ = sink.send(closing_frame(reason)).await;
        }
    }
}

fn closing_frame(reason: Option<CloseReason>) -> Message {
    let (code, text) = match reason {
        Some(CloseReason::SlowConsumer) => (CLOSE_SLOW_CONSUMER, "slow consumer"),
        Some(CloseReason::SessionEnded) => (CLOSE_SESSION_ENDED, "session ended"),
        Some(CloseReason::Idle) => (CLOSE_IDLE, "idle"),
        Some(CloseReason::ProtocolViolation) => (CLOSE_TOO_BIG, "message too big"),
        Some(CloseReason::Restarting) => (CLOSE_RESTARTING, "node stopping: connect again"),
        None => (CLOSE_GOING_AWAY, "closing"),
    };
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(text),
    }))
}

/// Writes every frame that was queued at once, then flushes once. (With
/// [`WS_WRITE_BUFFER_BYTES`](crate::limits::WS_WRITE_BUFFER_BYTES) at 0 each frame leaves in its
/// own write to the socket.)
async fn write_batch(
    sink: &mut Sink,
    frames: std::collections::VecDeque<hub::Frame>,
) -> Result<(), axum::Error> {
    for frame in frames {
        feed_frame(sink, frame).await?;
    }
    sink.flush().await
}

async fn feed_frame(sink: &mut Sink, frame: hub::Frame) -> Result<(), axum::Error> {
    // Frames are JSON from serde_json, hence UTF-8; the check is a fast scan and keeps the
    // bytes shared (no copy per connection).
    match Utf8Bytes::try_from(frame) {
        Ok(text) => sink.feed(Message::Text(text)).await,
        Err(_) => Ok(()),
    }
}

/// Writes one frame and flushes it (the connection's first frame, before the outbox drains).
pub async fn send_frame(sink: &mut Sink, frame: hub::Frame) -> Result<(), axum::Error> {
    feed_frame(sink, frame).await?;
    sink.flush().await
}
