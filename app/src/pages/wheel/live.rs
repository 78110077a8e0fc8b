//! The wheel as this client last heard it: the round, its bets (settled once spinning), and
//! the latest slots.

use crate::live::RoundLive;
use protocol::limits::WHEEL_HISTORY_ROUNDS;
use protocol::wheel::{WheelBetView, WheelRoundView};

/// The wheel's state on this client: the round, its bets (settled once spinning), and the
/// latest slots.
pub type WheelLive = RoundLive<WheelRoundView, WheelBetView, u32>;

impl WheelLive {
    /// A round changed phase, with its bets as they now stand: a slot drawn joins the history
    /// once, however often its round is reported.
    pub fn on_round(&mut self, round: WheelRoundView, bets: Vec<WheelBetView>) {
        if let Some(slot) = round
            .play
            .slot
            .filter(|_| self.round.id != round.id || self.round.play.slot.is_none())
        {
            self.history.insert(0, slot);
            self.history.truncate(WHEEL_HISTORY_ROUNDS);
        }
        self.bets = bets;
        self.round = round;
    }
}

/// Applies one wheel event to the tab's state.
#[cfg(feature = "hydrate")]
pub(crate) fn apply(live: crate::live::Live, event: protocol::wheel::Event) {
    use crate::live::update_some;
    use leptos::prelude::Set;
    use protocol::wheel::Event;
    match event {
        Event::State {
            round,
            bets,
            history,
            ..
        } => live.wheel.set(Some(WheelLive::new(round, bets, history))),
        Event::Round { round, bets, .. } => update_some(live.wheel, |s| s.on_round(round, bets)),
        Event::Bet { round, bet, .. } => update_some(live.wheel, |s| s.on_bet(round, bet)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::ids::RoundId;
    use protocol::wheel::Segment;
    use protocol::wheel::{WheelPhase, WheelSpin};
    use protocol::Cents;

    #[test]
    fn a_slot_reported_twice_joins_the_history_once() {
        let betting: WheelRoundView = serde_json::from_value(serde_json::json!({
            "id": 1, "number": 1, "phase": "betting", "betting_left_ms": 0, "spin_left_ms": 0,
            "slot": null, "hash": null, "previous_hash": "",
        }))
        .unwrap();
        let spinning = WheelRoundView {
            phase: WheelPhase::Spinning,
            play: WheelSpin {
                spin_left_ms: 0,
                slot: Some(3),
            },
            ..betting.clone()
        };
        let next = WheelRoundView {
            id: RoundId(2),
            number: 2,
            ..betting.clone()
        };
        let bets = vec![WheelBetView {
            username: "alice".into(),
            amount: Cents(100),
            segment: Segment::Grey,
            payout: Some(Cents(198)),
        }];
        let mut wheel = WheelLive::new(betting, Vec::new(), vec![7]);
        wheel.on_round(spinning.clone(), bets.clone());
        wheel.on_round(spinning, bets.clone());
        assert_eq!(wheel.history, vec![3, 7]);
        assert_eq!(wheel.bets, bets);
        wheel.on_round(next, Vec::new());
        assert_eq!(
            wheel.history,
            vec![3, 7],
            "a round without a slot adds none"
        );
    }
}
