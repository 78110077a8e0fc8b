//! The latest few items of a stream everyone sees, kept in memory where the stream is produced,
//! for pages that render them: the public dice feed's bets (filled where the feed is published,
//! after its budget, so a page shows what the live feed showed) and the crash game's last
//! crash points. Both start from the database at start-up.
//!
//! Pages read them without a query: reading the feed from SQLite (the query and its hand-off to
//! SQLite's thread) was about 12% of a lobby page in a profile, and the crash points most of
//! the difference between the crash page and the lobby (docs/benchmarks.md).

use protocol::crash::CrashHistoryItem;
use protocol::dice::FeedBet;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The public dice feed's latest bets ([`protocol::limits::FEED_BETS_SHOWN`]).
pub type RecentFeed = Recent<FeedBet>;
/// The crash game's latest crash points ([`protocol::limits::CRASH_HISTORY_ROUNDS`]).
pub type CrashHistory = Recent<CrashHistoryItem>;

/// At most `capacity` items, newest first. A cheap `Clone` handle.
#[derive(Clone, Debug)]
pub struct Recent<T> {
    items: Arc<Mutex<VecDeque<T>>>,
    capacity: usize,
}

impl<T: Clone> Recent<T> {
    /// Holding `newest_first` (as a database query returns them), cut to `capacity`.
    pub fn new(newest_first: Vec<T>, capacity: usize) -> Recent<T> {
        let mut items = VecDeque::from(newest_first);
        items.truncate(capacity);
        Recent {
            items: Arc::new(Mutex::new(items)),
            capacity,
        }
    }

    /// Adds the newest item, dropping the oldest beyond the capacity.
    pub fn push(&self, item: T) {
        let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        items.push_front(item);
        items.truncate(self.capacity);
    }

    /// The items, newest first.
    pub fn newest_first(&self) -> Vec<T> {
        let items = self.items.lock().unwrap_or_else(|e| e.into_inner());
        items.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::limits::FEED_BETS_SHOWN;
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
        let feed = RecentFeed::new(vec![bet(2), bet(1)], FEED_BETS_SHOWN);
        for id in 3..=(FEED_BETS_SHOWN as i64 + 5) {
            feed.push(bet(id));
        }
        let ids: Vec<i64> = feed.newest_first().iter().map(|b| b.id.0).collect();
        let expected: Vec<i64> = (6..=(FEED_BETS_SHOWN as i64 + 5)).rev().collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn starts_from_the_stored_bets_in_their_order() {
        let feed = RecentFeed::new(vec![bet(9), bet(8), bet(7)], FEED_BETS_SHOWN);
        let ids: Vec<i64> = feed.newest_first().iter().map(|b| b.id.0).collect();
        assert_eq!(ids, vec![9, 8, 7]);
    }
}
