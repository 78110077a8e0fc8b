//! Limits both sides know. The server enforces every one of them; the client uses them to
//! explain a refusal before sending. Units are in the names.

use crate::money::Cents;

/// Smallest accepted bet: 0.01 credits.
pub const BET_CENTS_MIN: Cents = Cents(1);
/// Largest accepted bet: 10,000.00 credits.
pub const BET_CENTS_MAX: Cents = Cents(1_000_000);
/// Largest payout one dice bet may produce: 100,000.00 credits. (Round games are bounded by
/// their round stake limits and, for crash, the round payout limit.)
pub const PAYOUT_CENTS_MAX: Cents = Cents(10_000_000);
/// Credits granted once to every new account: 1,000.00.
pub const SIGNUP_GRANT_CENTS: Cents = Cents(100_000);

/// Dice "roll under" target, in hundredths of a percent-point: 1.00 (1% chance).
pub const DICE_TARGET_MIN: u32 = 100;
/// Dice "roll under" target upper bound: 98.00 (98% chance).
pub const DICE_TARGET_MAX: u32 = 9_800;
/// Dice rolls are 0.00..=99.99, i.e. this many distinct outcomes.
pub const DICE_OUTCOMES: u32 = 10_000;
/// Return to player of dice, in percent: payout multiplier = 99 / chance.
pub const DICE_RTP_PERCENT: u64 = 99;

/// Longest accepted client seed, in bytes.
pub const CLIENT_SEED_BYTES_MAX: usize = 64;
/// Longest accepted idempotency key, in bytes.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 64;

/// Largest WebSocket frame the server reads, in bytes (16 KiB).
pub const WS_MESSAGE_BYTES_MAX: usize = 16 * 1024;

/// Username length bounds, in characters.
pub const USERNAME_CHARS_MIN: usize = 3;
/// See [`USERNAME_CHARS_MIN`].
pub const USERNAME_CHARS_MAX: usize = 20;
/// Shortest accepted password, in characters.
pub const PASSWORD_CHARS_MIN: usize = 8;
/// Longest accepted password, in bytes (bounds the hashing work one request can ask for).
pub const PASSWORD_BYTES_MAX: usize = 1024;

/// Bets the live feed shows (and the server sends on page load).
pub const FEED_BETS_SHOWN: usize = 20;

/// Lowest crash auto cash-out, in hundredths: 1.01x.
pub const CRASH_AUTO_CASHOUT_X100_MIN: u64 = 101;
/// Highest crash auto cash-out, in hundredths: 10,000.00x.
pub const CRASH_AUTO_CASHOUT_X100_MAX: u64 = 1_000_000;
/// Total stakes one crash round accepts: 100,000.00 credits.
pub const CRASH_ROUND_STAKES_CENTS_MAX: Cents = Cents(10_000_000);
/// Bankroll limit: the most one crash round may pay out in total, 500,000.00 credits. When the
/// live exposure reaches it, everyone still in is cashed out.
pub const CRASH_ROUND_PAYOUT_CENTS_MAX: Cents = Cents(50_000_000);
/// Past crash points shown with the game.
pub const CRASH_HISTORY_ROUNDS: usize = 50;

/// Past wheel results shown with the game.
pub const WHEEL_HISTORY_ROUNDS: usize = 30;
/// Total stakes one wheel round accepts: 100,000.00 credits.
pub const WHEEL_ROUND_STAKES_CENTS_MAX: Cents = Cents(10_000_000);

/// Longest chat message, in characters (after trimming; an empty message is refused).
pub const CHAT_MESSAGE_CHARS_MAX: usize = 280;
/// Chat messages a room shows with the page, the latest ones.
pub const CHAT_HISTORY_MESSAGES: usize = 100;
/// Chat messages one player may send in a burst; then one more per [`CHAT_REFILL_MS`].
pub const CHAT_BURST_MESSAGES: u32 = 5;
/// See [`CHAT_BURST_MESSAGES`] (2 s).
pub const CHAT_REFILL_MS: u64 = 2_000;
/// Longest chat mute a moderator may give, in minutes (30 days).
pub const CHAT_MUTE_MINUTES_MAX: u32 = 43_200;
/// Longest reason a moderator gives for a mute or a ban, in characters.
pub const CHAT_REASON_CHARS_MAX: usize = 200;

/// Settled bets a public profile lists, the latest ones.
pub const PROFILE_RECENT_BETS: usize = 20;
