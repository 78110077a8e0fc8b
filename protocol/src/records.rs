//! Read-only records the pages show (history, fairness), shared by server functions and the
//! browser.

use crate::ids::BetId;
use crate::money::Cents;
use serde::{Deserialize, Serialize};

/// One of a player's settled dice bets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetRecord {
    /// Bet id.
    pub id: BetId,
    /// Amount staked.
    pub amount: Cents,
    /// Roll-under target in hundredths.
    pub target: u32,
    /// Roll in hundredths.
    pub roll: u32,
    /// Payout multiplier in hundredths.
    pub multiplier_x100: u64,
    /// Total paid back.
    pub payout: Cents,
    /// Nonce under its seed pair.
    pub nonce: u64,
    /// Client seed used.
    pub client_seed: String,
    /// Commitment of the server seed used.
    pub commitment: String,
    /// The server seed, once revealed by a rotation.
    pub server_seed: Option<String>,
    /// Settlement time, Unix milliseconds.
    pub created_ms: i64,
}

/// One ledger transaction as it affected a player's balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// Transaction id.
    pub id: i64,
    /// `grant`, `bet_hold`, `bet_settle` or `bet_void`.
    pub kind: String,
    /// Change to the player's balance (negative for a stake).
    pub amount: Cents,
    /// The bet it belongs to, if any.
    pub bet: Option<BetId>,
    /// Posting time, Unix milliseconds.
    pub created_ms: i64,
}
