//! Who is online: how many people are connected (`global`) and how many are on each game's
//! page, counting a signed-in player once however many tabs they have open (a visitor counts
//! once per tab).
//!
//! Each node keeps its own connections' places. Without Redis the counts are this node's. With
//! Redis, a node writes its people into one sorted set per room (`<prefix>:slots:presence:<room>`,
//! the same slots the connection limit uses: one member per person, scored with the time it
//! lapses) and renews them every [`PRESENCE_RENEW_MS`]; every node counts the sets. A person
//! on two nodes is one member; a tab that closes stops being renewed, and its person leaves
//! within [`PRESENCE_TTL_MS`] unless another tab renews them. Every [`PRESENCE_REFRESH_MS`] a node
//! sends its own connections the counts when they changed (topic `presence`, which does not
//! cross nodes: each node reads the same counts).

use crate::bus::Bus;
use crate::hub::{Hub, Outbox};
use crate::limits::{PRESENCE_REFRESH_MS, PRESENCE_RENEW_MS, PRESENCE_TTL_MS};
use protocol::chat::ROOMS;
use protocol::presence::{Counts, PRESENCE_TOPIC};
use protocol::{PlayerId, ServerMsg};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// One person: a signed-in player, or a visitor's connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Person {
    /// Counted once across tabs and nodes.
    Player(PlayerId),
    /// Counted per connection.
    Visitor(u64),
}

impl Person {
    fn member(&self, node: u64) -> String {
        match self {
            Person::Player(player) => format!("p:{}", player.0),
            Person::Visitor(connection) => format!("v:{node}:{connection}"),
        }
    }
}

/// Presence, shared by cheap clones.
#[derive(Clone)]
pub struct Presence {
    inner: Arc<Inner>,
}

struct Inner {
    hub: Hub,
    bus: Option<Bus>,
    /// This node's connections: each one's person and game room.
    here: Mutex<HashMap<u64, (Person, Option<&'static str>)>>,
    /// The counts last sent.
    sent: Mutex<Counts>,
}

impl Presence {
    /// Presence on `hub`'s connections, across the nodes of `bus`.
    pub fn start(hub: Hub, bus: Option<Bus>) -> Presence {
        let inner = Arc::new(Inner {
            hub,
            bus,
            here: Mutex::default(),
            sent: Mutex::default(),
        });
        tokio::spawn(refresh(Arc::downgrade(&inner)));
        Presence { inner }
    }

    /// A connection arrives: it counts in `global` from now on, and it is sent the counts.
    pub fn arrive(&self, connection: &Outbox, person: Person) {
        let inner = &self.inner;
        inner
            .here
            .lock()
            .expect("presence lock")
            .insert(connection.id(), (person, None));
        let counts = inner.sent.lock().expect("presence lock").clone();
        inner
            .hub
            .subscribe_with(PRESENCE_TOPIC, connection, move |topic, seq, at_ms| {
                ServerMsg::Presence {
                    topic,
                    seq,
                    at_ms,
                    counts,
                }
            });
    }

    /// The connection's page is now `room`'s (a game room), or no game's (`None`). Returns
    /// `false` for an unknown room.
    pub fn visit(&self, connection: u64, room: Option<&str>) -> bool {
        let room = match room {
            None => None,
            Some(room) => match ROOMS.into_iter().skip(1).find(|known| *known == room) {
                Some(known) => Some(known),
                None => return false,
            },
        };
        if let Some(place) = self
            .inner
            .here
            .lock()
            .expect("presence lock")
            .get_mut(&connection)
        {
            place.1 = room;
        }
        true
    }

    /// This node's connections, and the distinct players among them.
    pub fn here(&self) -> (u64, u64) {
        let here = self.inner.here.lock().expect("presence lock");
        let players: HashSet<&PlayerId> = here
            .values()
            .filter_map(|(person, _)| match person {
                Person::Player(player) => Some(player),
                Person::Visitor(_) => None,
            })
            .collect();
        (here.len() as u64, players.len() as u64)
    }

    /// The connection left.
    pub fn leave(&self, connection: u64) {
        self.inner
            .here
            .lock()
            .expect("presence lock")
            .remove(&connection);
    }

    /// The counts as last sent.
    pub fn counts(&self) -> Counts {
        self.inner.sent.lock().expect("presence lock").clone()
    }
}

impl Inner {
    /// This node's people per room (a person once, whatever their tabs).
    fn local(&self) -> HashMap<&'static str, HashSet<Person>> {
        let here = self.here.lock().expect("presence lock");
        let mut rooms: HashMap<&'static str, HashSet<Person>> = HashMap::new();
        for (person, room) in here.values() {
            rooms.entry(ROOMS[0]).or_default().insert(person.clone());
            if let Some(room) = room {
                rooms.entry(room).or_default().insert(person.clone());
            }
        }
        rooms
    }

    /// The counts now: this node's, or the cluster's from Redis (this node's on failure).
    async fn count(&self, renew: bool) -> Counts {
        let local = self.local();
        let mut counts = Counts::default();
        for room in ROOMS {
            counts.set(room, local.get(room).map_or(0, HashSet::len) as u64);
        }
        let Some(bus) = &self.bus else { return counts };
        let names: Vec<String> = ROOMS
            .iter()
            .map(|room| format!("presence:{room}"))
            .collect();
        if renew {
            let held: Vec<(String, Vec<String>)> = ROOMS
                .iter()
                .zip(&names)
                .map(|(room, name)| {
                    let people = local.get(room).into_iter().flatten();
                    let members = people.map(|p| p.member(bus.node())).collect();
                    (name.clone(), members)
                })
                .collect();
            if let Err(error) = bus.renew_members(&held, PRESENCE_TTL_MS).await {
                tracing::warn!(%error, "cannot renew presence in Redis; counting this node's");
                return counts;
            }
        }
        match bus.count_slots(&names).await {
            Ok(shared) => {
                for (room, count) in ROOMS.iter().zip(shared) {
                    counts.set(room, count);
                }
            }
            Err(error) => tracing::warn!(%error, "cannot count presence in Redis"),
        }
        counts
    }
}

/// Sends the counts to this node's connections when they change.
async fn refresh(inner: Weak<Inner>) {
    let mut every = tokio::time::interval(Duration::from_millis(PRESENCE_REFRESH_MS));
    let renew_every = (PRESENCE_RENEW_MS / PRESENCE_REFRESH_MS).max(1);
    let mut ticks: u64 = 0;
    loop {
        every.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        let counts = inner.count(ticks.is_multiple_of(renew_every)).await;
        ticks += 1;
        let mut sent = inner.sent.lock().expect("presence lock");
        if *sent == counts {
            continue;
        }
        *sent = counts.clone();
        drop(sent);
        inner.hub.publish(PRESENCE_TOPIC, move |topic, seq, at_ms| {
            ServerMsg::Presence {
                topic,
                seq,
                at_ms,
                counts,
            }
        });
    }
}
