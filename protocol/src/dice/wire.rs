//! The dice game's messages: its command (`dice_bet`), its answer, and the public feed of
//! settled bets (topic `dice`).

use crate::ids::BetId;
use crate::money::Cents;
use serde::{Deserialize, Serialize};

/// `dice_bet`: place and settle one bet. Moves money, so it carries an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BetCommand {
    /// Client request id, echoed in the reply.
    pub req: u64,
    /// Idempotency key: a retry with the same key returns the original result.
    pub idem: String,
    /// Amount staked, in cents.
    pub amount: Cents,
    /// Roll-under target in hundredths (100..=9800).
    pub target: u32,
}

/// The answer to `dice_bet`: the settled bet and the balance after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceAck {
    /// The bet.
    pub bet: DiceBetView,
    /// Balance after settlement.
    pub balance: Cents,
}

/// The dice game's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// `dice_feed`: a bet was settled by someone (topic `dice`), the public bets feed.
    #[serde(rename = "dice_feed")]
    Feed {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// The bet, as anyone may see it.
        bet: FeedBet,
    },
}

/// A settled dice bet as its player sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceBetView {
    /// Bet id.
    pub id: BetId,
    /// Amount staked.
    pub amount: Cents,
    /// Roll-under target in hundredths.
    pub target: u32,
    /// The roll in hundredths (0..=9999).
    pub roll: u32,
    /// Payout multiplier in hundredths.
    pub multiplier_x100: u64,
    /// Total paid back (zero on a loss).
    pub payout: Cents,
    /// Nonce of the bet under its seed pair.
    pub nonce: u64,
    /// Commitment (SHA-256) of the server seed that produced the roll.
    pub seed_commitment: String,
    /// Client seed used.
    pub client_seed: String,
}

/// A settled dice bet as everyone sees it in the live feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedBet {
    /// Bet id.
    pub id: BetId,
    /// Who played.
    pub username: String,
    /// Amount staked.
    pub amount: Cents,
    /// Roll-under target in hundredths.
    pub target: u32,
    /// The roll in hundredths.
    pub roll: u32,
    /// Total paid back (zero on a loss).
    pub payout: Cents,
}
