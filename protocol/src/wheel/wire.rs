//! The wheel's messages: its command (`wheel_bet`), its events on topic `wheel` and what they
//! show of rounds and bets.

use super::Segment;
use crate::ids::RoundId;
use crate::money::Cents;
use crate::wire::RoundView;
use serde::{Deserialize, Serialize};

/// `wheel_bet`: bet on a segment during the betting window. Moves money, so it carries an
/// idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BetCommand {
    /// Client request id.
    pub req: u64,
    /// Idempotency key.
    pub idem: String,
    /// Stake in cents.
    pub amount: Cents,
    /// The segment bet on.
    pub segment: Segment,
}

/// The wheel's events (topic `wheel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// `wheel_state`: the wheel as it stands, sent to a connection when it joins.
    #[serde(rename = "wheel_state")]
    State {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Current round.
        round: WheelRoundView,
        /// Its bets so far.
        bets: Vec<WheelBetView>,
        /// Latest slots, newest first.
        history: Vec<u32>,
    },
    /// `wheel_round`: a round changed phase.
    #[serde(rename = "wheel_round")]
    Round {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// The round.
        round: WheelRoundView,
        /// Its bets, settled when spinning.
        bets: Vec<WheelBetView>,
    },
    /// `wheel_bet`: someone bet on the wheel.
    #[serde(rename = "wheel_bet")]
    Bet {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Round id.
        round: RoundId,
        /// The bet.
        bet: WheelBetView,
    },
}

/// Wheel round phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WheelPhase {
    /// Taking bets.
    Betting,
    /// The wheel turns towards its slot (already decided and settled).
    Spinning,
}

/// A wheel round as everyone sees it.
pub type WheelRoundView = RoundView<WheelPhase, WheelSpin>;

/// What a wheel round shows beyond every round's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WheelSpin {
    /// Spinning: milliseconds until the wheel stops.
    pub spin_left_ms: u64,
    /// Spinning: the slot the wheel stops on.
    pub slot: Option<u32>,
}

/// A bet in a wheel round as everyone sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WheelBetView {
    /// Who.
    pub username: String,
    /// Stake.
    pub amount: Cents,
    /// Segment bet on.
    pub segment: Segment,
    /// Payout once settled (zero for a loss).
    pub payout: Option<Cents>,
}
