//! Presence: how many people are online, and on each game's page.

use serde::{Deserialize, Serialize};

/// The topic of presence counts. It does not cross nodes: each node sends its own connections
/// the counts it reads (the same on every node when they share Redis).
pub const PRESENCE_TOPIC: &str = "presence";

/// People online: everyone connected (`global`), and on each game's page. A signed-in player
/// counts once however many tabs they have open; a visitor counts once per tab.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Everyone connected.
    pub global: u64,
    /// On the dice page.
    pub dice: u64,
    /// On the crash page.
    pub crash: u64,
    /// On the wheel page.
    pub wheel: u64,
}

impl Counts {
    /// Sets a room's count (one of the chat rooms' names; others are ignored).
    pub fn set(&mut self, room: &str, count: u64) {
        match room {
            "global" => self.global = count,
            "dice" => self.dice = count,
            "crash" => self.crash = count,
            "wheel" => self.wheel = count,
            _ => {}
        }
    }

    /// A room's count (0 for an unknown room).
    pub fn get(&self, room: &str) -> u64 {
        match room {
            "global" => self.global,
            "dice" => self.dice,
            "crash" => self.crash,
            "wheel" => self.wheel,
            _ => 0,
        }
    }
}

/// Say which game's page this connection shows (`room`: `"dice"`, `"crash"`, `"wheel"`), or
/// none (`null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitCommand {
    /// Client request id.
    pub req: u64,
    /// The game's room, or `None`.
    pub room: Option<String>,
}
