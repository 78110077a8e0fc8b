//! What every shared round game (crash, wheel) shows of a round and answers to a bet and a
//! cash-out.

use crate::ids::RoundId;
use crate::money::Cents;
use serde::{Deserialize, Serialize};

/// Where a bet in a shared round stands. A retried bet command (same idempotency key, same
/// content) is answered with the bet's status at the time of the retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundBetStatus {
    /// The stake is held; the round has not settled the bet yet.
    Open,
    /// Crash: cashed out (by hand, automatically, or by the bankroll rule).
    CashedOut,
    /// Wheel: the segment came up.
    Won,
    /// The stake went to the house.
    Lost,
    /// The stake was returned (the round was interrupted).
    Voided,
}

impl RoundBetStatus {
    /// The value stored in the database's `round_bets.status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundBetStatus::Open => "open",
            RoundBetStatus::CashedOut => "cashed",
            RoundBetStatus::Won => "won",
            RoundBetStatus::Lost => "lost",
            RoundBetStatus::Voided => "voided",
        }
    }

    /// Reads a stored `round_bets.status` value.
    pub fn parse(stored: &str) -> Option<RoundBetStatus> {
        [
            RoundBetStatus::Open,
            RoundBetStatus::CashedOut,
            RoundBetStatus::Won,
            RoundBetStatus::Lost,
            RoundBetStatus::Voided,
        ]
        .into_iter()
        .find(|status| status.as_str() == stored)
    }
}

/// The answer to a bet in a shared round: the bet placed (stake held), or, for a retry, the
/// original bet and where it stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundBetAck {
    /// The round the bet was placed in.
    pub round: RoundId,
    /// Balance right after the stake was held.
    pub balance: Cents,
    /// Where the bet stands now (`open` for a new bet).
    pub status: RoundBetStatus,
    /// What the bet paid, once settled; `null` while open.
    pub payout: Option<Cents>,
}

/// A round of a shared round game as everyone sees it: what every round game shows, and
/// `play`, what the game adds, whose fields appear in the same JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundView<Phase, Play> {
    /// Round id.
    pub id: RoundId,
    /// Position in its hash chain.
    pub number: i64,
    /// Phase.
    pub phase: Phase,
    /// Betting: milliseconds until betting closes.
    pub betting_left_ms: u64,
    /// What the game adds (fields of this same object).
    #[serde(flatten)]
    pub play: Play,
    /// Once decided: the round's chain hash, which proves its outcome.
    pub hash: Option<String>,
    /// The previous round's hash (already public): this round's hash must hash to it.
    pub previous_hash: String,
}

/// A bet paid before its round ended (a crash cash-out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashOutAck {
    /// Multiplier in hundredths.
    pub multiplier_x100: u64,
    /// Payout.
    pub payout: Cents,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_bet_status_reads_back_from_its_stored_value() {
        for status in [
            RoundBetStatus::Open,
            RoundBetStatus::CashedOut,
            RoundBetStatus::Won,
            RoundBetStatus::Lost,
            RoundBetStatus::Voided,
        ] {
            assert_eq!(RoundBetStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(RoundBetStatus::parse("cashed_out"), None);
    }
}
