//! Leaderboards: who profited and who wagered the most, today, this week and all time, in each
//! game and overall, as they cross the wire.
//!
//! A board is named by a [`BoardKey`]: its scope (a game, or `overall`), its period and its
//! metric. Boards are derived from settled bets (voided ones do not count). A profit board only
//! ranks players who wagered at least [`LEADERBOARD_PROFIT_WAGER_MIN`] in its period, so one
//! lucky tiny bet does not top it. Ties rank the player who joined first higher. Periods roll over
//! at 00:00 UTC (days) and Monday 00:00 UTC (weeks).
//!
//! A connection that sends `leaderboard_watch` for a scope receives that scope's boards' top
//! [`LEADERBOARD_TOP`] (topic `leaderboard:<scope>`), then each change of them as a diff.

use crate::money::Cents;
use serde::{Deserialize, Serialize};

/// Rows a board shows and sends live.
pub const LEADERBOARD_TOP: usize = 10;
/// Least a player must wager in a period to be ranked on its profit boards: 100.00 credits.
pub const LEADERBOARD_PROFIT_WAGER_MIN: Cents = Cents(10_000);

/// What a board ranks over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every game together.
    Overall,
    /// Dice bets.
    Dice,
    /// Crash bets.
    Crash,
    /// Wheel bets.
    Wheel,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 4] = [Scope::Overall, Scope::Dice, Scope::Crash, Scope::Wheel];

    /// The public name (also the game's name for a game's scope).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Overall => "overall",
            Scope::Dice => "dice",
            Scope::Crash => "crash",
            Scope::Wheel => "wheel",
        }
    }

    /// The scope of a public name.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == name)
    }

    /// The scope of a round game's bets.
    pub fn of_game(game: crate::Game) -> Scope {
        match game {
            crate::Game::Crash => Scope::Crash,
            crate::Game::Wheel => Scope::Wheel,
        }
    }

    /// The hub topic of the scope's boards.
    pub fn topic(self) -> String {
        format!("leaderboard:{}", self.as_str())
    }
}

/// The time a board covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Since 00:00 UTC today.
    Day,
    /// Since Monday 00:00 UTC.
    Week,
    /// Since the platform started.
    All,
}

impl Period {
    /// Every period, shortest first.
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::All];

    /// The public name.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::All => "all",
        }
    }

    /// What a page calls the period's board.
    pub fn title(self) -> &'static str {
        match self {
            Period::Day => "Today",
            Period::Week => "This week",
            Period::All => "All time",
        }
    }

    /// Where the period that holds `at_ms` (Unix ms, UTC) started; `None` for all time. Unix
    /// day 0 (1970-01-01) was a Thursday, so weeks start 4 days after a multiple of 7 days.
    pub fn start_ms(self, at_ms: i64) -> Option<i64> {
        const DAY_MS: i64 = 86_400_000;
        match self {
            Period::Day => Some(at_ms.div_euclid(DAY_MS) * DAY_MS),
            Period::Week => {
                let monday = (at_ms - 4 * DAY_MS).div_euclid(7 * DAY_MS);
                Some(monday * 7 * DAY_MS + 4 * DAY_MS)
            }
            Period::All => None,
        }
    }
}

/// What a board ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Payouts minus stakes.
    Profit,
    /// Stakes.
    Wagered,
}

impl Metric {
    /// Both metrics.
    pub const ALL: [Metric; 2] = [Metric::Profit, Metric::Wagered];

    /// The public name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Profit => "profit",
            Metric::Wagered => "wagered",
        }
    }

    /// The metric of a public name.
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL
            .into_iter()
            .find(|metric| metric.as_str() == name)
    }
}

/// One board's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BoardKey {
    /// A game, or overall.
    pub scope: Scope,
    /// The time it covers.
    pub period: Period,
    /// What it ranks by.
    pub metric: Metric,
}

/// A player's place on a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    /// From 1.
    pub rank: u64,
    /// The player.
    pub username: String,
    /// Profit or amount wagered, by the board's metric.
    pub score: Cents,
}

/// A player's rank on one board (public profiles list them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placing {
    /// Which board.
    pub key: BoardKey,
    /// From 1.
    pub rank: u64,
}

/// A board as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    /// Which board.
    pub key: BoardKey,
    /// Its first [`LEADERBOARD_TOP`] rows.
    pub top: Vec<Ranked>,
    /// The viewer's own row, when the viewer is signed in and ranked (also outside the top).
    pub you: Option<Ranked>,
    /// How many players the board ranks.
    pub players: u64,
}

/// A change of a board's top rows: each row in `rows` replaces the row of its rank, and the top
/// is then cut to `len` rows. A snapshot is a change that lists every row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardChange {
    /// Which board.
    pub key: BoardKey,
    /// The rows that differ from what was sent before.
    pub rows: Vec<Ranked>,
    /// How many rows the top has now (at most [`LEADERBOARD_TOP`]).
    pub len: u32,
}

impl BoardChange {
    /// Applies the change to the top rows a client holds.
    pub fn apply(&self, top: &mut Vec<Ranked>) {
        for row in &self.rows {
            let at = (row.rank as usize).saturating_sub(1);
            if at < top.len() {
                top[at] = row.clone();
            } else {
                top.push(row.clone());
            }
        }
        top.truncate(self.len as usize);
    }
}

/// Receive a scope's boards (`overall`, `dice`, `crash` or `wheel`) live: their top rows now,
/// then their changes. A connection may watch several scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchCommand {
    /// Client request id.
    pub req: u64,
    /// The scope.
    pub scope: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_at_midnight_utc_and_on_mondays() {
        // 2026-11-28 is a Saturday; 15:00 UTC.
        let at = 1_795_878_000_000;
        assert_eq!(Period::Day.start_ms(at), Some(1_795_824_000_000));
        // Monday 2026-11-23 00:00 UTC.
        assert_eq!(Period::Week.start_ms(at), Some(1_795_392_000_000));
        let monday = 1_795_392_000_000;
        assert_eq!(Period::Week.start_ms(monday), Some(monday));
        assert_eq!(
            Period::Week.start_ms(monday - 1),
            Some(monday - 7 * 86_400_000)
        );
        assert_eq!(Period::All.start_ms(at), None);
    }

    #[test]
    fn a_change_replaces_rows_by_rank_and_cuts_the_top() {
        let row = |rank, name: &str| Ranked {
            rank,
            username: name.into(),
            score: Cents(100 - rank as i64),
        };
        let mut top = vec![row(1, "a"), row(2, "b"), row(3, "c")];
        let key = BoardKey {
            scope: Scope::Dice,
            period: Period::Day,
            metric: Metric::Profit,
        };
        BoardChange {
            key,
            rows: vec![row(2, "c")],
            len: 2,
        }
        .apply(&mut top);
        assert_eq!(top, vec![row(1, "a"), row(2, "c")]);
        BoardChange {
            key,
            rows: vec![row(3, "d")],
            len: 3,
        }
        .apply(&mut top);
        assert_eq!(top.len(), 3);
    }
}
