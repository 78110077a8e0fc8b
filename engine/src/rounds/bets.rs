//! How a round game's task treats a bet command, the same way for every round game.
//!
//! The ledger is the one place that knows what an idempotency key did: a retried bet is
//! answered from its record (the original bet, in whatever round it was placed, and where it
//! stands now). The game's task only decides when to ask:
//! - a retry whose original hold is still in flight waits for that hold's answer
//!   ([`Waiting`]) and is then handled again, so it can never hold a second stake;
//! - a command the round cannot place (betting closed, a bet already in this round, the
//!   round's stake limit) may be a retry of an earlier bet, so the ledger is asked before the
//!   refusal is sent;
//! - a new bet is checked and held; if the ledger finds its key already used (a bet placed in
//!   an earlier round) it answers with that bet and holds nothing.

use super::{BetAck, RoundError};
use crate::ledger::rounds::{RoundBetReceipt, RoundBetRequest};
use crate::ledger::Ledger;
use crate::limits::ROUND_RETRIES_WAITING_MAX;
use protocol::PlayerId;
use tokio::sync::oneshot;

/// Where a bet command goes, given the player's bet in the current round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BetRoute {
    /// A retry of the player's bet whose hold is in flight: wait for its answer.
    Wait,
    /// A retry of the player's bet in this round: answer from the ledger's record.
    Replay,
    /// Anything else: check it as a new bet.
    Place,
}

/// Routes a bet command with key `idem`; `current` is the player's bet in this round (its key
/// and whether its hold is still in flight).
pub fn route(current: Option<(&str, bool)>, idem: &str) -> BetRoute {
    match current {
        Some((key, true)) if key == idem => BetRoute::Wait,
        Some((key, false)) if key == idem => BetRoute::Replay,
        _ => BetRoute::Place,
    }
}

/// Whether a refusal may hide a retry of a bet placed earlier (so the ledger is asked first).
pub fn may_be_retry(refusal: &RoundError) -> bool {
    matches!(
        refusal,
        RoundError::BettingClosed | RoundError::AlreadyBet | RoundError::RoundLimit { .. }
    )
}

impl From<RoundBetReceipt> for BetAck {
    fn from(receipt: RoundBetReceipt) -> BetAck {
        BetAck {
            round: receipt.round,
            balance: receipt.balance,
            status: receipt.status,
            payout: receipt.payout,
        }
    }
}

/// Answers a bet command from the ledger's record of its key, off the game's task: the
/// original bet if the key placed one, a conflict if it was used for something else, and
/// otherwise `refusal`. Holds nothing.
pub fn answer_from_ledger(
    ledger: &Ledger,
    player: PlayerId,
    request: RoundBetRequest,
    refusal: RoundError,
    reply: oneshot::Sender<Result<BetAck, RoundError>>,
) {
    let ledger = ledger.clone();
    tokio::spawn(async move {
        let answer = match ledger.find_round_bet(player, request).await {
            Ok(Some(receipt)) => Ok(receipt.into()),
            Ok(None) => Err(refusal),
            Err(error) => Err(error.into()),
        };
        let _ = reply.send(answer);
    });
}

/// Bet commands waiting for the same player's hold in flight, in arrival order.
pub struct Waiting<C> {
    commands: Vec<(PlayerId, C)>,
}

impl<C> Default for Waiting<C> {
    fn default() -> Self {
        Waiting {
            commands: Vec::new(),
        }
    }
}

impl<C> Waiting<C> {
    /// Keeps `command` until `player`'s hold is answered; gives it back when too many wait.
    pub fn add(&mut self, player: PlayerId, command: C) -> Result<(), C> {
        if self.commands.len() >= ROUND_RETRIES_WAITING_MAX {
            return Err(command);
        }
        self.commands.push((player, command));
        Ok(())
    }

    /// The commands that waited for `player`, in arrival order.
    pub fn take(&mut self, player: PlayerId) -> Vec<C> {
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.commands)
            .into_iter()
            .partition(|(p, _)| *p == player);
        self.commands = others;
        mine.into_iter().map(|(_, command)| command).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_waits_for_its_hold_then_is_replayed_and_other_keys_are_new_bets() {
        assert_eq!(route(None, "k"), BetRoute::Place);
        assert_eq!(route(Some(("k", true)), "k"), BetRoute::Wait);
        assert_eq!(route(Some(("k", false)), "k"), BetRoute::Replay);
        assert_eq!(route(Some(("k", true)), "other"), BetRoute::Place);
        assert_eq!(route(Some(("k", false)), "other"), BetRoute::Place);
    }

    #[test]
    fn waiting_commands_come_back_per_player_in_order() {
        let mut waiting = Waiting::default();
        for (player, command) in [(1, "a"), (2, "b"), (1, "c")] {
            waiting.add(PlayerId(player), command).unwrap();
        }
        assert_eq!(waiting.take(PlayerId(1)), vec!["a", "c"]);
        assert!(waiting.take(PlayerId(1)).is_empty());
        assert_eq!(waiting.take(PlayerId(2)), vec!["b"]);
    }
}
