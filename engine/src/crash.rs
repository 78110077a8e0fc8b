//! The crash game on the round driver ([`crate::rounds::driver`]): what differs from other
//! round games. The outcome comes from the game's hash chain; the client decides nothing.
//!
//! - A bet may carry an auto cash-out target (1.01x to 10,000.00x); the round takes at most
//!   [`CRASH_ROUND_STAKES_CENTS_MAX`] in stakes.
//! - While the round runs, ticks go out 15 times a second, each encoded once for all viewers.
//!   A manual cash-out counts at the multiplier of the moment the server received it; one
//!   received at or after the crash is refused and the bet is lost. Auto cash-outs ride on the
//!   server, also for players whose connection dropped, and pay exactly their target.
//! - When the live exposure reaches [`CRASH_ROUND_PAYOUT_CENTS_MAX`], everyone still in is
//!   cashed out at the current multiplier (bustabit's bankroll rule).
//! - At the crash, bets whose target the curve passed are paid it and the rest lose, in the
//!   round's final settlement; the round hash is revealed.

use crate::hub::Hub;
use crate::ledger::rounds::{BetOutcome, Payout};
use crate::recent::CrashHistory;
use crate::rounds::book::BookBet;
use crate::rounds::driver::{Answer, Phase, Plays, Reply, Round, RoundGame, RoundTiming};
use crate::rounds::recent_outcomes;
use crate::rounds::seat::Seat;
use crate::rounds::{CashOutAck, RoundError, RoundsError};
use protocol::chain::ChainHash;
use protocol::crash::{crash_point_x100, elapsed_ms_for, multiplier_x100_at, payout_cents};
use protocol::crash::{CrashBetView, CrashHistoryItem, CrashPhase, CrashPlay, CrashRoundView};
use protocol::ids::RoundId;
use protocol::limits::{
    CRASH_AUTO_CASHOUT_X100_MAX, CRASH_AUTO_CASHOUT_X100_MIN, CRASH_HISTORY_ROUNDS,
    CRASH_ROUND_PAYOUT_CENTS_MAX, CRASH_ROUND_STAKES_CENTS_MAX,
};
use protocol::{Cents, Game, PlayerId, ServerMsg};
use sqlx::AnyPool;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// The topic of crash events.
pub const CRASH_TOPIC: &str = "crash";
/// Crash betting window (5 s).
pub const CRASH_BETTING_MS: u64 = 5_000;
/// Crash tick period: 15 ticks per second while a round runs.
pub const CRASH_TICK_MS: u64 = 66;
/// Pause between a crash and the next betting window (3 s).
pub const CRASH_INTERMISSION_MS: u64 = 3_000;

/// A cash-out request: at the multiplier of `received`, the server's receive time.
pub struct CashOut {
    player: PlayerId,
    received: Instant,
    reply: Reply<CashOutAck>,
}

/// Where the crash game's commands go. Cheap to clone.
pub type Crash = Seat<CrashGame>;

impl Seat<CrashGame> {
    /// Cashes out at the multiplier of `received`, the server's receive time.
    pub async fn cash_out(
        &self,
        player: PlayerId,
        received: Instant,
    ) -> Result<CashOutAck, RoundError> {
        self.game_command(player, received).await
    }
}

/// The latest crash points, newest first (for pages rendered on the server).
pub async fn recent_crash_points(pool: &AnyPool) -> Result<Vec<CrashHistoryItem>, sqlx::Error> {
    let recent = recent_outcomes(pool, Game::Crash, CRASH_HISTORY_ROUNDS).await?;
    Ok(recent
        .into_iter()
        .map(|(id, crash_x100)| CrashHistoryItem { id, crash_x100 })
        .collect())
}

/// Whether paying every open stake at `multiplier_x100`, on top of what the round already
/// paid, reaches the round's payout limit (the bankroll rule).
pub fn bankroll_reached(paid: i64, open_stakes: &[i64], multiplier_x100: u64) -> bool {
    let exposure: i64 = paid
        + open_stakes
            .iter()
            .map(|stake| payout_cents(*stake, multiplier_x100))
            .sum::<i64>();
    !open_stakes.is_empty() && exposure >= CRASH_ROUND_PAYOUT_CENTS_MAX.0
}

/// What the crash game adds to the round driver.
pub struct CrashGame {
    hub: Hub,
    timing: RoundTiming,
    history: CrashHistory,
    /// The running round and the index of its next tick (ticks go out at its start and then
    /// every [`CRASH_TICK_MS`], aligned to the start; missed ones are skipped, never sent in a burst).
    next_tick: (RoundId, u64),
}

impl CrashGame {
    /// The game with its recent history, ready for [`RoundHandle::start`].
    pub async fn new(pool: &AnyPool, hub: Hub, timing: RoundTiming) -> Result<Self, RoundsError> {
        let history = CrashHistory::new(recent_crash_points(pool).await?, CRASH_HISTORY_ROUNDS);
        Ok(CrashGame {
            hub,
            timing,
            history,
            next_tick: (RoundId(0), 0),
        })
    }

    /// The game's recent crash points, for pages.
    pub fn history(&self) -> CrashHistory {
        self.history.clone()
    }
}

/// When the curve reaches the round's crash point.
fn crash_instant(round: &Round<CrashGame>) -> Option<Instant> {
    round
        .running_at
        .map(|at| at + Duration::from_millis(elapsed_ms_for(round.outcome)))
}

fn round_view(round: &Round<CrashGame>) -> CrashRoundView {
    let crashed = round.phase == Phase::Ended;
    let phase = match round.phase {
        Phase::Betting => CrashPhase::Betting,
        Phase::Running => CrashPhase::Running,
        Phase::Ended => CrashPhase::Crashed,
    };
    let elapsed_ms = round.running_at.map_or(0, |at| {
        if crashed {
            elapsed_ms_for(round.outcome)
        } else {
            at.elapsed().as_millis() as u64
        }
    });
    let crash_x100 = crashed.then_some(round.outcome);
    round.view(
        phase,
        CrashPlay {
            elapsed_ms,
            crash_x100,
        },
    )
}

fn bet_view(bet: &BookBet<Option<u64>>) -> CrashBetView {
    let cashed = bet.paid_at();
    CrashBetView {
        username: bet.username.clone(),
        amount: bet.stake,
        cashed_out_x100: cashed.map(|(multiplier_x100, _)| multiplier_x100),
        payout: cashed.map(|(_, paid)| paid),
    }
}

impl CrashGame {
    fn publish_round(&self, round: &Round<Self>) {
        let view = round_view(round);
        self.hub.publish(CRASH_TOPIC, |topic, seq, at_ms| {
            ServerMsg::Crash(protocol::crash::Event::Round {
                topic,
                seq,
                at_ms,
                round: view,
            })
        });
    }

    /// Auto cash-outs whose target the curve reached, then the bankroll rule for the rest.
    fn cash_outs_due(round: &Round<Self>, multiplier_x100: u64, plays: &mut Plays) {
        let (mut due, mut rest) = (Vec::new(), Vec::new());
        for (player, bet) in round.book.open() {
            match bet.choice {
                Some(target) if target <= multiplier_x100 => due.push((player, target, bet.stake)),
                _ => rest.push((player, bet.stake)),
            }
        }
        let due_paid: i64 = due
            .iter()
            .map(|(_, m, stake)| payout_cents(stake.0, *m))
            .sum();
        let stakes: Vec<i64> = rest.iter().map(|(_, stake)| stake.0).collect();
        let paid = round.book.paid().0 + due_paid;
        if !due.is_empty() {
            plays.pay_early(due.into_iter().map(|(p, m, _)| (p, m)).collect(), None);
        }
        if bankroll_reached(paid, &stakes, multiplier_x100) {
            tracing::info!(
                round = round.id.0,
                multiplier_x100,
                "bankroll limit reached; cashing everyone out"
            );
            plays.pay_early(
                rest.into_iter()
                    .map(|(p, _)| (p, multiplier_x100))
                    .collect(),
                None,
            );
        }
    }

    /// The multiplier a manual cash-out received at `received` is paid at, or why it is refused.
    fn cash_out_at(
        round: &Round<Self>,
        player: PlayerId,
        received: Instant,
    ) -> Result<u64, RoundError> {
        let bet = round.book.get(player).ok_or(RoundError::NoBet)?;
        use crate::rounds::book::BetState;
        match bet.state {
            BetState::Open => {}
            BetState::Placing => return Err(RoundError::NoBet),
            // Settled as lost: the round crashed before this cash-out (it only settles lost
            // bets then), which the player is told as such.
            BetState::Settled {
                outcome: BetOutcome::Lost,
                ..
            } => return Err(RoundError::RoundCrashed),
            BetState::Settling | BetState::Settled { .. } => {
                return Err(RoundError::AlreadyCashedOut)
            }
        }
        let (Some(started), Some(crash_at)) = (round.running_at, crash_instant(round)) else {
            return Err(RoundError::NoBet);
        };
        if round.phase == Phase::Ended || received >= crash_at {
            return Err(RoundError::RoundCrashed);
        }
        let elapsed_ms = received.saturating_duration_since(started).as_millis() as u64;
        Ok(multiplier_x100_at(elapsed_ms)
            .min(round.outcome - 1)
            .max(100))
    }
}

impl RoundGame for CrashGame {
    const GAME: Game = Game::Crash;
    const TOPIC: &'static str = CRASH_TOPIC;
    const STAKE_LIMIT: Cents = CRASH_ROUND_STAKES_CENTS_MAX;
    type Choice = Option<u64>;
    type Command = CashOut;

    fn timing(&self) -> RoundTiming {
        self.timing
    }

    fn check_choice(&self, auto: &Option<u64>) -> Result<(), RoundError> {
        let range = CRASH_AUTO_CASHOUT_X100_MIN..=CRASH_AUTO_CASHOUT_X100_MAX;
        match auto {
            Some(target) if !range.contains(target) => Err(RoundError::InvalidAutoCashout),
            _ => Ok(()),
        }
    }

    fn choice_text(auto: &Option<u64>) -> String {
        auto.map(|target| target.to_string()).unwrap_or_default()
    }

    fn outcome(salt: &str, hash: &ChainHash) -> u64 {
        crash_point_x100(salt, hash)
    }

    fn announce(&self, round: &Round<Self>) {
        self.publish_round(round);
    }

    fn publish_bet(&self, round: &Round<Self>, bet: &BookBet<Option<u64>>) {
        let (id, view) = (round.id, bet_view(bet));
        self.hub.publish(CRASH_TOPIC, |topic, seq, at_ms| {
            ServerMsg::Crash(protocol::crash::Event::Bet {
                topic,
                seq,
                at_ms,
                round: id,
                bet: view,
            })
        });
    }

    fn state(&self, round: &Round<Self>, topic: String, seq: u64, at_ms: i64) -> ServerMsg {
        ServerMsg::Crash(protocol::crash::Event::State {
            topic,
            seq,
            at_ms,
            round: round_view(round),
            bets: round.book.placed().map(bet_view).collect(),
            history: self.history.newest_first(),
        })
    }

    fn next_wake(&self, round: &Round<Self>) -> Option<Instant> {
        let (started, crash_at) = (round.running_at?, crash_instant(round)?);
        if Instant::now() >= crash_at {
            return None;
        }
        let (tick_round, index) = self.next_tick;
        let index = if tick_round == round.id { index } else { 0 };
        let tick = started + Duration::from_millis(index * CRASH_TICK_MS);
        Some(crash_at.min(tick))
    }

    fn wake(&mut self, round: &Round<Self>, now: Instant, plays: &mut Plays) {
        let (Some(started), Some(crash_at)) = (round.running_at, crash_instant(round)) else {
            return;
        };
        if now >= crash_at {
            return;
        }
        let elapsed_ms = now.duration_since(started).as_millis() as u64;
        self.next_tick = (round.id, elapsed_ms / CRASH_TICK_MS + 1);
        let multiplier_x100 = multiplier_x100_at(elapsed_ms);
        Self::cash_outs_due(round, multiplier_x100, plays);
        let id = round.id;
        self.hub.publish(CRASH_TOPIC, |topic, seq, at_ms| {
            ServerMsg::Crash(protocol::crash::Event::Tick {
                topic,
                seq,
                at_ms,
                round: id,
                elapsed_ms,
                multiplier_x100,
            })
        });
    }

    fn remote_command(
        player: PlayerId,
        received: Instant,
    ) -> Option<(CashOut, Answer<CashOutAck>)> {
        let (reply, answer) = oneshot::channel();
        let cash_out = CashOut {
            player,
            received,
            reply,
        };
        Some((cash_out, answer))
    }

    fn command(&mut self, round: &Round<Self>, cash_out: CashOut, plays: &mut Plays) {
        let CashOut {
            player,
            received,
            reply,
        } = cash_out;
        match Self::cash_out_at(round, player, received) {
            Ok(multiplier_x100) => {
                plays.pay_early(vec![(player, multiplier_x100)], Some((player, reply)))
            }
            Err(refusal) => {
                let _ = reply.send(Err(refusal));
            }
        }
    }

    fn settle_at_end(&self, round: &Round<Self>, bet: &BookBet<Option<u64>>) -> BetOutcome {
        match bet.choice {
            // The curve passed the target before crashing (possibly between two ticks).
            Some(target) if target <= round.outcome => BetOutcome::CashedOut {
                multiplier_x100: target,
            },
            _ => BetOutcome::Lost,
        }
    }

    fn ended(&mut self, round: &Round<Self>, payouts: &[Payout]) {
        for payout in payouts {
            if let (BetOutcome::CashedOut { .. }, Some(bet)) =
                (payout.outcome, round.book.get(payout.player))
            {
                self.publish_bet(round, bet);
            }
        }
        self.history.push(CrashHistoryItem {
            id: round.id,
            crash_x100: round.outcome,
        });
        self.publish_round(round);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_pages_read_keeps_the_latest_points_newest_first() {
        let point = |id: i64| CrashHistoryItem {
            id: RoundId(id),
            crash_x100: 100 + id as u64,
        };
        let history = CrashHistory::new(vec![point(2), point(1)], CRASH_HISTORY_ROUNDS);
        let pages = history.clone();
        let last = CRASH_HISTORY_ROUNDS as i64 + 5;
        for id in 3..=last {
            history.push(point(id));
        }
        let shown: Vec<i64> = pages.newest_first().iter().map(|p| p.id.0).collect();
        let expected: Vec<i64> = (6..=last).rev().collect();
        assert_eq!(shown, expected);
    }

    #[test]
    fn the_bankroll_rule_triggers_when_exposure_reaches_the_payout_limit() {
        let limit = CRASH_ROUND_PAYOUT_CENTS_MAX.0;
        // 100,000.00 staked: at 4.99x the exposure is 499,000.00, at 5.00x it is 500,000.00.
        let stakes = [5_000_000, 5_000_000];
        assert!(!bankroll_reached(0, &stakes, 499));
        assert!(bankroll_reached(0, &stakes, 500));
        // What was already paid counts too.
        assert!(bankroll_reached(limit - 100, &[100], 100));
        assert!(!bankroll_reached(limit - 101, &[100], 100));
        // Nobody left in: nothing to force.
        assert!(!bankroll_reached(limit, &[], 10_000));
    }
}
