//! Notifications: what the pages show as toasts the moment it happens, and the inbox that keeps
//! some of them.
//!
//! - `bet_settled`: one of my bets was played out (topic `player:<id>`, every tab of mine). Not
//!   kept: the bet is in my history.
//! - `big_win`: anyone's bet won at least the server's big-win threshold (topic `notices`,
//!   everyone); kept in the winner's inbox.
//! - `broadcast`: a moderator's message to everyone (topic `notices`); kept in every inbox.
//! - `signup_grant`: the credits a new account starts with; kept in the new player's inbox and sent
//!   once, to the first connection the player opens.

use crate::money::Cents;
use serde::{Deserialize, Serialize};

/// The topic of notifications for everyone (big wins, broadcasts).
pub const NOTICES_TOPIC: &str = "notices";
/// Longest broadcast, in characters (after trimming; an empty one is refused).
pub const BROADCAST_CHARS_MAX: usize = 280;
/// Notifications the inbox page lists, the latest ones.
pub const INBOX_SHOWN: usize = 50;
/// The big-win threshold unless the operator sets another (`--big-win-cents`): a bet whose
/// profit reaches 1,000.00 credits.
pub const BIG_WIN_CENTS_DEFAULT: Cents = Cents(100_000);

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One of my bets was won or lost.
    BetSettled,
    /// Someone's bet won big.
    BigWin,
    /// A moderator's message to everyone.
    Broadcast,
    /// My account's starting credits.
    SignupGrant,
}

impl Kind {
    /// The stored and public name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BetSettled => "bet_settled",
            Kind::BigWin => "big_win",
            Kind::Broadcast => "broadcast",
            Kind::SignupGrant => "signup_grant",
        }
    }

    /// The kind of a stored name.
    pub fn parse(name: &str) -> Option<Kind> {
        [
            Kind::BetSettled,
            Kind::BigWin,
            Kind::Broadcast,
            Kind::SignupGrant,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Its inbox id when it is kept (increasing), else `None`.
    pub id: Option<i64>,
    /// What it is about.
    pub kind: Kind,
    /// What a person reads, e.g. `alice won 1,250.00 on crash`.
    pub text: String,
    /// The player it is about (the winner, the moderator who wrote, the new player).
    pub username: String,
    /// The amount it is about (a profit, a stake lost, a grant), if any.
    pub amount: Option<Cents>,
    /// Its game (`dice`, `crash`, `wheel`), for bets.
    pub game: Option<String>,
    /// When it happened (Unix ms).
    pub sent_ms: i64,
}

impl Notification {
    /// Whether the notification is in the inbox of `username` (a big win is kept for its winner
    /// only; a settled bet is never kept).
    pub fn kept_for(&self, username: &str) -> bool {
        match self.kind {
            Kind::BetSettled => false,
            Kind::BigWin => self.id.is_some() && self.username == username,
            Kind::Broadcast | Kind::SignupGrant => self.id.is_some(),
        }
    }
}

/// A player's inbox: the latest kept notifications, newest first, and how many are unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    /// The latest [`INBOX_SHOWN`].
    pub items: Vec<Notification>,
    /// Kept notifications newer than the player last marked read.
    pub unread: u64,
    /// The newest id the player has marked read (0: none).
    pub read_upto: i64,
    /// Whether the player may send broadcasts (a moderator or an admin).
    pub can_broadcast: bool,
}

/// Moderators: send a message to everyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastCommand {
    /// Client request id.
    pub req: u64,
    /// 1..=280 characters after trimming.
    pub body: String,
}
