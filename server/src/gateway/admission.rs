//! How many WebSocket connections one client address may hold at once
//! (`--ws-connections-per-ip`). On one node the count is this node's; with Redis
//! (`--redis-url`) it is the cluster's: each connection holds a slot counted in Redis
//! (`engine::bus` slots), so a client cannot open the limit on every node behind the load
//! balancer. When Redis cannot be reached, the node counts its own connections meanwhile.

use engine::bus::Bus;
use engine::limits::{SLOT_RENEW_MS, SLOT_TTL_MS};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// Who may connect.
pub struct Admission {
    per_ip_max: usize,
    bus: Option<Bus>,
    next_holder: AtomicU64,
    held: Mutex<Held>,
}

/// This node's connections: how many per address, and each one's address.
#[derive(Default)]
struct Held {
    per_ip: HashMap<IpAddr, usize>,
    holders: HashMap<u64, IpAddr>,
}

/// A connection's place; it gives it back when dropped.
pub struct Admitted {
    admission: Arc<Admission>,
    holder: u64,
}

impl Admission {
    /// At most `per_ip_max` connections per client address; across the cluster with `bus`.
    pub fn new(per_ip_max: usize, bus: Option<Bus>) -> Arc<Admission> {
        let admission = Arc::new(Admission {
            per_ip_max,
            bus,
            next_holder: AtomicU64::new(1),
            held: Mutex::default(),
        });
        if admission.bus.is_some() {
            tokio::spawn(renew(Arc::downgrade(&admission)));
        }
        admission
    }

    /// A place for one more connection from `ip`, or `None` when it holds the most it may.
    pub async fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admitted> {
        let holder = self.next_holder.fetch_add(1, Ordering::Relaxed);
        let shared = match &self.bus {
            Some(bus) => {
                let name = slot_name(ip);
                match bus
                    .claim_slot(&name, holder, self.per_ip_max, SLOT_TTL_MS)
                    .await
                {
                    Ok(claimed) => Some(claimed),
                    Err(error) => {
                        tracing::warn!(%error, "cannot count connections in Redis; counting this node's");
                        None
                    }
                }
            }
            None => None,
        };
        let mut held = self.held.lock().expect("admission lock");
        let count = held.per_ip.entry(ip).or_default();
        let admitted = shared.unwrap_or(*count < self.per_ip_max);
        if !admitted {
            return None;
        }
        *count += 1;
        held.holders.insert(holder, ip);
        Some(Admitted {
            admission: self.clone(),
            holder,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut held = self.admission.held.lock().expect("admission lock");
        let Some(ip) = held.holders.remove(&self.holder) else {
            return;
        };
        if let Some(count) = held.per_ip.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                held.per_ip.remove(&ip);
            }
        }
        if let Some(bus) = self.admission.bus.clone() {
            let holder = self.holder;
            tokio::spawn(async move {
                if let Err(error) = bus.release_slot(&slot_name(ip), holder).await {
                    // It lapses by itself (SLOT_TTL_MS).
                    tracing::debug!(%error, "cannot release a connection's slot");
                }
            });
        }
    }
}

fn slot_name(ip: IpAddr) -> String {
    format!("ws:{ip}")
}

/// Renews this node's slots in Redis while the admission lives.
async fn renew(admission: Weak<Admission>) {
    let mut every = tokio::time::interval(Duration::from_millis(SLOT_RENEW_MS));
    every.tick().await;
    loop {
        every.tick().await;
        let Some(admission) = admission.upgrade() else {
            return;
        };
        let Some(bus) = &admission.bus else { return };
        let mut by_ip: HashMap<IpAddr, Vec<u64>> = HashMap::new();
        for (holder, ip) in &admission.held.lock().expect("admission lock").holders {
            by_ip.entry(*ip).or_default().push(*holder);
        }
        let held: Vec<(String, Vec<u64>)> = by_ip
            .into_iter()
            .map(|(ip, holders)| (slot_name(ip), holders))
            .collect();
        if let Err(error) = bus.renew_slots(&held, SLOT_TTL_MS).await {
            tracing::warn!(%error, "cannot renew this node's connection slots in Redis");
        }
    }
}
