//! Rules on where accounts sign in from: signup-grant farming (many new accounts from one
//! address or one network in a day) and multi-accounting (several accounts signing in from one
//! browser, known by its device cookie, or from one address, within a window). They also keep
//! each player's latest origins, by which the collusion rule links accounts.

use super::{Hit, Rule};
use protocol::PlayerId;
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Accounts registered from one address within [`SIGNUP_FARM_WINDOW_MS`] that raise an alert.
pub const SIGNUP_FARM_ACCOUNTS: usize = 5;
/// Accounts registered from one network (an IPv4 /24, an IPv6 /64) within
/// [`SIGNUP_FARM_WINDOW_MS`] that raise an alert.
pub const SIGNUP_FARM_SUBNET_ACCOUNTS: usize = 15;
/// See [`SIGNUP_FARM_ACCOUNTS`] (24 h).
pub const SIGNUP_FARM_WINDOW_MS: i64 = 86_400_000;
/// Distinct accounts signing in from one browser (device cookie) within
/// [`MULTI_ACCOUNT_DEVICE_WINDOW_MS`] that raise an alert.
pub const MULTI_ACCOUNT_DEVICE_ACCOUNTS: usize = 3;
/// See [`MULTI_ACCOUNT_DEVICE_ACCOUNTS`] (24 h).
pub const MULTI_ACCOUNT_DEVICE_WINDOW_MS: i64 = 86_400_000;
/// Distinct accounts signing in from one address within [`MULTI_ACCOUNT_IP_WINDOW_MS`] that
/// raise an alert (higher than for a device: homes and offices share an address).
pub const MULTI_ACCOUNT_IP_ACCOUNTS: usize = 8;
/// See [`MULTI_ACCOUNT_IP_ACCOUNTS`] (1 h).
pub const MULTI_ACCOUNT_IP_WINDOW_MS: i64 = 3_600_000;
/// Addresses and devices kept per player for linking accounts.
const ORIGINS_KEPT: usize = 4;
/// Characters of a device cookie shown in evidence (enough to tell devices apart).
const DEVICE_SHOWN_CHARS: usize = 8;

/// Where a player signed in from lately.
#[derive(Debug, Default, Clone)]
pub struct Origins {
    ips: VecDeque<IpAddr>,
    devices: VecDeque<String>,
    /// The latest sign-in (Unix ms).
    pub last_ms: i64,
}

impl Origins {
    /// Adds a sign-in's address and device, keeping the latest [`ORIGINS_KEPT`] of each.
    pub fn add(&mut self, ip: IpAddr, device: Option<&str>, at_ms: i64) {
        keep_latest(&mut self.ips, ip);
        if let Some(device) = device {
            keep_latest(&mut self.devices, device.to_owned());
        }
        self.last_ms = self.last_ms.max(at_ms);
    }

    /// What `self` and `other` share, as evidence: a device, else an address.
    pub fn shared_with(&self, other: &Origins) -> Option<serde_json::Value> {
        if let Some(device) = self.devices.iter().find(|d| other.devices.contains(d)) {
            return Some(json!({ "device": shown(device) }));
        }
        let ip = self.ips.iter().find(|ip| other.ips.contains(ip))?;
        Some(json!({ "ip": ip.to_string() }))
    }
}

fn keep_latest<T: PartialEq>(kept: &mut VecDeque<T>, item: T) {
    kept.retain(|old| *old != item);
    kept.push_back(item);
    if kept.len() > ORIGINS_KEPT {
        kept.pop_front();
    }
}

fn shown(device: &str) -> String {
    device.chars().take(DEVICE_SHOWN_CHARS).collect()
}

/// The distinct accounts seen under one key (address, network, device), latest first in time.
#[derive(Default)]
struct Seen {
    recent: VecDeque<(i64, PlayerId)>,
}

impl Seen {
    /// Adds a sign-in; when `count` distinct accounts signed in within `window_ms`, returns
    /// them newest first and starts over.
    fn add(
        &mut self,
        player: PlayerId,
        at_ms: i64,
        window_ms: i64,
        count: usize,
    ) -> Option<Vec<PlayerId>> {
        self.recent.retain(|(_, seen)| *seen != player);
        self.recent.push_back((at_ms, player));
        while self
            .recent
            .front()
            .is_some_and(|(at, _)| *at <= at_ms - window_ms)
        {
            self.recent.pop_front();
        }
        if self.recent.len() < count {
            return None;
        }
        Some(
            self.recent
                .drain(..)
                .rev()
                .map(|(_, player)| player)
                .collect(),
        )
    }

    fn latest_ms(&self) -> i64 {
        self.recent.back().map_or(i64::MIN, |(at, _)| *at)
    }
}

/// The network an address belongs to for farming: its /24 (IPv4) or /64 (IPv6).
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::from(std::net::Ipv6Addr::from(bits))
        }
    }
}

fn network_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(_) => format!("{ip}/24"),
        IpAddr::V6(_) => format!("{ip}/64"),
    }
}

/// The sign-in rules' memory.
#[derive(Default)]
pub struct SignIns {
    signups: HashMap<IpAddr, Seen>,
    network_signups: HashMap<IpAddr, Seen>,
    devices: HashMap<String, Seen>,
    addresses: HashMap<IpAddr, Seen>,
    /// Each player's latest origins.
    pub origins: HashMap<PlayerId, Origins>,
}

impl SignIns {
    /// The hits a sign-in causes.
    pub fn signed_in(
        &mut self,
        player: PlayerId,
        ip: IpAddr,
        device: Option<&str>,
        new_account: bool,
        at_ms: i64,
    ) -> Vec<Hit> {
        self.origins
            .entry(player)
            .or_default()
            .add(ip, device, at_ms);
        let mut hits = Vec::new();
        if new_account {
            hits.extend(self.farming(player, ip, at_ms));
        }
        if let Some(device) = device {
            let seen = self.devices.entry(device.to_owned()).or_default();
            let window = MULTI_ACCOUNT_DEVICE_WINDOW_MS;
            if let Some(players) = seen.add(player, at_ms, window, MULTI_ACCOUNT_DEVICE_ACCOUNTS) {
                let evidence = json!({ "device": shown(device), "accounts": players.len(), "within_ms": window });
                hits.push(multi_accounting(players, 70, evidence));
            }
        }
        let seen = self.addresses.entry(ip).or_default();
        let window = MULTI_ACCOUNT_IP_WINDOW_MS;
        if let Some(players) = seen.add(player, at_ms, window, MULTI_ACCOUNT_IP_ACCOUNTS) {
            let evidence =
                json!({ "ip": ip.to_string(), "accounts": players.len(), "within_ms": window });
            hits.push(multi_accounting(players, 50, evidence));
        }
        hits
    }

    fn farming(&mut self, player: PlayerId, ip: IpAddr, at_ms: i64) -> Vec<Hit> {
        let window = SIGNUP_FARM_WINDOW_MS;
        let mut hits = Vec::new();
        let seen = self.signups.entry(ip).or_default();
        if let Some(players) = seen.add(player, at_ms, window, SIGNUP_FARM_ACCOUNTS) {
            let evidence = json!({ "ip": ip.to_string(), "accounts": players.len() });
            hits.push(farming(players, 70, evidence));
        }
        let net = network(ip);
        let seen = self.network_signups.entry(net).or_default();
        if let Some(players) = seen.add(player, at_ms, window, SIGNUP_FARM_SUBNET_ACCOUNTS) {
            let evidence = json!({ "network": network_text(net), "accounts": players.len() });
            hits.push(farming(players, 60, evidence));
        }
        hits
    }

    /// Forgets keys and players not seen within their windows.
    pub fn forget_idle(&mut self, now_ms: i64) {
        let farm = now_ms - SIGNUP_FARM_WINDOW_MS;
        self.signups.retain(|_, seen| seen.latest_ms() > farm);
        self.network_signups
            .retain(|_, seen| seen.latest_ms() > farm);
        let device = now_ms - MULTI_ACCOUNT_DEVICE_WINDOW_MS;
        self.devices.retain(|_, seen| seen.latest_ms() > device);
        let address = now_ms - MULTI_ACCOUNT_IP_WINDOW_MS;
        self.addresses.retain(|_, seen| seen.latest_ms() > address);
        // A player's origins are kept as long as a device window: collusion links by them.
        self.origins.retain(|_, origins| origins.last_ms > device);
    }
}

fn farming(players: Vec<PlayerId>, score: u32, evidence: serde_json::Value) -> Hit {
    Hit {
        rule: Rule::SignupFarming,
        score,
        players,
        evidence,
    }
}

fn multi_accounting(players: Vec<PlayerId>, score: u32, evidence: serde_json::Value) -> Hit {
    Hit {
        rule: Rule::MultiAccounting,
        score,
        players,
        evidence,
    }
}
