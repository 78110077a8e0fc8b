//! Chat: its rooms, its messages and its moderation commands as they cross the wire.
//!
//! Rooms are a fixed set: `global`, and one per game (`dice`, `crash`, `wheel`). Every
//! connection receives every room's new messages (`chat_message`, topic `chat:<room>`); a page
//! loads a room's latest [`CHAT_HISTORY_MESSAGES`](crate::limits::CHAT_HISTORY_MESSAGES) with
//! itself. Bodies are plain text: clients must show them as text, never as HTML.

use serde::{Deserialize, Serialize};

/// The chat rooms.
pub const ROOMS: [&str; 4] = ["global", "dice", "crash", "wheel"];

/// The hub topic of a room.
pub fn topic(room: &str) -> String {
    format!("chat:{room}")
}

/// One chat message as everyone sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Message id: increasing in the order messages were stored.
    pub id: i64,
    /// Its room.
    pub room: String,
    /// Its author's username.
    pub username: String,
    /// The text, trimmed.
    pub body: String,
    /// When it was sent (Unix milliseconds).
    pub sent_ms: i64,
}

/// Post a message to a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendCommand {
    /// Client request id.
    pub req: u64,
    /// One of [`ROOMS`].
    pub room: String,
    /// 1..=280 characters after trimming.
    pub body: String,
}

/// Moderators: stop a player from chatting for a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MuteCommand {
    /// Client request id.
    pub req: u64,
    /// Who.
    pub username: String,
    /// For how long: 1..=43,200 minutes.
    pub minutes: u32,
    /// Why (shown to the player): 1..=200 characters.
    pub reason: String,
}

/// Moderators: stop a player from chatting until lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanCommand {
    /// Client request id.
    pub req: u64,
    /// Who.
    pub username: String,
    /// Why (shown to the player): 1..=200 characters.
    pub reason: String,
}

/// Moderators: lift a player's mute or ban.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiftCommand {
    /// Client request id.
    pub req: u64,
    /// Who.
    pub username: String,
}

/// Where a player stands in chat after a moderation command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The player.
    pub username: String,
    /// Muted until then (Unix milliseconds), if muted.
    pub muted_until_ms: Option<i64>,
    /// Banned until lifted.
    pub banned: bool,
}
