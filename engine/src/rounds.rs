//! Shared rounds (crash, wheel): one driver runs every round game's lifecycle, one book holds
//! each round's bets, and a game supplies only what differs through [`driver::RoundGame`].
//!
//! - [`driver`]: the round lifecycle (betting window, play, settlement with the round's end,
//!   the pause before the next round) on one task per game, with the game's ledger calls in
//!   flight polled by that task's own loop.
//! - [`book`]: a round's bets (placing, open, settling, settled), retries of a bet command, and
//!   the answer of a retry from the ledger's record of its key.
//! - [`chain`]: hash chains that fix every round's outcome in advance, and what `/fair` publishes.
//! - [`recovery`]: the rule applied at start-up to rounds a previous run left open, and the
//!   invariant that no finished round holds an open bet.
//! - [`seat`] (with [`crate::lease`]): with several nodes on one PostgreSQL database, one node drives each
//!   game (the lease holder) and the others send it their players' commands over the bus.

pub mod book;
pub mod chain;
pub mod driver;
pub mod recovery;
pub mod seat;

pub use chain::{
    create_chain, create_chain_from, published_chains, recent_outcomes, resume_chain,
    verifiable_rounds, Chain, CHAIN_ROUNDS, KNOWN_CHAIN_SALT, VERIFIABLE_ROUNDS_SHOWN,
};
pub use recovery::{open_bets_in_finished_rounds, recover, Recovery};

use crate::ledger::LedgerError;
use protocol::money::{check_stake, StakeError};
use protocol::wire::ErrorCode;
pub use protocol::wire::{CashOutAck, RoundBetAck};
use protocol::Cents;

/// Failure of a round-level operation.
#[derive(Debug, thiserror::Error)]
pub enum RoundsError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    /// The ledger refused or failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A stored chain could not be read back.
    #[error("stored hash chain {0} is unreadable")]
    BadChain(i64),
}

/// Why a round command (bet, cash-out) was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundError {
    /// Not in the betting window.
    #[error("betting is closed; wait for the next round")]
    BettingClosed,
    /// One bet per player per round.
    #[error("you already have a bet in this round")]
    AlreadyBet,
    /// Nothing to cash out.
    #[error("you have no bet in the running round")]
    NoBet,
    /// Cashed out already.
    #[error("you already cashed out")]
    AlreadyCashedOut,
    /// Too late.
    #[error("the round crashed before your cash-out arrived")]
    RoundCrashed,
    /// Stake outside the bet limits.
    #[error(transparent)]
    Stake(#[from] StakeError),
    /// Auto cash-out outside its range.
    #[error("auto cash-out must be from 1.01x to 10,000.00x")]
    InvalidAutoCashout,
    /// The round's stake limit would be exceeded.
    #[error("this round has only {remaining} of its stake limit left")]
    RoundLimit {
        /// What the round can still take.
        remaining: Cents,
    },
    /// The ledger refused or failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Too many retries are waiting for bets being placed; try again shortly.
    #[error("too many retries are waiting; try again shortly")]
    Busy,
    /// The game is not running (shutting down, or no node drives it right now).
    #[error("the game is not available; try again")]
    Unavailable,
    /// Refused by the node that drives the game (another node), with its code and reason.
    #[error("{message}")]
    Remote {
        /// The wire error code.
        code: ErrorCode,
        /// The reason.
        message: String,
    },
}

impl RoundError {
    /// The wire error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            RoundError::BettingClosed => ErrorCode::BettingClosed,
            RoundError::AlreadyBet => ErrorCode::AlreadyBet,
            RoundError::NoBet => ErrorCode::NoBet,
            RoundError::AlreadyCashedOut => ErrorCode::AlreadyCashedOut,
            RoundError::RoundCrashed => ErrorCode::RoundCrashed,
            RoundError::Stake(stake) => (*stake).into(),
            RoundError::Busy => ErrorCode::RateLimited,
            RoundError::InvalidAutoCashout => ErrorCode::InvalidAutoCashout,
            RoundError::RoundLimit { .. } => ErrorCode::RoundLimit,
            RoundError::Ledger(ledger) => ledger.code(),
            RoundError::Unavailable => ErrorCode::Internal,
            RoundError::Remote { code, .. } => *code,
        }
    }
}

/// The checks every round game makes before holding a new bet: the window is `open`, the
/// player has no bet yet, the stake is within the bet limits and the round's stake limit.
pub fn check_new_bet(
    open: bool,
    already_bet: bool,
    amount: Cents,
    staked: i64,
    stake_limit: Cents,
) -> Result<(), RoundError> {
    if !open {
        return Err(RoundError::BettingClosed);
    }
    if already_bet {
        return Err(RoundError::AlreadyBet);
    }
    check_stake(amount)?;
    let remaining = stake_limit.0 - staked;
    if amount.0 > remaining {
        return Err(RoundError::RoundLimit {
            remaining: Cents(remaining),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_bet_is_checked_against_window_player_limits_and_round_limit() {
        let limit = Cents(10_000);
        assert_eq!(check_new_bet(true, false, Cents(100), 0, limit), Ok(()));
        assert_eq!(
            check_new_bet(false, false, Cents(100), 0, limit),
            Err(RoundError::BettingClosed)
        );
        assert_eq!(
            check_new_bet(true, true, Cents(100), 0, limit),
            Err(RoundError::AlreadyBet)
        );
        assert_eq!(
            check_new_bet(true, false, Cents(0), 0, limit),
            Err(RoundError::Stake(StakeError::TooSmall))
        );
        assert_eq!(
            check_new_bet(true, false, Cents(-1), 0, limit)
                .unwrap_err()
                .code(),
            ErrorCode::BetTooSmall
        );
        let too_large = Cents(protocol::limits::BET_CENTS_MAX.0 + 1);
        assert_eq!(
            check_new_bet(true, false, too_large, 0, Cents(i64::MAX)),
            Err(RoundError::Stake(StakeError::TooLarge))
        );
        assert_eq!(
            check_new_bet(true, false, Cents(100), 9_950, limit),
            Err(RoundError::RoundLimit {
                remaining: Cents(50)
            })
        );
        assert_eq!(check_new_bet(true, false, Cents(50), 9_950, limit), Ok(()));
    }
}
