//! The crash game: one task owns the live round and runs its lifecycle
//! (betting -> running -> crashed -> next round), persisting every phase through the ledger
//! writer. The outcome comes from the game's hash chain; the client decides nothing.
//!
//! - Bets are accepted during the betting window, checked here (window, one bet per player,
//!   auto cash-out range, the round's stake limit) and held durably by the ledger before the
//!   player is answered. Betting closes only once every hold in flight has been answered.
//! - While running, ticks are published 15 times a second, each encoded once for all viewers.
//!   A manual cash-out counts at the multiplier of the moment the server received it; one
//!   received at or after the crash is refused and the bet is lost. Auto cash-outs ride on the
//!   server, also for players whose connection dropped, and pay exactly their target.
//! - When the live exposure reaches [`CRASH_ROUND_PAYOUT_CENTS_MAX`], everyone still in is
//!   cashed out at the current multiplier (bustabit's bankroll rule).
//! - At the crash, the remaining bets settle in one ledger batch with the round's end, and the
//!   round hash is revealed.

mod commands;
mod task;

use crate::hub::{Hub, Outbox};
use crate::ledger::rounds::{BetOutcome, Game, RoundBetRequest, RoundEnd, Settlement};
use crate::ledger::{Ledger, LedgerError};
use crate::limits::{
    CRASH_BETTING_MS, CRASH_INTERMISSION_MS, CRASH_TICK_MS, ROUND_QUEUE_COMMANDS_MAX,
};
use crate::rounds::{self, BetAck, Chain, RoundError, RoundsError};
use protocol::crash::{crash_point_x100, elapsed_ms_for, multiplier_x100_at, payout_cents};
use protocol::ids::{RoundBetId, RoundId};
use protocol::limits::{
    CRASH_AUTO_CASHOUT_X100_MAX, CRASH_AUTO_CASHOUT_X100_MIN, CRASH_HISTORY_ROUNDS,
    CRASH_ROUND_PAYOUT_CENTS_MAX, CRASH_ROUND_STAKES_CENTS_MAX,
};
use protocol::wire::{CrashBetView, CrashHistoryItem, CrashPhase, CrashRoundView, PlayerView};
use protocol::{Cents, PlayerId, ServerMsg};
use sqlx::{Row, SqlitePool};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use task::CrashTask;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The topic of crash events.
pub const CRASH_TOPIC: &str = "crash";

/// Timing of the crash game; the defaults are the product's, tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct CrashTiming {
    /// Betting window.
    pub betting_ms: u64,
    /// Tick period while running.
    pub tick_ms: u64,
    /// Pause after a crash.
    pub intermission_ms: u64,
    /// Seed and length of the first chain, when it must be known in advance (tests); `None`
    /// draws a random secret seed, as production must.
    pub first_chain: Option<(protocol::chain::ChainHash, usize)>,
}

impl Default for CrashTiming {
    fn default() -> CrashTiming {
        CrashTiming {
            betting_ms: CRASH_BETTING_MS,
            tick_ms: CRASH_TICK_MS,
            intermission_ms: CRASH_INTERMISSION_MS,
            first_chain: None,
        }
    }
}

/// A paid cash-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CashOutAck {
    /// Multiplier in hundredths.
    pub multiplier_x100: u64,
    /// Payout.
    pub payout: Cents,
}

type Reply<T> = oneshot::Sender<Result<T, RoundError>>;

enum Command {
    Join {
        outbox: Outbox,
    },
    Bet(BetCommand),
    CashOut {
        player: PlayerId,
        received: Instant,
        reply: Reply<CashOutAck>,
    },
    HoldDone {
        player: PlayerId,
        result: Result<crate::ledger::rounds::RoundBetReceipt, LedgerError>,
        reply: Reply<BetAck>,
    },
    SettleDone {
        players: Vec<(PlayerId, u64)>,
        result: Result<(), LedgerError>,
        reply: Option<Reply<CashOutAck>>,
    },
}

struct BetCommand {
    player: PlayerView,
    idem: String,
    amount: Cents,
    auto_cashout_x100: Option<u64>,
    reply: Reply<BetAck>,
}

/// Handle to the crash game. Cheap to clone.
#[derive(Clone)]
pub struct Crash {
    commands: mpsc::Sender<Command>,
}

impl Crash {
    /// Starts the game task: resumes the stored hash chain (or creates one) and opens rounds.
    pub async fn start(
        pool: SqlitePool,
        ledger: Ledger,
        hub: Hub,
        timing: CrashTiming,
    ) -> Result<Crash, RoundsError> {
        let (chain, next_number) =
            rounds::resume_chain(&pool, Game::Crash, timing.first_chain).await?;
        let history = load_history(&pool).await?;
        let (commands, queue) = mpsc::channel(ROUND_QUEUE_COMMANDS_MAX);
        let game = CrashTask {
            pool,
            ledger,
            hub,
            timing,
            chain,
            next_number,
            history,
            queue,
            loopback: commands.downgrade(),
        };
        tokio::spawn(game.run());
        Ok(Crash { commands })
    }

    /// Sends the current state to a connection and subscribes it to crash events.
    pub async fn join(&self, outbox: Outbox) {
        let _ = self.commands.send(Command::Join { outbox }).await;
    }

    /// Places a bet in the current round's betting window.
    pub async fn bet(
        &self,
        player: PlayerView,
        idem: String,
        amount: Cents,
        auto_cashout_x100: Option<u64>,
    ) -> Result<BetAck, RoundError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Bet(BetCommand {
            player,
            idem,
            amount,
            auto_cashout_x100,
            reply,
        });
        self.commands
            .send(command)
            .await
            .map_err(|_| RoundError::Unavailable)?;
        answer.await.map_err(|_| RoundError::Unavailable)?
    }

    /// Cashes out at the multiplier of `received`, the server's receive time.
    pub async fn cash_out(
        &self,
        player: PlayerId,
        received: Instant,
    ) -> Result<CashOutAck, RoundError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::CashOut {
                player,
                received,
                reply,
            })
            .await
            .map_err(|_| RoundError::Unavailable)?;
        answer.await.map_err(|_| RoundError::Unavailable)?
    }
}

async fn load_history(pool: &SqlitePool) -> Result<VecDeque<CrashHistoryItem>, sqlx::Error> {
    Ok(recent_crash_points(pool).await?.into_iter().collect())
}

/// The latest crash points, newest first (for pages rendered on the server).
pub async fn recent_crash_points(pool: &SqlitePool) -> Result<Vec<CrashHistoryItem>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, outcome FROM rounds WHERE game = 'crash' AND phase = 'ended' ORDER BY id DESC LIMIT ?")
        .bind(CRASH_HISTORY_ROUNDS as i64)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| CrashHistoryItem {
            id: RoundId(row.get("id")),
            crash_x100: row.get::<i64, _>("outcome") as u64,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

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
