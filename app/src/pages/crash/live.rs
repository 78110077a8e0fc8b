//! The crash game as this client last heard it: the round, its bets, the latest crash points,
//! and the latest tick, from which the page carries the multiplier forward between ticks.

use crate::live::RoundLive;
use protocol::crash::{CrashBetView, CrashHistoryItem, CrashRoundView};
use protocol::ids::RoundId;
use protocol::limits::CRASH_HISTORY_ROUNDS;

/// The crash game's state on this client: the round, its bets, and the latest crash points.
pub type CrashLive = RoundLive<CrashRoundView, CrashBetView, CrashHistoryItem>;

impl CrashLive {
    /// A round changed phase: a new round starts with no bets, and a crash joins the history
    /// once, however often it is reported.
    pub fn on_round(&mut self, round: CrashRoundView) {
        if round.id != self.round.id {
            self.bets.clear();
        }
        if let Some(crash_x100) = round.play.crash_x100 {
            if !self.history.iter().any(|h| h.id == round.id) {
                self.history.insert(
                    0,
                    CrashHistoryItem {
                        id: round.id,
                        crash_x100,
                    },
                );
                self.history.truncate(CRASH_HISTORY_ROUNDS);
            }
        }
        self.round = round;
    }
}

/// A crash tick as received.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrashTickSeen {
    /// Round it belongs to.
    pub round: RoundId,
    /// Server's elapsed milliseconds.
    pub elapsed_ms: u64,
    /// Server's multiplier in hundredths.
    pub multiplier_x100: u64,
    /// When it arrived, local milliseconds.
    pub received_ms: f64,
}

impl CrashTickSeen {
    /// A tick of `round` at the server's `elapsed_ms`, received at local `received_ms`.
    pub fn new(round: RoundId, elapsed_ms: u64, multiplier_x100: u64, received_ms: f64) -> Self {
        CrashTickSeen {
            round,
            elapsed_ms,
            multiplier_x100,
            received_ms,
        }
    }
}

/// Applies one crash event to the tab's state.
#[cfg(feature = "hydrate")]
pub(crate) fn apply(live: crate::live::Live, event: protocol::crash::Event) {
    use crate::live::update_some;
    use leptos::prelude::Set;
    use protocol::crash::Event;
    match event {
        Event::State {
            round,
            bets,
            history,
            ..
        } => live.crash.set(Some(CrashLive::new(round, bets, history))),
        Event::Round { round, .. } => update_some(live.crash, |s| s.on_round(round)),
        Event::Tick {
            round,
            elapsed_ms,
            multiplier_x100,
            ..
        } => {
            let received_ms = js_sys::Date::now();
            let tick = CrashTickSeen::new(round, elapsed_ms, multiplier_x100, received_ms);
            live.crash_tick.set(Some(tick));
        }
        Event::Bet { round, bet, .. } => update_some(live.crash, |s| s.on_bet(round, bet)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::Cents;
    use serde_json::json;

    /// A round as the server sends it: taking bets, or crashed at `crash_x100`.
    fn round(id: i64, crash_x100: Option<u64>) -> CrashRoundView {
        let phase = if crash_x100.is_some() {
            "crashed"
        } else {
            "betting"
        };
        let round = json!({
            "id": id, "number": id, "phase": phase, "betting_left_ms": 0, "elapsed_ms": 0,
            "crash_x100": crash_x100, "hash": null, "previous_hash": "",
        });
        serde_json::from_value(round).unwrap()
    }

    fn bet(username: &str, cashed_out_x100: Option<u64>) -> CrashBetView {
        CrashBetView {
            username: username.into(),
            amount: Cents(100),
            cashed_out_x100,
            payout: None,
        }
    }

    #[test]
    fn a_crash_reported_twice_joins_the_history_once() {
        let mut game = CrashLive::new(round(1, None), vec![bet("alice", None)], Vec::new());
        game.on_round(round(1, Some(250)));
        game.on_round(round(1, Some(250)));
        assert_eq!(game.history.len(), 1);
        assert_eq!(game.history[0].crash_x100, 250);
        assert_eq!(
            game.bets.len(),
            1,
            "the round's bets stay until the next round"
        );
        game.on_round(round(2, None));
        assert!(game.bets.is_empty());
    }

    #[test]
    fn a_bet_replaces_the_players_earlier_one_and_other_rounds_are_ignored() {
        let mut game = CrashLive::new(round(1, None), Vec::new(), Vec::new());
        game.on_bet(RoundId(1), bet("alice", None));
        game.on_bet(RoundId(1), bet("alice", Some(150)));
        game.on_bet(RoundId(2), bet("bob", None));
        assert_eq!(game.bets, vec![bet("alice", Some(150))]);
        assert_eq!(game.bet_of("alice"), Some(&bet("alice", Some(150))));
        assert_eq!(game.bet_of("bob"), None);
    }
}
