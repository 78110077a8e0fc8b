//! The wheel as this client last heard it: the round, its bets (settled once spinning), and
//! the latest slots.

use super::upsert_by_username;
use protocol::ids::RoundId;
use protocol::limits::WHEEL_HISTORY_ROUNDS;
use protocol::wire::{WheelBetView, WheelRoundView};

/// The wheel's state on this client.
#[derive(Clone, Debug, PartialEq)]
pub struct WheelLive {
    /// Current round.
    pub round: WheelRoundView,
    /// Its bets (settled once spinning).
    pub bets: Vec<WheelBetView>,
    /// Latest slots, newest first.
    pub history: Vec<u32>,
}

impl WheelLive {
    /// The wheel as a snapshot reports it.
    pub fn new(round: WheelRoundView, bets: Vec<WheelBetView>, history: Vec<u32>) -> Self {
        WheelLive {
            round,
            bets,
            history,
        }
    }

    /// A round changed phase, with its bets as they now stand: a slot drawn joins the history
    /// once, however often its round is reported.
    pub fn on_round(&mut self, round: WheelRoundView, bets: Vec<WheelBetView>) {
        if let Some(slot) = round
            .slot
            .filter(|_| self.round.id != round.id || self.round.slot.is_none())
        {
            self.history.insert(0, slot);
            self.history.truncate(WHEEL_HISTORY_ROUNDS);
        }
        self.bets = bets;
        self.round = round;
    }

    /// A bet was placed: it replaces that player's bet in the current round; a bet of another
    /// round is ignored.
    pub fn on_bet(&mut self, round: RoundId, bet: WheelBetView) {
        if self.round.id == round {
            upsert_by_username(&mut self.bets, bet, |b| &b.username);
        }
    }

    /// The bet `username` has in the current round.
    pub fn bet_of(&self, username: &str) -> Option<&WheelBetView> {
        self.bets.iter().find(|b| b.username == username)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::wheel::Segment;
    use protocol::wire::WheelPhase;
    use protocol::Cents;

    fn round(id: i64, slot: Option<u32>) -> WheelRoundView {
        WheelRoundView {
            id: RoundId(id),
            number: id,
            phase: if slot.is_some() {
                WheelPhase::Spinning
            } else {
                WheelPhase::Betting
            },
            betting_left_ms: 0,
            spin_left_ms: 0,
            slot,
            hash: None,
            previous_hash: String::new(),
        }
    }

    fn bet(username: &str, segment: Segment) -> WheelBetView {
        WheelBetView {
            username: username.into(),
            amount: Cents(100),
            segment,
            payout: None,
        }
    }

    #[test]
    fn a_slot_reported_twice_joins_the_history_once() {
        let mut wheel = WheelLive::new(round(1, None), Vec::new(), vec![7]);
        wheel.on_round(round(1, Some(3)), vec![bet("alice", Segment::Grey)]);
        wheel.on_round(round(1, Some(3)), vec![bet("alice", Segment::Grey)]);
        assert_eq!(wheel.history, vec![3, 7]);
        assert_eq!(wheel.bet_of("alice"), Some(&bet("alice", Segment::Grey)));
    }

    #[test]
    fn a_bet_of_another_round_is_ignored() {
        let mut wheel = WheelLive::new(round(2, None), Vec::new(), Vec::new());
        wheel.on_bet(RoundId(1), bet("alice", Segment::Blue));
        wheel.on_bet(RoundId(2), bet("bob", Segment::Gold));
        assert_eq!(wheel.bets, vec![bet("bob", Segment::Gold)]);
    }
}
