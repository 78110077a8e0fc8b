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

    /// The outcome a round's hash gives under the chain's `salt`: the crash point in
    /// hundredths, or the wheel's slot.
    pub fn outcome(self, salt: &str, hash: &crate::chain::ChainHash) -> u64 {
        match self {
            Game::Crash => crate::crash::crash_point_x100(salt, hash),
            Game::Wheel => u64::from(crate::wheel::slot(salt, hash)),
        }
    }

    /// What a settled bet of `stake` cents on `choice` (crash: the auto cash-out in
    /// hundredths or empty; wheel: the segment) pays at `outcome`; `cashed_at_x100` is a crash
    /// bet's cash-out. The rule a round's replay checks every payout against.
    pub fn payout(
        self,
        outcome: u64,
        stake: i64,
        choice: &str,
        cashed_at_x100: Option<u64>,
    ) -> i64 {
        match self {
            Game::Crash => {
                let at = cashed_at_x100.or_else(|| choice.parse().ok());
                match at {
                    Some(at) if at <= outcome => crate::money::payout_cents(stake, at),
                    _ => 0,
                }
            }
            Game::Wheel => {
                let slots = crate::wheel::layout();
                let segment = slots[(outcome % slots.len() as u64) as usize];
                if segment.name() == choice {
                    crate::money::payout_cents(stake, segment.multiplier_x100())
                } else {
                    0
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payouts_follow_each_game_s_rule() {
        // Crash at 2.50x: a cash-out at 2.00x pays, one claimed at 3.00x cannot have happened.
        assert_eq!(Game::Crash.payout(250, 1_000, "", Some(200)), 2_000);
        assert_eq!(Game::Crash.payout(250, 1_000, "", Some(300)), 0);
        // An auto cash-out at or below the crash point pays; above it, the bet is lost.
        assert_eq!(Game::Crash.payout(250, 1_000, "250", None), 2_500);
        assert_eq!(Game::Crash.payout(250, 1_000, "251", None), 0);
        assert_eq!(Game::Crash.payout(250, 1_000, "", None), 0);
        let slots = crate::wheel::layout();
        let slot = slots.iter().position(|s| s.name() == "blue").unwrap() as u64;
        let paid = Game::Wheel.payout(slot, 1_000, "blue", None);
        assert_eq!(
            paid,
            crate::money::payout_cents(1_000, slots[slot as usize].multiplier_x100())
        );
        assert_eq!(Game::Wheel.payout(slot, 1_000, "gold", None), 0);
    }

    #[test]
    fn every_game_reads_back_from_its_name() {
        for game in Game::ALL {
            assert_eq!(Game::parse(game.as_str()), Some(game));
        }
        assert_eq!(Game::parse("dice"), None);
    }
}
