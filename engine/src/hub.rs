//! The in-process event bus: topics to subscribers. An event is encoded to JSON once, and the
//! same reference-counted bytes go to every subscriber's bounded outbox. A subscriber whose
//! outbox is full is closed as a slow consumer instead of slowing the others down.
//!
//! Shared topics keep their last [`TOPIC_HISTORY_EVENTS`] encoded events. A subscriber that
//! says which `seq` it saw last (in this hub's [`Hub::epoch`]) first receives the events it
//! missed, and one that does not receives all that are kept: resumption or a fresh snapshot,
//! done under the same lock as publishing so nothing falls in between.
//!
//! When several nodes serve one platform, the topics whose events come from any node (the dice
//! feed, each player's topic) go through the bus between nodes ([`crate::bus`]): publishing
//! hands the encoded event to the bus, which gives it the topic's next `seq` across the cluster
//! and brings it back to every node, which delivers it here ([`Hub::deliver`]). The epoch is then
//! the cluster's.

mod outbox;

pub use outbox::{Inbox, Outbox};

use crate::limits::TOPIC_HISTORY_EVENTS;
use crate::store::now_ms;
use bytes::Bytes;
use protocol::ServerMsg;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::mpsc;

/// What a hub hands to the bus between nodes.
pub enum Outgoing {
    /// An event of a topic that crosses nodes, encoded with `seq` 0 (the bus assigns it).
    Event {
        /// Its topic.
        topic: String,
        /// The encoded event.
        frame: Frame,
    },
    /// A login session ended: its connections on every node close.
    SessionEnded {
        /// The session's id.
        session_id: String,
    },
    /// A topic's state for one connection (on any node), encoded with `seq` 0: it takes its
    /// place in the topic's stream (the seq of the last event before it).
    Snapshot {
        /// Its topic.
        topic: String,
        /// The node of the connection.
        node: u64,
        /// The connection ([`Outbox::id`]).
        connection: u64,
        /// The encoded state.
        frame: Frame,
    },
    /// A command for the node that drives a round game.
    Request {
        /// The game's name.
        game: &'static str,
        /// Where the answer goes.
        node: u64,
        /// The request's number at that node.
        request: u64,
        /// The command, JSON.
        body: Vec<u8>,
    },
    /// A notice for every other node's listener of `kind` ([`crate::bus::Bus::listen`]).
    Notice {
        /// What it is about.
        kind: &'static str,
        /// Its content.
        body: Vec<u8>,
    },
    /// The answer to a [`Outgoing::Request`].
    Reply {
        /// The node that asked.
        node: u64,
        /// The request's number at that node.
        request: u64,
        /// The answer, JSON.
        body: Vec<u8>,
    },
}

/// Where a topic's state goes when a connection joins.
#[derive(Clone)]
pub enum JoinTarget {
    /// A connection of this node.
    Local(Outbox),
    /// A connection of another node (it is subscribed there already).
    Remote {
        /// The node.
        node: u64,
        /// The connection.
        connection: u64,
    },
}

/// One encoded JSON text frame, shared by every connection it is sent to.
pub type Frame = Bytes;

/// Why the server closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The connection's outbox filled up: it could not keep up.
    SlowConsumer,
    /// The player logged out or the session ended.
    SessionEnded,
    /// Nothing was received within the idle timeout.
    Idle,
    /// The peer sent a frame over the hard size limit or broke the protocol.
    ProtocolViolation,
    /// The node is stopping: the client should connect again (to another node).
    Restarting,
}

/// Encodes a server message as a JSON text frame.
pub fn encode(msg: &ServerMsg) -> Frame {
    // Serialising these plain data types cannot fail.
    Bytes::from(serde_json::to_vec(msg).expect("server messages always serialise"))
}

#[derive(Default)]
struct Topic {
    seq: u64,
    subscribers: HashMap<u64, Outbox>,
    /// The latest events with their seq, oldest first (shared topics only).
    history: VecDeque<(u64, Frame)>,
}

#[derive(Default)]
struct Inner {
    topics: HashMap<String, Topic>,
    sessions: HashMap<String, HashMap<u64, Outbox>>,
}

impl Inner {
    /// The topic an event goes to: kept (created if need be) when it keeps its seq, otherwise
    /// only while someone listens (`None`: nobody to tell).
    fn publishing_to(&mut self, topic: &str) -> Option<&mut Topic> {
        if topic_keeps_seq(topic) {
            Some(self.topics.entry(topic.to_owned()).or_default())
        } else {
            self.topics.get_mut(topic)
        }
    }
}

/// Topic registry and fan-out. A cheap `Clone` handle.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Mutex<Inner>>,
    next_connection_id: Arc<AtomicU64>,
    epoch: Arc<AtomicU64>,
    /// The bus between nodes, when there is one, and this node's id on it.
    bus: Arc<OnceLock<(mpsc::Sender<Outgoing>, u64)>>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new()
    }
}

impl Hub {
    /// A hub with no topics and a fresh random epoch.
    pub fn new() -> Hub {
        Hub {
            inner: Arc::default(),
            next_connection_id: Arc::default(),
            // Sequence numbers restart with the process; the epoch tells a client whether the
            // seq it remembers belongs to this run. Kept below 2^53 so JavaScript reads it exactly.
            epoch: Arc::new(AtomicU64::new(new_epoch())),
            bus: Arc::default(),
        }
    }

    /// Identifies this run's sequence numbers (the cluster's, with a bus).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    /// Routes the topics that cross nodes through the bus from now on; `node` is this node's
    /// id on it.
    pub fn attach_bus(&self, bus: mpsc::Sender<Outgoing>, node: u64) {
        let _ = self.bus.set((bus, node));
    }

    /// Hands a message to the bus (false without a bus, or when its queue is full).
    pub fn send_on_bus(&self, message: Outgoing) -> bool {
        match self.bus.get() {
            Some((bus, _)) => bus.try_send(message).is_ok(),
            None => false,
        }
    }

    /// This node's id on the bus.
    pub fn node(&self) -> Option<u64> {
        self.bus.get().map(|(_, node)| *node)
    }

    /// Starts over with the bus's sequence numbers under `epoch` (the bus was lost and found
    /// again, so events may have been missed): every topic forgets its seq and kept events, and
    /// every connection is closed with [`CloseReason::Restarting`], so each client connects
    /// again and gets a fresh snapshot.
    pub fn resync(&self, epoch: u64) {
        let mut inner = self.inner.lock().expect("hub lock");
        self.epoch.store(epoch, Ordering::Relaxed);
        for state in inner.topics.values_mut() {
            state.seq = 0;
            state.history.clear();
            for outbox in state.subscribers.values() {
                outbox.close(CloseReason::Restarting);
            }
            state.subscribers.clear();
        }
        inner.topics.clear();
        for conns in inner.sessions.values() {
            for outbox in conns.values() {
                outbox.close(CloseReason::Restarting);
            }
        }
    }

    /// Opens a connection's bounded outbox and its receiving side.
    pub fn open_connection(&self) -> (Outbox, Inbox) {
        outbox::open(self.next_connection_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Subscribes a connection to a topic. Kept events newer than `after_seq` (all kept events
    /// when `None`) are queued to it first, in order.
    pub fn subscribe(&self, topic: &str, outbox: &Outbox, after_seq: Option<u64>) {
        let mut inner = self.inner.lock().expect("hub lock");
        let state = inner.topics.entry(topic.to_owned()).or_default();
        // A seq from the future (another run of the process) cannot be resumed from.
        let after = after_seq.filter(|seq| *seq <= state.seq).unwrap_or(0);
        for (_, frame) in state.history.iter().filter(|(seq, _)| *seq > after) {
            outbox.push(frame.clone());
        }
        state.subscribers.insert(outbox.id(), outbox.clone());
    }

    /// Subscribes a connection to a topic after queuing it a snapshot built for the topic's
    /// current `seq` (and the time now, Unix ms), atomically with respect to publishing.
    /// Returns that seq.
    pub fn subscribe_with(
        &self,
        topic: &str,
        outbox: &Outbox,
        snapshot: impl FnOnce(String, u64, i64) -> ServerMsg,
    ) -> u64 {
        let mut inner = self.inner.lock().expect("hub lock");
        let state = inner.topics.entry(topic.to_owned()).or_default();
        outbox.send(&snapshot(topic.to_owned(), state.seq, now_ms()));
        state.subscribers.insert(outbox.id(), outbox.clone());
        state.seq
    }

    /// Ties a connection to a login session, so ending the session closes it.
    pub fn attach_session(&self, session_id: &str, outbox: &Outbox) {
        let mut inner = self.inner.lock().expect("hub lock");
        inner
            .sessions
            .entry(session_id.to_owned())
            .or_default()
            .insert(outbox.id(), outbox.clone());
    }

    /// Removes a connection from the given topics and session.
    pub fn disconnect(&self, outbox: &Outbox, topics: &[String], session_id: Option<&str>) {
        let mut inner = self.inner.lock().expect("hub lock");
        for topic in topics {
            if let Some(state) = inner.topics.get_mut(topic) {
                state.subscribers.remove(&outbox.id());
                if state.subscribers.is_empty() && !topic_keeps_seq(topic) {
                    inner.topics.remove(topic);
                }
            }
        }
        if let Some(session_id) = session_id {
            if let Some(conns) = inner.sessions.get_mut(session_id) {
                conns.remove(&outbox.id());
                if conns.is_empty() {
                    inner.sessions.remove(session_id);
                }
            }
        }
    }

    /// Closes every connection of a session (logout): this node's at once, and with a bus, the
    /// other nodes' too.
    pub fn end_session(&self, session_id: &str) {
        if let Some((bus, _)) = self.bus.get() {
            let ended = Outgoing::SessionEnded {
                session_id: session_id.to_owned(),
            };
            if bus.try_send(ended).is_err() {
                tracing::error!(
                    "the bus is not taking messages; other nodes keep the session's connections"
                );
            }
        }
        self.end_local_session(session_id);
    }

    /// Closes this node's connections of a session.
    pub fn end_local_session(&self, session_id: &str) {
        let conns = self
            .inner
            .lock()
            .expect("hub lock")
            .sessions
            .remove(session_id);
        for outbox in conns.into_iter().flat_map(|c| c.into_values()) {
            outbox.close(CloseReason::SessionEnded);
        }
    }

    /// Publishes an event: assigns the topic's next `seq` and the publish time (Unix ms),
    /// encodes once, and queues the same bytes to every subscriber. Returns the number of
    /// subscribers reached.
    ///
    /// With a bus, an event of a topic that crosses nodes is handed to it instead (encoded once
    /// with seq 0), and delivered here when it comes back with its seq; this returns 0.
    pub fn publish(&self, topic: &str, event: impl FnOnce(String, u64, i64) -> ServerMsg) -> usize {
        if let Some((bus, _)) = self.bus.get().filter(|_| crosses_nodes(topic)) {
            let frame = encode(&event(topic.to_owned(), 0, now_ms()));
            let outgoing = Outgoing::Event {
                topic: topic.to_owned(),
                frame,
            };
            if bus.try_send(outgoing).is_err() {
                tracing::error!(topic, "the bus is not taking events; one is lost");
            }
            return 0;
        }
        let mut inner = self.inner.lock().expect("hub lock");
        let Some(state) = inner.publishing_to(topic) else {
            return 0;
        };
        state.seq += 1;
        let frame = encode(&event(topic.to_owned(), state.seq, now_ms()));
        fan_out(topic, state, frame)
    }

    /// Delivers an event that came back from the bus with its `seq` (`frame` carries it).
    pub fn deliver(&self, topic: &str, seq: u64, frame: Frame) -> usize {
        let mut inner = self.inner.lock().expect("hub lock");
        let Some(state) = inner.publishing_to(topic) else {
            return 0;
        };
        state.seq = seq;
        fan_out(topic, state, frame)
    }

    /// Sends a topic's state to a joining connection, then its events. Without a bus this is
    /// [`Hub::subscribe_with`] for a local connection. With one, the state (built for seq 0)
    /// goes through the bus, which gives it its place in the topic's stream and brings it to
    /// the connection's node ([`Hub::deliver_snapshot`]); a local connection is subscribed at
    /// once, so it misses no event after the state.
    pub fn join(
        &self,
        topic: &str,
        target: &JoinTarget,
        snapshot: impl FnOnce(String, u64, i64) -> ServerMsg,
    ) {
        let Some((bus, node)) = self.bus.get().filter(|_| crosses_nodes(topic)) else {
            if let JoinTarget::Local(outbox) = target {
                self.subscribe_with(topic, outbox, snapshot);
            }
            return;
        };
        let (node, connection) = match target {
            JoinTarget::Local(outbox) => {
                self.subscribe(topic, outbox, None);
                (*node, outbox.id())
            }
            JoinTarget::Remote { node, connection } => (*node, *connection),
        };
        let frame = encode(&snapshot(topic.to_owned(), 0, now_ms()));
        let message = Outgoing::Snapshot {
            topic: topic.to_owned(),
            node,
            connection,
            frame,
        };
        if bus.try_send(message).is_err() {
            tracing::error!(
                topic,
                "the bus is not taking messages; a joiner gets no state"
            );
        }
    }

    /// Delivers a state that came back from the bus to the connection it is for, if it is
    /// still subscribed to the topic here.
    pub fn deliver_snapshot(&self, topic: &str, connection: u64, frame: Frame) {
        let inner = self.inner.lock().expect("hub lock");
        if let Some(outbox) = inner
            .topics
            .get(topic)
            .and_then(|state| state.subscribers.get(&connection))
        {
            outbox.push(frame);
        }
    }

    /// Subscribers of a topic right now.
    pub fn subscriber_count(&self, topic: &str) -> usize {
        let inner = self.inner.lock().expect("hub lock");
        inner.topics.get(topic).map_or(0, |t| t.subscribers.len())
    }
}

/// Keeps the frame (if the topic keeps history) and queues it to every subscriber; returns the
/// subscribers reached.
fn fan_out(topic: &str, state: &mut Topic, frame: Frame) -> usize {
    if topic_keeps_history(topic) {
        if state.history.len() == TOPIC_HISTORY_EVENTS {
            state.history.pop_front();
        }
        state.history.push_back((state.seq, frame.clone()));
    }
    let mut reached = 0;
    state.subscribers.retain(|_, outbox| {
        let delivered = outbox.push(frame.clone());
        reached += usize::from(delivered);
        delivered
    });
    reached
}

/// A fresh epoch, below 2^53 so JavaScript reads it exactly.
pub fn new_epoch() -> u64 {
    rand::random::<u64>() >> 11
}

/// Topics whose events reach every node through the bus, when there is one. The dice feed's
/// events come from any node's ledger writer, a player's tabs may be on several nodes, and a
/// round game's events come from the one node that drives it. Presence counts and leaderboard
/// changes do not cross: each node computes the same from what it reads (Redis, the settled bets
/// of every node) and sends them to its own connections. Nor do the dashboard's figures, which
/// are each node's own.
pub fn crosses_nodes(topic: &str) -> bool {
    topic != protocol::presence::PRESENCE_TOPIC
        && topic != protocol::console::ADMIN_TOPIC
        && !topic.starts_with("leaderboard:")
}

/// Shared topics keep their sequence numbers when nobody listens, so a returning client can
/// tell that it missed events; per-player topics are dropped with their last subscriber (their
/// state is re-sent as a snapshot on connect).
fn topic_keeps_seq(topic: &str) -> bool {
    !topic.starts_with("player:")
}

/// Topics whose recent events are kept for resuming clients. Fast-changing state (crash ticks)
/// is not: joiners get a snapshot of it instead.
fn topic_keeps_history(topic: &str) -> bool {
    topic == DICE_FEED_TOPIC
}

/// The topic of one player's private events.
pub fn player_topic(player: protocol::PlayerId) -> String {
    format!("player:{player}")
}

/// The topic of the public dice feed.
pub const DICE_FEED_TOPIC: &str = "dice";

#[cfg(test)]
mod tests;
