//! One board's order: players by score, highest first, with each player's rank in logarithmic
//! time. And a table: one scope's and period's totals per player, with its two boards.

use protocol::leaderboard::{Metric, LEADERBOARD_PROFIT_WAGER_MIN};
use protocol::PlayerId;
use std::cmp::Reverse;
use std::collections::HashMap;

/// Players ordered by score (highest first; on equal scores the lower id, who joined first).
///
/// A rank is a player's position in that order, which a hash map cannot give and a plain
/// `BTreeSet` gives only by walking every entry before it (a million steps at a million
/// players). `indexset`'s order-statistic B-tree answers it with two binary searches and a
/// Fenwick-tree prefix sum (`bench leaderboard`, docs/benchmarks.md).
pub struct Board {
    scores: HashMap<PlayerId, i64>,
    order: indexset::BTreeSet<(Reverse<i64>, PlayerId)>,
}

/// Entries per node of a board's B-tree. `bench leaderboard` at a million players, one settled
/// bet (12 board updates): 1,024 (the crate's default) 24 us, 512 21 us, 256 17 us (p99 33 us),
/// 128 16 us (p99 41 us), 64 24 us (p99 284 us); rank queries take the same at every size.
const NODE_ENTRIES: usize = 256;

impl Default for Board {
    fn default() -> Board {
        Board {
            scores: HashMap::new(),
            order: indexset::BTreeSet::with_maximum_node_size(NODE_ENTRIES),
        }
    }
}

impl Board {
    /// Sets a player's score (placing them on the board if they were not).
    pub fn set(&mut self, player: PlayerId, score: i64) {
        if let Some(old) = self.scores.insert(player, score) {
            if old == score {
                return;
            }
            self.order.remove(&(Reverse(old), player));
        }
        self.order.insert((Reverse(score), player));
    }

    /// The player's rank (from 1) and score, if they are on the board.
    pub fn rank(&self, player: PlayerId) -> Option<(u64, i64)> {
        let score = *self.scores.get(&player)?;
        let before = self.order.rank(&(Reverse(score), player));
        Some((before as u64 + 1, score))
    }

    /// The first `n` players with their scores.
    pub fn top(&self, n: usize) -> impl Iterator<Item = (PlayerId, i64)> + '_ {
        self.order
            .iter()
            .take(n)
            .map(|(Reverse(score), player)| (*player, *score))
    }

    /// How many players the board ranks.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether the board ranks nobody.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
}

/// What a player did in one scope and period.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Stakes.
    pub wagered: i64,
    /// Payouts minus stakes.
    pub profit: i64,
}

/// One scope's and period's totals and boards.
#[derive(Default)]
pub struct Table {
    totals: HashMap<PlayerId, Totals>,
    /// Every player's together.
    sum: Totals,
    profit: Board,
    wagered: Board,
}

impl Table {
    /// Adds a player's settled stakes and profit.
    pub fn add(&mut self, player: PlayerId, stake: i64, profit: i64) {
        self.sum.wagered += stake;
        self.sum.profit += profit;
        let totals = self.totals.entry(player).or_default();
        totals.wagered += stake;
        totals.profit += profit;
        let totals = *totals;
        self.wagered.set(player, totals.wagered);
        // Ranked on profit once the period's wagers reach the minimum (they only grow).
        if totals.wagered >= LEADERBOARD_PROFIT_WAGER_MIN.0 {
            self.profit.set(player, totals.profit);
        }
    }

    /// The board of `metric`.
    pub fn board(&self, metric: Metric) -> &Board {
        match metric {
            Metric::Profit => &self.profit,
            Metric::Wagered => &self.wagered,
        }
    }

    /// Every player's totals together.
    pub fn sum(&self) -> Totals {
        self.sum
    }

    /// A player's totals, if they played.
    pub fn totals(&self, player: PlayerId) -> Option<Totals> {
        self.totals.get(&player).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ranks_follow_scores_and_ties_go_to_the_earlier_player() {
        let mut board = Board::default();
        board.set(PlayerId(3), 50);
        board.set(PlayerId(1), 50);
        board.set(PlayerId(2), 80);
        assert_eq!(board.rank(PlayerId(2)), Some((1, 80)));
        assert_eq!(board.rank(PlayerId(1)), Some((2, 50)));
        assert_eq!(board.rank(PlayerId(3)), Some((3, 50)));
        board.set(PlayerId(3), -10);
        assert_eq!(board.rank(PlayerId(3)), Some((3, -10)));
        assert_eq!(board.rank(PlayerId(9)), None);
        let top: Vec<_> = board.top(2).collect();
        assert_eq!(top, vec![(PlayerId(2), 80), (PlayerId(1), 50)]);
    }

    #[test]
    fn profit_boards_rank_only_players_past_the_minimum_wager() {
        let mut table = Table::default();
        let min = LEADERBOARD_PROFIT_WAGER_MIN.0;
        table.add(PlayerId(1), 1, 99);
        assert_eq!(table.board(Metric::Profit).rank(PlayerId(1)), None);
        assert_eq!(table.board(Metric::Wagered).rank(PlayerId(1)), Some((1, 1)));
        table.add(PlayerId(1), min - 1, -(min - 1));
        assert_eq!(
            table.board(Metric::Profit).rank(PlayerId(1)),
            Some((1, 99 - min + 1))
        );
    }

    proptest! {
        /// After any sequence of score changes, every rank equals the player's position in
        /// the scores sorted from scratch.
        #[test]
        fn ranks_equal_a_full_sort(changes in proptest::collection::vec((0i64..50, -1_000i64..1_000), 1..300)) {
            let mut board = Board::default();
            let mut scores = HashMap::new();
            for (player, score) in changes {
                board.set(PlayerId(player), score);
                scores.insert(player, score);
            }
            let mut sorted: Vec<(i64, i64)> = scores.iter().map(|(p, s)| (*s, *p)).collect();
            sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for (position, (score, player)) in sorted.iter().enumerate() {
                prop_assert_eq!(board.rank(PlayerId(*player)), Some((position as u64 + 1, *score)));
            }
            prop_assert_eq!(board.len(), sorted.len());
        }
    }
}
