//! Read-only records the pages show (history, fairness), shared by server functions and the
//! browser.

use crate::dice::DiceBetView;
use crate::ids::BetId;
use crate::money::Cents;
use serde::{Deserialize, Serialize};

/// One of a player's settled dice bets, with its server seed once revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetRecord {
    /// The bet as its player saw it when it settled.
    pub bet: DiceBetView,
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

/// A finished shared round with what is needed to verify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// `crash` or `wheel`.
    pub game: String,
    /// Round id.
    pub id: crate::ids::RoundId,
    /// Position in its chain (from 1).
    pub number: u64,
    /// The revealed round hash, hex.
    pub hash: String,
    /// The outcome the server used: crash point in hundredths, or wheel slot.
    pub outcome: u64,
    /// The chain's published terminal hash, hex.
    pub terminal_hash: String,
    /// The chain's public salt.
    pub salt: String,
}

/// A published hash chain of a round game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainRecord {
    /// `crash` or `wheel`.
    pub game: String,
    /// The terminal hash, hex: SHA-256 of round 1's hash.
    pub terminal_hash: String,
    /// The public salt.
    pub salt: String,
    /// Rounds in the chain.
    pub rounds: u64,
}
