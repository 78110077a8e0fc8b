//! The crash game's messages: its commands (`crash_bet`, `crash_cash_out`), its events on topic
//! `crash` and what they show of rounds and bets.

use crate::ids::RoundId;
use crate::money::Cents;
use crate::wire::RoundView;
use serde::{Deserialize, Serialize};

/// `crash_bet`: join the current round during its betting window. Moves money, so it carries
/// an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BetCommand {
    /// Client request id.
    pub req: u64,
    /// Idempotency key.
    pub idem: String,
    /// Stake in cents.
    pub amount: Cents,
    /// Cash out automatically at this multiplier (hundredths), if given.
    pub auto_cashout_x100: Option<u64>,
}

/// `crash_cash_out`: cash out of the running round at the multiplier of the server's receive
/// time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CashOutCommand {
    /// Client request id.
    pub req: u64,
}

/// The crash game's events (topic `crash`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// `crash_state`: the game as it stands, sent to a connection when it joins.
    #[serde(rename = "crash_state")]
    State {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Current round.
        round: CrashRoundView,
        /// Its bets so far.
        bets: Vec<CrashBetView>,
        /// Latest crash points, newest first.
        history: Vec<CrashHistoryItem>,
    },
    /// `crash_round`: a round changed phase.
    #[serde(rename = "crash_round")]
    Round {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// The round.
        round: CrashRoundView,
    },
    /// `crash_tick`: the running multiplier, 15 per second.
    #[serde(rename = "crash_tick")]
    Tick {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Round id.
        round: RoundId,
        /// Milliseconds since the multiplier started.
        elapsed_ms: u64,
        /// The server's multiplier now, in hundredths.
        multiplier_x100: u64,
    },
    /// `crash_bet`: someone joined or cashed out of the round.
    #[serde(rename = "crash_bet")]
    Bet {
        /// Topic of the event stream.
        topic: String,
        /// Position in that stream.
        seq: u64,
        /// Unix time in milliseconds at which the server published the event.
        at_ms: i64,
        /// Round id.
        round: RoundId,
        /// The bet as it stands.
        bet: CrashBetView,
    },
}

/// Crash round phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashPhase {
    /// Taking bets.
    Betting,
    /// The multiplier is growing.
    Running,
    /// Over; the next round opens soon.
    Crashed,
}

/// A crash round as everyone sees it.
pub type CrashRoundView = RoundView<CrashPhase, CrashPlay>;

/// What a crash round shows beyond every round's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashPlay {
    /// Running or crashed: milliseconds since the multiplier started.
    pub elapsed_ms: u64,
    /// Crashed: the crash point in hundredths.
    pub crash_x100: Option<u64>,
}

/// A bet in a crash round as everyone sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashBetView {
    /// Who.
    pub username: String,
    /// Stake.
    pub amount: Cents,
    /// Cash-out multiplier in hundredths, once cashed out.
    pub cashed_out_x100: Option<u64>,
    /// Payout, once cashed out.
    pub payout: Option<Cents>,
}

/// A past crash round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashHistoryItem {
    /// Round id.
    pub id: RoundId,
    /// Crash point in hundredths.
    pub crash_x100: u64,
}
