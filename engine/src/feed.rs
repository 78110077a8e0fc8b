//! The public dice feed's latest bets, kept in memory for the pages that show them.
//!
//! Filled where the feed is published (after its budget, so a page shows what the live feed
//! showed), and loaded from the database at start-up. Pages read it without a query: reading
//! the feed from SQLite (the query and its hand-off to SQLite's thread) was about 12% of a lobby page
//! in a profile (docs/benchmarks.md).

use protocol::dice::FeedBet;
use protocol::limits::FEED_BETS_SHOWN;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The latest [`FEED_BETS_SHOWN`] feed bets. A cheap `Clone` handle.
#[derive(Clone, Debug, Default)]
pub struct RecentFeed {
    /// Oldest first.
    bets: Arc<Mutex<VecDeque<FeedBet>>>,
}

impl RecentFeed {
    /// A feed holding `bets` (newest first, as the database query returns them).
    pub fn new(bets: Vec<FeedBet>) -> RecentFeed {
        let feed = RecentFeed::default();
        for bet in bets.into_iter().rev() {
            feed.push(bet);
        }
        feed
    }

    /// Adds the newest bet, dropping the oldest beyond [`FEED_BETS_SHOWN`].
    pub fn push(&self, bet: FeedBet) {
        let mut bets = self.bets.lock().unwrap_or_else(|e| e.into_inner());
        if bets.len() == FEED_BETS_SHOWN {
            bets.pop_front();
        }
        bets.push_back(bet);
    }

    /// The bets, newest first.
    pub fn newest_first(&self) -> Vec<FeedBet> {
        let bets = self.bets.lock().unwrap_or_else(|e| e.into_inner());
        bets.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{BetId, Cents};

    fn bet(id: i64) -> FeedBet {
        FeedBet {
            id: BetId(id),
            username: format!("p{id}"),
            amount: Cents(100),
            target: 5_000,
            roll: 1_234,
            payout: Cents(198),
        }
    }

    #[test]
    fn keeps_the_newest_bets_newest_first() {
        let feed = RecentFeed::new(vec![bet(2), bet(1)]);
        for id in 3..=(FEED_BETS_SHOWN as i64 + 5) {
            feed.push(bet(id));
        }
        let ids: Vec<i64> = feed.newest_first().iter().map(|b| b.id.0).collect();
        let expected: Vec<i64> = (6..=(FEED_BETS_SHOWN as i64 + 5)).rev().collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn starts_from_the_stored_bets_in_their_order() {
        let feed = RecentFeed::new(vec![bet(9), bet(8), bet(7)]);
        let ids: Vec<i64> = feed.newest_first().iter().map(|b| b.id.0).collect();
        assert_eq!(ids, vec![9, 8, 7]);
    }
}
