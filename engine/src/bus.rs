//! The bus between nodes: Redis, when the operator runs several nodes (`--redis-url`).
//!
//! The events of topics that may come from any node ([`hub::crosses_nodes`]: the dice feed and
//! each player's topic) go through Redis once. The producing node's hub encodes the event once
//! (with `seq` 0) and hands it here; one Lua script gives the topic its next `seq` (`INCR`) and
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

use crate::hub::{self, Hub, Outgoing};
use crate::limits::{BUS_PIPELINE_MESSAGES_MAX, BUS_QUEUE_MESSAGES_MAX, BUS_RECONNECT_WAIT_MAX_MS};
use futures::StreamExt;
use redis::aio::{ConnectionManager, PubSub};
use std::time::Duration;
use tokio::sync::mpsc;

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
}

impl Names {
    fn new(prefix: &str) -> Names {
        Names {
            channel: format!("{prefix}:events"),
            epoch: format!("{prefix}:epoch"),
            seq: format!("{prefix}:seq:"),
        }
    }
}

/// Gives the topic (`KEYS[1]`) its next seq and publishes `E <seq> <topic>\n<event>` on the
/// channel (`ARGV[1]`), atomically: Redis runs one script at a time, so publication order is
/// seq order.
const PUBLISH_LUA: &str = "local seq = redis.call('INCR', KEYS[1]) \
     redis.call('PUBLISH', ARGV[1], 'E ' .. seq .. ' ' .. ARGV[2] .. '\\n' .. ARGV[3]) \
     return seq";

/// A node's link to the bus. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    commands: ConnectionManager,
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
        tokio::spawn(publish_loop(queue, commands.clone(), names.clone()));
        let link = Link {
            client,
            commands: commands.clone(),
            names,
        };
        tokio::spawn(receive_loop(link, pubsub, hub.clone()));
        hub.attach_bus(outgoing);
        Ok(Bus { commands })
    }

    /// Whether Redis answers.
    pub async fn ping(&self) -> Result<(), redis::RedisError> {
        redis::cmd("PING")
            .query_async::<()>(&mut self.commands.clone())
            .await
    }
}

/// What the receiving side needs to reach Redis again.
struct Link {
    client: redis::Client,
    commands: ConnectionManager,
    names: Names,
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
            };
        }
        if let Err(error) = pipe.query_async::<()>(&mut conn).await {
            // Lost events: every node resyncs its clients once it has Redis back.
            tracing::error!(%error, "publishing on the bus failed; events were lost");
        }
    }
}

/// Delivers what arrives on the bus; when the bus is lost, reaches it again and resyncs.
async fn receive_loop(mut link: Link, pubsub: PubSub, hub: Hub) {
    let mut pubsub = pubsub;
    loop {
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            receive(&hub, message.get_payload_bytes());
        }
        tracing::warn!("lost the bus (Redis); reaching it again");
        let mut wait = Duration::from_millis(100);
        let epoch;
        (pubsub, epoch) = loop {
            tokio::time::sleep(wait).await;
            match reconnect(&mut link).await {
                Ok(back) => break back,
                Err(error) => {
                    tracing::warn!(%error, "Redis is still unreachable");
                    wait = (wait * 2).min(Duration::from_millis(BUS_RECONNECT_WAIT_MAX_MS));
                }
            }
        };
        tracing::info!(
            epoch,
            "the bus is back; clients reconnect for fresh snapshots"
        );
        hub.resync(epoch);
    }
}

/// Listens again and reads the cluster's epoch (a new one after a Redis restart).
async fn reconnect(link: &mut Link) -> Result<(PubSub, u64), redis::RedisError> {
    let pubsub = subscribed(&link.client, &link.names).await?;
    let epoch = cluster_epoch(&mut link.commands, &link.names).await?;
    Ok((pubsub, epoch))
}

/// Handles one message from the bus: `E <seq> <topic>\n<event>` or `S <session id>`.
fn receive(hub: &Hub, payload: &[u8]) {
    match payload.split_first() {
        Some((b'E', rest)) => match parse_event(rest) {
            Some((seq, topic, frame)) => {
                hub.deliver(topic, seq, frame);
            }
            None => tracing::error!("unreadable event on the bus"),
        },
        Some((b'S', rest)) => match std::str::from_utf8(rest) {
            Ok(session_id) => hub.end_local_session(session_id.trim_start()),
            Err(_) => tracing::error!("unreadable session on the bus"),
        },
        _ => tracing::error!("unknown message on the bus"),
    }
}

/// ` <seq> <topic>\n<event JSON with seq 0>` -> (seq, topic, the event encoded with its seq).
fn parse_event(rest: &[u8]) -> Option<(u64, &str, hub::Frame)> {
    let newline = rest.iter().position(|b| *b == b'\n')?;
    let head = std::str::from_utf8(&rest[..newline]).ok()?;
    let (seq, topic) = head.trim_start().split_once(' ')?;
    let seq: u64 = seq.parse().ok()?;
    let mut event: serde_json::Value = serde_json::from_slice(&rest[newline + 1..]).ok()?;
    *event.get_mut("seq")? = serde_json::Value::from(seq);
    let frame = serde_json::to_vec(&event).ok()?;
    Some((seq, topic, hub::Frame::from(frame)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_from_the_bus_carries_the_seq_the_bus_gave_it() {
        let (seq, topic, frame) =
            parse_event(b" 42 player:7\n{\"type\":\"balance\",\"topic\":\"player:7\",\"seq\":0}")
                .unwrap();
        assert_eq!((seq, topic), (42, "player:7"));
        let event: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        assert_eq!(event["seq"], 42);
        assert_eq!(event["type"], "balance");
        assert!(parse_event(b" x player:7\n{}").is_none());
        assert!(parse_event(b" 1 player:7\n{\"no_seq\":1}").is_none());
    }
}
