//! Stable error codes of `error` replies; clients may match on these, never on messages.

use serde::{Deserialize, Serialize};

/// Stable error codes; clients may match on these, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not valid JSON or misses required fields.
    BadRequest,
    /// The frame's `type` is not a known command.
    UnknownType,
    /// The command needs a signed-in player.
    Unauthorized,
    /// Not enough balance for the bet.
    InsufficientFunds,
    /// Amount below the minimum bet.
    BetTooSmall,
    /// Amount above the maximum bet.
    BetTooLarge,
    /// A win would exceed the payout limit.
    PayoutTooLarge,
    /// Dice target outside the allowed range.
    InvalidTarget,
    /// Client seed empty, too long, or not printable.
    InvalidSeed,
    /// Idempotency key empty or too long.
    InvalidIdempotencyKey,
    /// The idempotency key was already used for a different command.
    IdempotencyConflict,
    /// The crash round is not taking bets now.
    BettingClosed,
    /// Already a bet in this round.
    AlreadyBet,
    /// No open bet to cash out.
    NoBet,
    /// The bet was already cashed out.
    AlreadyCashedOut,
    /// The round crashed before the cash-out arrived; the bet is lost.
    RoundCrashed,
    /// The round's stake limit would be exceeded.
    RoundLimit,
    /// Auto cash-out outside 1.01x..=10,000.00x.
    InvalidAutoCashout,
    /// Too many commands too fast.
    RateLimited,
    /// Chat: no room of that name.
    UnknownRoom,
    /// The account is suspended pending review (the risk engine or an operator); its balance
    /// and open bets are kept.
    AccountSuspended,
    /// The stake is above the cap set on the account while it is reviewed.
    BetCapped,
    /// Leaderboards: no scope of that name.
    UnknownScope,
    /// Chat: the message is empty or longer than 280 characters; a moderation reason is empty
    /// or too long; a mute's length is out of range.
    InvalidMessage,
    /// Chat: the player is muted (the message says until when and why).
    Muted,
    /// Chat: the player is banned from chat (the message says why).
    Banned,
    /// The player's role does not allow the command (moderation needs `moderator` or `admin`).
    Forbidden,
    /// No player of that username.
    UnknownPlayer,
    /// The frame is larger than the limit.
    TooLarge,
    /// Something failed on the server; nothing was changed.
    Internal,
}

impl From<crate::money::StakeError> for ErrorCode {
    fn from(error: crate::money::StakeError) -> ErrorCode {
        match error {
            crate::money::StakeError::TooSmall => ErrorCode::BetTooSmall,
            crate::money::StakeError::TooLarge => ErrorCode::BetTooLarge,
        }
    }
}
