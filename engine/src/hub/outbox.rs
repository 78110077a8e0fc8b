//! One connection's queue of frames to write: the hub and the connection's commands push, the
//! connection's writer takes everything queued at once.
//!
//! Written here rather than on a channel because of what an idle connection costs: a bounded
//! channel keeps the blocks its first burst allocated (a new connection is sent about 66 frames
//! at once: the kept feed and each game's state) for as long as it lives, while this queue hands
//! its whole buffer to the writer and holds no allocation while empty. Taking the whole queue
//! also lets the writer send every frame due at one instant with one flush.

use super::{encode, CloseReason, Frame};
use crate::limits::OUTBOX_FRAMES_MAX;
use protocol::ServerMsg;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What both sides of a connection share.
#[derive(Debug, Default)]
struct Shared {
    frames: Mutex<VecDeque<Frame>>,
    /// Woken when the queue goes from empty to not empty.
    queued: Notify,
    /// The receiving side is gone: pushing is pointless.
    gone: AtomicBool,
    reason: OnceLock<CloseReason>,
}

/// The sending side of one connection: a bounded queue of frames plus a way to close it.
#[derive(Clone, Debug)]
pub struct Outbox {
    id: u64,
    shared: Arc<Shared>,
    closed: CancellationToken,
}

/// The receiving side of one connection, owned by its socket task.
#[derive(Debug)]
pub struct Inbox {
    shared: Arc<Shared>,
    /// Cancelled when the server closes the connection.
    pub closed: CancellationToken,
}

/// Opens a connection's outbox and its receiving side.
pub(super) fn open(id: u64) -> (Outbox, Inbox) {
    let shared = Arc::new(Shared::default());
    let closed = CancellationToken::new();
    let outbox = Outbox {
        id,
        shared: shared.clone(),
        closed: closed.clone(),
    };
    (outbox, Inbox { shared, closed })
}

impl Outbox {
    /// This connection's id, unique within the process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Queues a frame without waiting. A full queue ([`OUTBOX_FRAMES_MAX`] frames not yet
    /// taken by the writer) closes the connection as a slow consumer and returns false; so
    /// does a connection that is already gone.
    pub fn push(&self, frame: Frame) -> bool {
        if self.shared.gone.load(Ordering::Acquire) {
            return false;
        }
        let mut frames = self.shared.frames.lock().expect("outbox lock");
        if frames.len() >= OUTBOX_FRAMES_MAX {
            drop(frames);
            metrics::counter!("zerolag_slow_consumer_closes_total").increment(1);
            self.close(CloseReason::SlowConsumer);
            return false;
        }
        let was_empty = frames.is_empty();
        frames.push_back(frame);
        drop(frames);
        if was_empty {
            // Stores a permit when the writer is not waiting yet, so no wake-up is lost.
            self.shared.queued.notify_one();
        }
        true
    }

    /// Encodes a message for this connection alone and queues it.
    pub fn send(&self, msg: &ServerMsg) -> bool {
        self.push(encode(msg))
    }

    /// Closes the connection; the first reason given is the one reported.
    pub fn close(&self, reason: CloseReason) {
        let _ = self.shared.reason.set(reason);
        self.closed.cancel();
    }

    /// Whether the connection has been closed by the server.
    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }
}

impl Inbox {
    /// Waits until at least one frame is queued and takes every queued frame, oldest first.
    /// The queue is left without an allocation.
    pub async fn next_batch(&self) -> VecDeque<Frame> {
        loop {
            let batch = self.take();
            if !batch.is_empty() {
                return batch;
            }
            self.shared.queued.notified().await;
        }
    }

    /// Takes every frame queued now (none: an empty queue without an allocation).
    pub fn take(&self) -> VecDeque<Frame> {
        std::mem::take(&mut *self.shared.frames.lock().expect("outbox lock"))
    }

    /// Why the connection was closed by the server, once it was.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.reason.get().copied()
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.shared.gone.store(true, Ordering::Release);
        self.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::time::Duration;

    #[tokio::test]
    async fn the_writer_takes_everything_queued_in_order_and_waits_for_more() {
        let (outbox, inbox) = open(1);
        assert!(outbox.push(Bytes::from_static(b"1")));
        assert!(outbox.push(Bytes::from_static(b"2")));
        assert_eq!(inbox.next_batch().await, [&b"1"[..], &b"2"[..]]);
        assert_eq!(inbox.take().capacity(), 0, "an empty queue holds no buffer");
        let later = outbox.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            later.push(Bytes::from_static(b"3"));
        });
        assert_eq!(inbox.next_batch().await, [&b"3"[..]]);
    }

    #[tokio::test]
    async fn a_full_queue_closes_the_connection_as_a_slow_consumer() {
        let (outbox, inbox) = open(1);
        for _ in 0..OUTBOX_FRAMES_MAX {
            assert!(outbox.push(Bytes::from_static(b"x")));
        }
        assert!(!outbox.push(Bytes::from_static(b"x")));
        assert!(inbox.closed.is_cancelled());
        assert_eq!(inbox.close_reason(), Some(CloseReason::SlowConsumer));
    }

    #[tokio::test]
    async fn pushing_to_a_connection_that_is_gone_fails() {
        let (outbox, inbox) = open(1);
        drop(inbox);
        assert!(!outbox.push(Bytes::from_static(b"x")));
        assert!(!outbox.is_closed(), "gone is not closed by the server");
    }
}
