//! What Zerolag's browser client and server must agree on, compiled for both native and WASM.
//!
//! - [`money`]: exact amounts in integer cents ([`Cents`]), parsing and formatting.
//! - [`ids`]: newtype ids that cross module boundaries.
//! - [`limits`]: game and wire limits both sides enforce (the server is the authority).
//! - [`game`]: the round games, a value set the code owns.
//! - [`fair`]: provably-fair derivations (HMAC-SHA256 over committed seeds).
//! - [`chain`]: reverse hash chains that fix every shared round's outcome in advance.
//! - [`crash`]: the crash curve, crash points and cash-out payouts.
//! - [`wheel`]: the wheel's segments, layout and outcome.
//! - [`dice`]: the dice game's rules: chance, payout multiplier, payout, and `verify`.
//! - [`chat`]: chat rooms, messages and moderation commands.
//! - [`console`]: the operator console's records and the live dashboard's figures.
//! - [`presence`]: how many people are online.
//! - [`leaderboard`]: boards of profit and amount wagered, their rows and changes.
//! - [`notification`]: toasts and the inbox: what happened to me, big wins, broadcasts.
//! - [`records`]: history rows the pages show (bets, transactions).
//! - [`wire`]: the WebSocket messages ([`ClientMsg`], [`ServerMsg`]) and error codes.
//!
//! Data flows one way through this crate: a client command is parsed into [`ClientMsg`], the
//! server decides with the rules in [`dice`] and [`fair`], and answers with [`ServerMsg`]; the
//! browser re-runs the same [`dice::verify`] to check a revealed roll.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chain;
pub mod chat;
pub mod console;
pub mod crash;
pub mod dice;
pub mod fair;
pub mod game;
pub mod ids;
pub mod leaderboard;
pub mod limits;
pub mod money;
pub mod notification;
pub mod presence;
pub mod records;
pub mod wheel;
pub mod wire;

pub use game::Game;
pub use ids::{BetId, PlayerId};
pub use money::Cents;
pub use wire::{ClientMsg, ErrorCode, ServerMsg};
