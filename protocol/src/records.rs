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

/// A player's public profile (`/u/<username>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The username, as registered.
    pub username: String,
    /// Registration time, Unix milliseconds.
    pub member_since_ms: i64,
    /// The player's statistics and recent bets, unless they hide them.
    pub stats: Option<PublicStats>,
}

/// What a player's profile shows when they do not hide it. Settled bets only (a round bet still
/// open, or voided, is not counted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStats {
    /// Settled bets, all games.
    pub bets: u64,
    /// Total staked on them.
    pub wagered: Cents,
    /// Total paid back minus total staked (negative when the player is behind).
    pub profit: Cents,
    /// The largest win of one bet (payout minus stake), if any.
    pub biggest_win: Option<Cents>,
    /// The latest settled bets, newest first.
    pub recent: Vec<PublicBet>,
    /// Where the player ranks on the overall boards (those they are ranked on).
    pub ranks: Vec<crate::leaderboard::Placing>,
}

/// One settled bet on a public profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicBet {
    /// `dice`, `crash` or `wheel`.
    pub game: String,
    /// Staked.
    pub amount: Cents,
    /// Paid back (0 on a loss).
    pub payout: Cents,
    /// When it settled, Unix milliseconds.
    pub settled_ms: i64,
}

/// `YYYY-MM-DD HH:MM` (UTC) of a Unix time in milliseconds, as pages and messages show times.
/// Written here rather than with a date crate: it runs in the browser too, where every crate adds
/// to the bundle (docs/benchmarks.md), and a civil date from a day count is a few lines
/// (Howard Hinnant's `civil_from_days`).
pub fn utc_text(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let minutes = ms.rem_euclid(86_400_000) / 60_000;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (hour, minute) = (minutes / 60, minutes % 60);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
}

#[cfg(test)]
mod tests {
    use super::utc_text;

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(utc_text(0), "1970-01-01 00:00");
        assert_eq!(utc_text(1_795_000_000_000), "2026-11-18 11:06");
        assert_eq!(utc_text(951_782_400_000), "2000-02-29 00:00");
        assert_eq!(utc_text(-60_000), "1969-12-31 23:59");
    }
}
