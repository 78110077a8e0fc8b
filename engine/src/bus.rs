//! The bus between nodes: Redis, when the operator runs several nodes (`--redis-url`).
//!
//! The events of topics that may come from any node ([`hub::crosses_nodes`]: every topic but
//! `presence`, whose counts each node reads from Redis itself) go through Redis once. The
//! producing node's hub encodes the event once (with `seq` 0) and hands it here; one Lua script gives the topic its next `seq` (`INCR`) and
//! publishes the event with it, in one step, so every node receives every topic's events in
//! `seq` order, whichever node produced them. Each node sets the `seq` into the event, encodes
//! it once more, and fans the same bytes out to its own sockets ([`Hub::deliver`]). So a client
//! sees the same `seq` for an event on every node, and resumes on any node from its (epoch, seq).
//!
//! The epoch is the cluster's (a key in Redis). When a node loses Redis and reaches it again,
//! events may have been missed, and after a Redis restart the `seq` counters start over with a
//! new epoch: either way the node resyncs ([`Hub::resync`]): its clients are asked to reconnect
//! (close 1012) and get fresh snapshots. Nothing in Redis is money: the ledger is unaffected.
//!
//! Logouts also cross: ending a session closes its connections on every node.
//!
//! Round games are driven by one node each (the holder of the game's lease,
//! `lease.rs`); the others send it their players' round commands over the bus
//! ([`Bus::call`], answered with [`Bus::reply`]) and get each joining connection's state from it
//! in the topic's stream ([`Hub::join`]).
//!
//! Other nodes' notices ([`Bus::listen`]: the bets each node's ledger settles, for every node's
//! leaderboards) go to this node's listener of their kind.
//!
//! Messages on the channel: `E <seq> <topic>\n<event>`, `J <seq> <topic> <node>
//! <connection>\n<state>`, `S <session>`, `Q <game> <node> <request>\n<command>`,
//! `A <node> <request>\n<answer>`, `N <kind> <node>\n<notice>`.

use crate::hub::{self, Hub, Outgoing};
use crate::limits::{BUS_PIPELINE_MESSAGES_MAX, BUS_QUEUE_MESSAGES_MAX, ROUND_REMOTE_TIMEOUT_MS};
use redis::aio::{ConnectionManager, PubSub};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

mod receive;
mod slots;

use receive::{receive_loop, Link, Receiver};

/// The names a platform uses in Redis, all under its prefix (`--redis-prefix`, `zerolag` by
/// default), so several platforms may share one Redis.
#[derive(Clone)]
struct Names {
    /// The channel every node publishes to and listens on: `<prefix>:events`.
    channel: String,
    /// The cluster's epoch: `<prefix>:epoch`.
    epoch: String,
    /// Each topic's last `seq` is kept under `<prefix>:seq:<topic>`.
    seq: String,
    /// Shared throttles' buckets: `<prefix>:throttle:<name>`.
    throttle: String,
    /// Slots counted across the cluster: `<prefix>:slots:<name>` (`bus/slots.rs`).
    slots: String,
}

impl Names {
    fn new(prefix: &str) -> Names {
        Names {
            channel: format!("{prefix}:events"),
            epoch: format!("{prefix}:epoch"),
            seq: format!("{prefix}:seq:"),
            throttle: format!("{prefix}:throttle:"),
            slots: format!("{prefix}:slots:"),
        }
    }
}

/// Gives the topic (`KEYS[1]`) its next seq and publishes `E <seq> <topic>\n<event>` on the
/// channel (`ARGV[1]`), atomically: Redis runs one script at a time, so publication order is
/// seq order.
const PUBLISH_LUA: &str = "local seq = redis.call('INCR', KEYS[1]) \
     redis.call('PUBLISH', ARGV[1], 'E ' .. seq .. ' ' .. ARGV[2] .. '\\n' .. ARGV[3]) \
     return seq";
/// Publishes a state for one connection, `J <seq> <topic> <node> <connection>\n<state>`, with
/// the topic's current seq (that of the last event before it).
const SNAPSHOT_LUA: &str = "local seq = redis.call('GET', KEYS[1]) or '0' \
     redis.call('PUBLISH', ARGV[1], 'J ' .. seq .. ' ' .. ARGV[2] .. '\\n' .. ARGV[3]) \
     return 0";

/// One take from a token bucket shared by every node (the generic cell rate algorithm, the one
/// `governor` uses on each node): `KEYS[1]` holds the time the bucket is next full of credit
/// for one more; `ARGV` are the refill period (ms) and the burst. Answers 0 when the take is
/// allowed, otherwise the milliseconds until it would be. Redis's clock, so nodes' clocks do not
/// matter.
const THROTTLE_LUA: &str = "local period = tonumber(ARGV[1]) local burst = tonumber(ARGV[2]) \
     local time = redis.call('TIME') local now = time[1] * 1000 + math.floor(time[2] / 1000) \
     local tat = tonumber(redis.call('GET', KEYS[1])) or now \
     if tat < now then tat = now end \
     local from = tat - period * (burst - 1) \
     if now < from then return from - now end \
     tat = tat + period \
     redis.call('SET', KEYS[1], tat, 'PX', tat - now + period) \
     return 0";

/// A command for a round game's driver that arrived over the bus: answer it with
/// [`Bus::reply`].
pub struct Request {
    /// The node that asked.
    pub node: u64,
    /// The request's number at that node.
    pub request: u64,
    /// The command, JSON.
    pub body: Vec<u8>,
}

/// Requests waiting for answers, and the round games this node drives.
#[derive(Default)]
struct Shared {
    next_request: AtomicU64,
    waiting: Mutex<HashMap<u64, oneshot::Sender<Vec<u8>>>>,
    driven: Mutex<HashMap<String, mpsc::Sender<Request>>>,
    /// Where other nodes' notices of each kind go.
    listeners: Mutex<HashMap<&'static str, mpsc::Sender<Vec<u8>>>>,
}

/// A node's link to the bus. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    commands: ConnectionManager,
    names: Names,
    hub: Hub,
    node: u64,
    shared: Arc<Shared>,
}

impl Bus {
    /// Connects to Redis at `url`, takes the cluster's epoch, and routes `hub`'s topics that
    /// cross nodes through it from now on. Every name in Redis starts with `prefix`.
    pub async fn start(url: &str, prefix: &str, hub: Hub) -> Result<Bus, redis::RedisError> {
        let names = Names::new(prefix);
        let client = redis::Client::open(url)?;
        let mut commands = client.get_connection_manager().await?;
        let pubsub = subscribed(&client, &names).await?;
        let epoch = cluster_epoch(&mut commands, &names).await?;
        hub.resync(epoch);
        let (outgoing, queue) = mpsc::channel(BUS_QUEUE_MESSAGES_MAX);
        let node = hub::new_epoch();
        tokio::spawn(publish_loop(queue, commands.clone(), names.clone(), node));
        let shared = Arc::new(Shared::default());
        let link = Link {
            client,
            commands: commands.clone(),
            names: names.clone(),
        };
        let receiver = Receiver {
            hub: hub.clone(),
            node,
            shared: shared.clone(),
        };
        tokio::spawn(receive_loop(link, pubsub, receiver));
        hub.attach_bus(outgoing, node);
        Ok(Bus {
            commands,
            names,
            hub,
            node,
            shared,
        })
    }

    /// Sends other nodes' notices of `kind` to `listener` from now on (a full listener misses
    /// them: it is told by the notices' own means, e.g. a counter, and must recover).
    pub fn listen(&self, kind: &'static str, listener: mpsc::Sender<Vec<u8>>) {
        let mut listeners = self.shared.listeners.lock().expect("bus lock");
        listeners.insert(kind, listener);
    }

    /// Sends a notice of `kind` to the other nodes' listeners.
    pub fn notify(&self, kind: &'static str, body: Vec<u8>) -> bool {
        self.hub.send_on_bus(Outgoing::Notice { kind, body })
    }

    /// Takes one from the token bucket `name` shared by every node (`burst` at most, one more
    /// every `refill_ms`): `None` when allowed, otherwise how long until it would be.
    pub async fn throttle(
        &self,
        name: &str,
        burst: u32,
        refill_ms: u64,
    ) -> Result<Option<Duration>, redis::RedisError> {
        let wait_ms: u64 = redis::cmd("EVAL")
            .arg(THROTTLE_LUA)
            .arg(1)
            .arg(format!("{}{name}", self.names.throttle))
            .arg(refill_ms)
            .arg(burst)
            .query_async(&mut self.commands.clone())
            .await?;
        Ok((wait_ms > 0).then(|| Duration::from_millis(wait_ms)))
    }

    /// This node's id on the bus (random per process).
    pub fn node(&self) -> u64 {
        self.node
    }

    /// The hub the bus delivers to.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Sends a command to the node that drives `game` and waits for its answer (at most
    /// [`ROUND_REMOTE_TIMEOUT_MS`]; `None` when none came: no node drives the game right now,
    /// or the bus is down).
    pub async fn call(&self, game: &'static str, body: Vec<u8>) -> Option<Vec<u8>> {
        let request = self.shared.next_request.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        self.waiting().insert(request, answer);
        let sent = self.hub.send_on_bus(Outgoing::Request {
            game,
            node: self.node,
            request,
            body,
        });
        let wait = Duration::from_millis(ROUND_REMOTE_TIMEOUT_MS);
        let answer = match sent {
            true => tokio::time::timeout(wait, answered).await.ok()?.ok(),
            false => None,
        };
        self.waiting().remove(&request);
        answer
    }

    /// Sends a command to the node that drives `game`, without waiting for anything.
    pub fn tell(&self, game: &'static str, body: Vec<u8>) {
        let request = self.shared.next_request.fetch_add(1, Ordering::Relaxed);
        self.hub.send_on_bus(Outgoing::Request {
            game,
            node: self.node,
            request,
            body,
        });
    }

    /// Answers a request that came over the bus.
    pub fn reply(&self, to: &Request, body: Vec<u8>) {
        self.hub.send_on_bus(Outgoing::Reply {
            node: to.node,
            request: to.request,
            body,
        });
    }

    /// This node drives `game` from now on: the commands other nodes send for it arrive here.
    pub fn drive(&self, game: &str, requests: mpsc::Sender<Request>) {
        self.driven().insert(game.to_owned(), requests);
    }

    /// This node no longer drives `game`.
    pub fn stop_driving(&self, game: &str) {
        self.driven().remove(game);
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Vec<u8>>>> {
        self.shared.waiting.lock().expect("bus lock")
    }

    fn driven(&self) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::Sender<Request>>> {
        self.shared.driven.lock().expect("bus lock")
    }

    /// Whether Redis answers.
    pub async fn ping(&self) -> Result<(), redis::RedisError> {
        redis::cmd("PING")
            .query_async::<()>(&mut self.commands.clone())
            .await
    }
}

/// A connection listening on the platform's channel.
async fn subscribed(client: &redis::Client, names: &Names) -> Result<PubSub, redis::RedisError> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(&names.channel).await?;
    Ok(pubsub)
}

/// The cluster's epoch: the one in Redis, or a new one when there is none (a fresh or restarted
/// Redis).
async fn cluster_epoch(
    conn: &mut ConnectionManager,
    names: &Names,
) -> Result<u64, redis::RedisError> {
    redis::cmd("SET")
        .arg(&names.epoch)
        .arg(hub::new_epoch())
        .arg("NX")
        .query_async::<Option<String>>(&mut *conn)
        .await?;
    redis::cmd("GET").arg(&names.epoch).query_async(conn).await
}

/// Sends what the hub hands over, as many messages per round trip as are waiting.
async fn publish_loop(
    mut queue: mpsc::Receiver<Outgoing>,
    mut conn: ConnectionManager,
    names: Names,
    node: u64,
) {
    let mut batch = Vec::with_capacity(BUS_PIPELINE_MESSAGES_MAX);
    while queue.recv_many(&mut batch, BUS_PIPELINE_MESSAGES_MAX).await > 0 {
        let mut pipe = redis::pipe();
        for message in batch.drain(..) {
            match message {
                Outgoing::Event { topic, frame } => pipe
                    .cmd("EVAL")
                    .arg(PUBLISH_LUA)
                    .arg(1)
                    .arg(format!("{}{topic}", names.seq))
                    .arg(&names.channel)
                    .arg(topic)
                    .arg(frame.as_ref())
                    .ignore(),
                Outgoing::SessionEnded { session_id } => pipe
                    .cmd("PUBLISH")
                    .arg(&names.channel)
                    .arg(format!("S {session_id}"))
                    .ignore(),
                Outgoing::Snapshot {
                    topic,
                    node,
                    connection,
                    frame,
                } => pipe
                    .cmd("EVAL")
                    .arg(SNAPSHOT_LUA)
                    .arg(1)
                    .arg(format!("{}{topic}", names.seq))
                    .arg(&names.channel)
                    .arg(format!("{topic} {node} {connection}"))
                    .arg(frame.as_ref())
                    .ignore(),
                Outgoing::Request {
                    game,
                    node,
                    request,
                    body,
                } => publish(
                    &mut pipe,
                    &names,
                    format!("Q {game} {node} {request}"),
                    &body,
                ),
                Outgoing::Reply {
                    node,
                    request,
                    body,
                } => publish(&mut pipe, &names, format!("A {node} {request}"), &body),
                Outgoing::Notice { kind, body } => {
                    publish(&mut pipe, &names, format!("N {kind} {node}"), &body)
                }
            };
        }
        if let Err(error) = pipe.query_async::<()>(&mut conn).await {
            // Lost events: every node resyncs its clients once it has Redis back.
            tracing::error!(%error, "publishing on the bus failed; events were lost");
        }
    }
}

/// Adds the publication of `<head>\n<body>` to the pipeline.
fn publish<'p>(
    pipe: &'p mut redis::Pipeline,
    names: &Names,
    head: String,
    body: &[u8],
) -> &'p mut redis::Pipeline {
    let message = [head.as_bytes(), b"\n", body].concat();
    pipe.cmd("PUBLISH")
        .arg(&names.channel)
        .arg(message)
        .ignore()
}
