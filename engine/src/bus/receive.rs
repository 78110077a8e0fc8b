//! The receiving side of the bus: one connection listening on the platform's channel, handing
//! each message to this node's hub, to the round game this node drives or to a call waiting for
//! its answer, and reaching Redis again (then resyncing the hub) when it is lost.

use super::{cluster_epoch, subscribed, Names, Request, Shared};
use crate::hub::{self, Hub};
use crate::limits::BUS_RECONNECT_WAIT_MAX_MS;
use futures::StreamExt;
use redis::aio::{ConnectionManager, PubSub};
use std::sync::Arc;
use std::time::Duration;

/// What the receiving side delivers to.
pub(super) struct Receiver {
    pub(super) hub: Hub,
    pub(super) node: u64,
    pub(super) shared: Arc<Shared>,
}

/// What the receiving side needs to reach Redis again.
pub(super) struct Link {
    pub(super) client: redis::Client,
    pub(super) commands: ConnectionManager,
    pub(super) names: Names,
}

/// Delivers what arrives on the bus; when the bus is lost, reaches it again and resyncs.
pub(super) async fn receive_loop(mut link: Link, pubsub: PubSub, receiver: Receiver) {
    let mut pubsub = pubsub;
    loop {
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            receiver.receive(message.get_payload_bytes());
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
        receiver.hub.resync(epoch);
    }
}

/// Listens again and reads the cluster's epoch (a new one after a Redis restart).
async fn reconnect(link: &mut Link) -> Result<(PubSub, u64), redis::RedisError> {
    let pubsub = subscribed(&link.client, &link.names).await?;
    let epoch = cluster_epoch(&mut link.commands, &link.names).await?;
    Ok((pubsub, epoch))
}

impl Receiver {
    /// Handles one message from the bus (see the module's list).
    fn receive(&self, payload: &[u8]) {
        let Some((&kind, rest)) = payload.split_first() else {
            return tracing::error!("empty message on the bus");
        };
        let handled = match kind {
            b'E' => parse_event(rest).map(|(seq, topic, frame)| {
                self.hub.deliver(topic, seq, frame);
            }),
            b'J' => self.snapshot(rest),
            b'S' => std::str::from_utf8(rest)
                .ok()
                .map(|session| self.hub.end_local_session(session.trim_start())),
            b'Q' => self.request(rest),
            b'A' => self.answer(rest),
            b'N' => self.notice(rest),
            _ => None,
        };
        if handled.is_none() {
            tracing::error!(kind = %char::from(kind), "unreadable message on the bus");
        }
    }

    /// ` <seq> <topic> <node> <connection>\n<state>`: for a connection of this node.
    fn snapshot(&self, rest: &[u8]) -> Option<()> {
        let (head, body) = split_head(rest)?;
        let mut fields = head.split_whitespace();
        let (seq, topic) = (fields.next()?.parse::<u64>().ok()?, fields.next()?);
        let (node, connection) = (fields.next()?.parse::<u64>().ok()?, fields.next()?);
        if node != self.node {
            return Some(());
        }
        let frame = with_seq(body, seq)?;
        self.hub
            .deliver_snapshot(topic, connection.parse().ok()?, frame);
        Some(())
    }

    /// ` <kind> <node>\n<notice>`: for this node's listener of the kind, if it came from
    /// another node.
    fn notice(&self, rest: &[u8]) -> Option<()> {
        let (head, body) = split_head(rest)?;
        let mut fields = head.split_whitespace();
        let kind = fields.next()?;
        let node: u64 = fields.next()?.parse().ok()?;
        if node == self.node {
            return Some(());
        }
        let listeners = self.shared.listeners.lock().expect("bus lock");
        if let Some(listener) = listeners.get(kind) {
            if listener.try_send(body.to_vec()).is_err() {
                tracing::warn!(kind, "a listener on the bus is full; a notice is dropped");
            }
        }
        Some(())
    }

    /// ` <game> <node> <request>\n<command>`: for this node if it drives the game.
    fn request(&self, rest: &[u8]) -> Option<()> {
        let (head, body) = split_head(rest)?;
        let mut fields = head.split_whitespace();
        let game = fields.next()?;
        let node = fields.next()?.parse().ok()?;
        let request = fields.next()?.parse().ok()?;
        let driver = self
            .shared
            .driven
            .lock()
            .expect("bus lock")
            .get(game)
            .cloned();
        if let Some(driver) = driver {
            let request = Request {
                node,
                request,
                body: body.to_vec(),
            };
            if driver.try_send(request).is_err() {
                tracing::warn!(game, "the round game's driver is not taking commands");
            }
        }
        Some(())
    }

    /// ` <node> <request>\n<answer>`: for a request of this node.
    fn answer(&self, rest: &[u8]) -> Option<()> {
        let (head, body) = split_head(rest)?;
        let mut fields = head.split_whitespace();
        let node: u64 = fields.next()?.parse().ok()?;
        let request: u64 = fields.next()?.parse().ok()?;
        if node == self.node {
            let waiting = self
                .shared
                .waiting
                .lock()
                .expect("bus lock")
                .remove(&request);
            if let Some(waiting) = waiting {
                let _ = waiting.send(body.to_vec());
            }
        }
        Some(())
    }
}

/// A message's first line (as text) and the rest.
fn split_head(rest: &[u8]) -> Option<(&str, &[u8])> {
    let newline = rest.iter().position(|b| *b == b'\n')?;
    let head = std::str::from_utf8(&rest[..newline]).ok()?;
    Some((head, &rest[newline + 1..]))
}

/// The event or state, encoded again with its `seq` (its fields keep their order: the same
/// bytes a single node would send).
fn with_seq(body: &[u8], seq: u64) -> Option<hub::Frame> {
    let mut event: serde_json::Value = serde_json::from_slice(body).ok()?;
    *event.get_mut("seq")? = serde_json::Value::from(seq);
    Some(hub::Frame::from(serde_json::to_vec(&event).ok()?))
}

/// ` <seq> <topic>\n<event JSON with seq 0>` -> (seq, topic, the event encoded with its seq).
fn parse_event(rest: &[u8]) -> Option<(u64, &str, hub::Frame)> {
    let (head, body) = split_head(rest)?;
    let (seq, topic) = head.trim_start().split_once(' ')?;
    let seq: u64 = seq.parse().ok()?;
    Some((seq, topic, with_seq(body, seq)?))
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
        assert!(frame.starts_with(br#"{"type":"balance","topic":"player:7","seq":42"#));
        let event: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        assert_eq!(event["seq"], 42);
        assert_eq!(event["type"], "balance");
        assert!(parse_event(b" x player:7\n{}").is_none());
        assert!(parse_event(b" 1 player:7\n{\"no_seq\":1}").is_none());
    }
}
