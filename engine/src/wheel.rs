//! The wheel on the round driver ([`crate::rounds::driver`]): what differs from other round
//! games. A shared round every ~20 s: a betting window, then the slot from the game's hash
//! chain, settled for everyone with the round's end, then the spin that shows it. A bet chooses
//! a segment; the round takes at most [`WHEEL_ROUND_STAKES_CENTS_MAX`] in stakes.

use crate::hub::Hub;
use crate::ledger::rounds::{BetOutcome, Payout};
use crate::rounds::book::BookBet;
use crate::rounds::driver::{Answer, Phase, Plays, Round, RoundGame, RoundTiming};
use crate::rounds::recent_outcomes;
use crate::rounds::seat::Seat;
use crate::rounds::{RoundError, RoundsError};
use protocol::chain::ChainHash;
use protocol::limits::{WHEEL_HISTORY_ROUNDS, WHEEL_ROUND_STAKES_CENTS_MAX};
use protocol::wheel::{self, Segment};
use protocol::wheel::{WheelBetView, WheelPhase, WheelRoundView, WheelSpin};
use protocol::{Cents, Game, ServerMsg};
use sqlx::AnyPool;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::time::Instant;

/// The topic of wheel events.
pub const WHEEL_TOPIC: &str = "wheel";
/// Wheel betting window (15 s).
pub const WHEEL_BETTING_MS: u64 = 15_000;
/// How long the wheel spins after betting closes (5 s): a round every ~20 s.
pub const WHEEL_SPIN_MS: u64 = 5_000;

/// Handle to the wheel. Cheap to clone.
pub type Wheel = Seat<WheelGame>;

/// The latest wheel slots, newest first.
pub async fn recent_slots(pool: &AnyPool) -> Result<Vec<u32>, sqlx::Error> {
    let recent = recent_outcomes(pool, Game::Wheel, WHEEL_HISTORY_ROUNDS).await?;
    Ok(recent.into_iter().map(|(_, slot)| slot as u32).collect())
}

/// What the wheel adds to the round driver.
pub struct WheelGame {
    hub: Hub,
    timing: RoundTiming,
    history: VecDeque<u32>,
}

impl WheelGame {
    /// The game with its recent history, ready for [`RoundHandle::start`].
    pub async fn new(pool: &AnyPool, hub: Hub, timing: RoundTiming) -> Result<Self, RoundsError> {
        let history = recent_slots(pool).await?.into_iter().collect();
        Ok(WheelGame {
            hub,
            timing,
            history,
        })
    }

    fn round_view(&self, round: &Round<Self>) -> WheelRoundView {
        let spinning = round.phase == Phase::Ended;
        let spin_ends = round
            .ended_at
            .map(|at| at + Duration::from_millis(self.timing.pause_ms));
        let phase = if spinning {
            WheelPhase::Spinning
        } else {
            WheelPhase::Betting
        };
        let spin = WheelSpin {
            spin_left_ms: spin_ends.map_or(0, |end| {
                end.saturating_duration_since(Instant::now()).as_millis() as u64
            }),
            slot: spinning.then_some(round.outcome as u32),
        };
        round.view(phase, spin)
    }

    fn publish_round(&self, round: &Round<Self>) {
        let (view, bets) = (self.round_view(round), bet_views(round));
        self.hub.publish(WHEEL_TOPIC, |topic, seq, at_ms| {
            ServerMsg::Wheel(protocol::wheel::Event::Round {
                topic,
                seq,
                at_ms,
                round: view,
                bets,
            })
        });
    }
}

fn bet_view(bet: &BookBet<Segment>) -> WheelBetView {
    WheelBetView {
        username: bet.username.clone(),
        amount: bet.stake,
        segment: bet.choice,
        payout: bet.paid(),
    }
}

fn bet_views(round: &Round<WheelGame>) -> Vec<WheelBetView> {
    round.book.placed().map(bet_view).collect()
}

impl RoundGame for WheelGame {
    const GAME: Game = Game::Wheel;
    const TOPIC: &'static str = WHEEL_TOPIC;
    const STAKE_LIMIT: Cents = WHEEL_ROUND_STAKES_CENTS_MAX;
    type Choice = Segment;
    type Command = Infallible;

    fn timing(&self) -> RoundTiming {
        self.timing
    }

    fn check_choice(&self, _: &Segment) -> Result<(), RoundError> {
        Ok(())
    }

    fn choice_text(segment: &Segment) -> String {
        segment.name().to_owned()
    }

    fn outcome(salt: &str, hash: &ChainHash) -> u64 {
        u64::from(wheel::slot(salt, hash))
    }

    fn announce(&self, round: &Round<Self>) {
        // Players see betting, then the decided spin; the short running phase is not shown.
        if round.phase == Phase::Betting {
            self.publish_round(round);
        }
    }

    fn publish_bet(&self, round: &Round<Self>, bet: &BookBet<Segment>) {
        let (id, view) = (round.id, bet_view(bet));
        self.hub.publish(WHEEL_TOPIC, |topic, seq, at_ms| {
            ServerMsg::Wheel(protocol::wheel::Event::Bet {
                topic,
                seq,
                at_ms,
                round: id,
                bet: view,
            })
        });
    }

    fn state(&self, round: &Round<Self>, topic: String, seq: u64, at_ms: i64) -> ServerMsg {
        ServerMsg::Wheel(protocol::wheel::Event::State {
            topic,
            seq,
            at_ms,
            round: self.round_view(round),
            bets: bet_views(round),
            history: self.history.iter().copied().collect(),
        })
    }

    fn next_wake(&self, _: &Round<Self>) -> Option<Instant> {
        // The slot is known: nothing happens between betting and the end.
        None
    }

    fn wake(&mut self, _: &Round<Self>, _: Instant, _: &mut Plays) {}

    fn remote_command(
        _player: protocol::PlayerId,
        _received: tokio::time::Instant,
    ) -> Option<(Infallible, Answer<crate::rounds::CashOutAck>)> {
        None
    }

    fn command(&mut self, _: &Round<Self>, command: Infallible, _: &mut Plays) {
        match command {}
    }

    fn settle_at_end(&self, round: &Round<Self>, bet: &BookBet<Segment>) -> BetOutcome {
        let landed = wheel::layout()[round.outcome as usize];
        if bet.choice == landed {
            BetOutcome::Won {
                multiplier_x100: landed.multiplier_x100(),
            }
        } else {
            BetOutcome::Lost
        }
    }

    fn ended(&mut self, round: &Round<Self>, _: &[Payout]) {
        self.history.push_front(round.outcome as u32);
        self.history.truncate(WHEEL_HISTORY_ROUNDS);
        self.publish_round(round);
    }
}
