//! The round games, a value set this code owns: their names are what the database stores
//! (`rounds.game`, `round_chains.game`) and what `/api/rounds/<game>` and `/fair` show. Adding a
//! game adds a variant here and needs no database migration.

use serde::{Deserialize, Serialize};

/// A game played in shared rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Game {
    /// Crash: cash out before the multiplier crashes.
    Crash,
    /// Wheel: bet on the segment the wheel stops on.
    Wheel,
}

impl Game {
    /// Every round game.
    pub const ALL: [Game; 2] = [Game::Crash, Game::Wheel];

    /// The stored and public name.
    pub fn as_str(self) -> &'static str {
        match self {
            Game::Crash => "crash",
            Game::Wheel => "wheel",
        }
    }

    /// The game of a stored or public name.
    pub fn parse(name: &str) -> Option<Game> {
        Game::ALL.into_iter().find(|game| game.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_game_reads_back_from_its_name() {
        for game in Game::ALL {
            assert_eq!(Game::parse(game.as_str()), Some(game));
        }
        assert_eq!(Game::parse("dice"), None);
    }
}
