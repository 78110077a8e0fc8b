//! What ledger commands return: receipts, snapshots, and the errors that leave the ledger as
//! it was.

use protocol::dice::DiceBetView;
use protocol::dice::DiceError;
use protocol::ids::{RoundBetId, RoundId};
use protocol::limits::{CLIENT_SEED_BYTES_MAX, IDEMPOTENCY_KEY_BYTES_MAX};
use protocol::wire::{ErrorCode, RevealedSeed, RoundBetStatus, SeedView};
use protocol::Cents;
use serde::{Deserialize, Serialize};

/// Expected ways a ledger command fails. Every one of them leaves the ledger as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The available balance is smaller than the stake.
    #[error("insufficient funds: balance {balance}, needed {needed}")]
    InsufficientFunds {
        /// Balance at the time.
        balance: Cents,
        /// Amount the command needed.
        needed: Cents,
    },
    /// The wager itself is out of range.
    #[error(transparent)]
    Dice(#[from] DiceError),
    /// The client seed is empty, too long or not printable ASCII.
    #[error("client seed must be 1 to {CLIENT_SEED_BYTES_MAX} printable characters")]
    InvalidSeed,
    /// The idempotency key is empty or too long.
    #[error("idempotency key must be 1 to {IDEMPOTENCY_KEY_BYTES_MAX} printable characters")]
    InvalidIdempotencyKey,
    /// The key was already used for a command with different content.
    #[error("this idempotency key was already used for a different command")]
    IdempotencyConflict,
    /// The player has no wallet.
    #[error("no wallet for this player")]
    NoWallet,
    /// A credit adjustment of zero.
    #[error("an adjustment moves a non-zero amount")]
    ZeroAdjustment,
    /// The round bet is not open (unknown, already settled, or of another round).
    #[error("that bet is not open in this round")]
    BetNotOpen,
    /// The writer is not running (shutting down).
    #[error("the ledger is not available")]
    Unavailable,
    /// The database refused the batch; nothing was written.
    #[error("storage error; nothing was changed")]
    Storage,
}

impl LedgerError {
    /// The wire error code: the one mapping from ledger refusals to what clients see.
    pub fn code(&self) -> ErrorCode {
        match self {
            LedgerError::InsufficientFunds { .. } => ErrorCode::InsufficientFunds,
            LedgerError::Dice(dice) => dice.code(),
            LedgerError::InvalidSeed => ErrorCode::InvalidSeed,
            LedgerError::InvalidIdempotencyKey => ErrorCode::InvalidIdempotencyKey,
            LedgerError::IdempotencyConflict => ErrorCode::IdempotencyConflict,
            LedgerError::ZeroAdjustment => ErrorCode::BadRequest,
            LedgerError::BetNotOpen
            | LedgerError::NoWallet
            | LedgerError::Unavailable
            | LedgerError::Storage => ErrorCode::Internal,
        }
    }
}

/// A settled dice bet and the balance right after it; also what a retry with the same
/// idempotency key returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceReceipt {
    /// The bet as its player sees it.
    pub bet: DiceBetView,
    /// Balance after settlement.
    pub balance: Cents,
}

/// A credit adjustment made: its ledger transaction and the balance right after it; also what
/// a retry with the same idempotency key returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adjustment {
    /// Its ledger transaction.
    pub tx: i64,
    /// Balance after it.
    pub balance: Cents,
    /// Whether this answers a retry (the key was used before; nothing moved now).
    pub repeated: bool,
}

/// Balance and seed pair of a player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletSnapshot {
    /// Available balance.
    pub balance: Cents,
    /// Seed pair for the next bet.
    pub seed: SeedView,
}

/// Result of a seed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedChange {
    /// Seed pair now in use.
    pub seed: SeedView,
    /// The server seed revealed by a rotation.
    pub revealed: Option<RevealedSeed>,
}

/// A round bet placed durably, and the balance after its stake was held; or, for a retry,
/// the original bet and where it stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundBetReceipt {
    /// The bet.
    pub bet: RoundBetId,
    /// The round it was placed in.
    pub round: RoundId,
    /// Balance right after the hold.
    pub balance: Cents,
    /// Where the bet stands.
    pub status: RoundBetStatus,
    /// What it paid, once settled.
    pub payout: Option<Cents>,
    /// Whether this answers a retry (the key was already used) rather than a new hold.
    pub replayed: bool,
}
