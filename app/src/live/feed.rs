//! The public feed of settled dice bets as it arrives, and the point it resumes from after a
//! reconnect, so a dropped connection neither loses nor repeats a bet.

use protocol::dice::FeedBet;
use protocol::limits::FEED_BETS_SHOWN;

/// Adds a bet to the feed (newest first, at most [`FEED_BETS_SHOWN`]); a bet already shown is
/// not added again.
pub(super) fn record(feed: &mut Vec<FeedBet>, bet: FeedBet) {
    if !feed.iter().any(|b| b.id == bet.id) {
        feed.insert(0, bet);
        feed.sort_by_key(|b| std::cmp::Reverse(b.id));
        feed.truncate(FEED_BETS_SHOWN);
    }
}

/// The last feed event seen, in the server run it belongs to.
#[derive(Debug, Default)]
pub(super) struct FeedCursor {
    /// The server run the seq below belongs to.
    epoch: Option<u64>,
    /// Last seq seen on the dice feed.
    dice_seq: Option<u64>,
}

impl FeedCursor {
    /// The server welcomed the connection: a new server run sends its own feed snapshot, so
    /// the old run's seq is dropped.
    pub(super) fn welcomed(&mut self, epoch: u64) {
        if self.epoch != Some(epoch) {
            self.epoch = Some(epoch);
            self.dice_seq = None;
        }
    }

    /// A feed event with this seq arrived.
    pub(super) fn seen(&mut self, seq: u64) {
        self.dice_seq = Some(seq);
    }

    /// The query string that asks the server for only the missed events, if there is a point
    /// to resume from.
    pub(super) fn query(&self) -> String {
        self.epoch
            .zip(self.dice_seq)
            .map(|(epoch, seq)| format!("?epoch={epoch}&dice={seq}"))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::ids::BetId;
    use protocol::Cents;

    fn bet(id: i64) -> FeedBet {
        FeedBet {
            id: BetId(id),
            username: "alice".into(),
            amount: Cents(100),
            target: 5000,
            roll: 1234,
            payout: Cents(0),
        }
    }

    #[test]
    fn the_feed_keeps_each_bet_once_newest_first() {
        let mut feed = Vec::new();
        for id in [2, 1, 3, 2] {
            record(&mut feed, bet(id));
        }
        let ids: Vec<i64> = feed.iter().map(|b| b.id.0).collect();
        assert_eq!(ids, vec![3, 2, 1]);
    }

    #[test]
    fn a_new_server_run_forgets_where_the_old_one_was() {
        let mut cursor = FeedCursor::default();
        assert_eq!(cursor.query(), "");
        cursor.welcomed(7);
        cursor.seen(41);
        cursor.welcomed(7);
        assert_eq!(cursor.query(), "?epoch=7&dice=41");
        cursor.welcomed(8);
        assert_eq!(cursor.query(), "");
    }
}
