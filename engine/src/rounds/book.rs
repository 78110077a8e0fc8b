//! One round's bets, the same for every round game: each player's bet (placing, open, settling,
//! settled), the round's stake and payout totals, and the retries waiting for a hold.
//!
//! The ledger is the one place that knows what an idempotency key did: a retried bet is
//! answered from its record (the original bet, in whatever round it was placed, and where it
//! stands now). The book only decides when to ask ([`route`]):
//! - a retry whose original hold is still in flight waits for that hold's answer and is then
//!   handled again, so it can never hold a second stake;
//! - a command the round cannot place (betting closed, a bet already in this round, the
//!   round's stake limit) may be a retry of an earlier bet, so the ledger is asked before the
//!   refusal is sent ([`may_be_retry`]);
//! - a new bet is checked and held; if the ledger finds its key already used (a bet placed in
//!   an earlier round) it answers with that bet and holds nothing.

use super::{RoundBetAck, RoundError};
use crate::ledger::rounds::{BetOutcome, Payout, RoundBetReceipt};
use crate::limits::ROUND_RETRIES_WAITING_MAX;
use protocol::ids::RoundBetId;
use protocol::wire::PlayerView;
use protocol::{Cents, PlayerId};
use std::collections::HashMap;
use tokio::sync::oneshot;

/// Where a bet stands in its round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BetState {
    /// Its hold is in flight.
    Placing,
    /// Its stake is held.
    Open,
    /// An early settlement (a cash-out) is in flight.
    Settling,
    /// Settled: how it ended and what it paid.
    Settled {
        /// How it ended.
        outcome: BetOutcome,
        /// Paid to the player.
        paid: Cents,
    },
}

/// A player's bet in the round; `C` is what the game lets a bet choose.
#[derive(Debug, Clone)]
pub struct BookBet<C> {
    /// Its ledger id, once held.
    pub id: Option<RoundBetId>,
    /// The idempotency key it was placed with.
    pub idem: String,
    /// Who placed it, as everyone sees them.
    pub username: String,
    /// The stake.
    pub stake: Cents,
    /// The game's choice (crash: auto cash-out; wheel: segment).
    pub choice: C,
    /// Where it stands.
    pub state: BetState,
}

impl<C> BookBet<C> {
    /// The multiplier and payout of a bet paid at a multiplier; `None` otherwise.
    pub fn paid_at(&self) -> Option<(u64, Cents)> {
        match self.state {
            BetState::Settled {
                outcome:
                    BetOutcome::CashedOut { multiplier_x100 } | BetOutcome::Won { multiplier_x100 },
                paid,
            } => Some((multiplier_x100, paid)),
            _ => None,
        }
    }

    /// What it paid once settled (zero for a loss).
    pub fn paid(&self) -> Option<Cents> {
        match self.state {
            BetState::Settled { paid, .. } => Some(paid),
            _ => None,
        }
    }
}

/// A bet command waiting for the game's task.
pub struct BetCommand<C> {
    /// Who bets.
    pub player: PlayerView,
    /// Idempotency key.
    pub idem: String,
    /// Stake.
    pub amount: Cents,
    /// The game's choice.
    pub choice: C,
    /// Where the answer goes.
    pub reply: oneshot::Sender<Result<RoundBetAck, RoundError>>,
}

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

impl From<RoundBetReceipt> for RoundBetAck {
    fn from(receipt: RoundBetReceipt) -> RoundBetAck {
        RoundBetAck {
            round: receipt.round,
            balance: receipt.balance,
            status: receipt.status,
            payout: receipt.payout,
        }
    }
}

/// One round's bets.
pub struct Book<C> {
    bets: HashMap<PlayerId, BookBet<C>>,
    staked: i64,
    paid: i64,
    waiting: Vec<BetCommand<C>>,
}

impl<C> Default for Book<C> {
    fn default() -> Self {
        Book {
            bets: HashMap::new(),
            staked: 0,
            paid: 0,
            waiting: Vec::new(),
        }
    }
}

impl<C> Book<C> {
    /// The player's bet.
    pub fn get(&self, player: PlayerId) -> Option<&BookBet<C>> {
        self.bets.get(&player)
    }

    /// Every bet whose stake is held or settled (bets still being placed are not shown).
    pub fn placed(&self) -> impl Iterator<Item = &BookBet<C>> {
        self.bets.values().filter(|b| b.state != BetState::Placing)
    }

    /// Bets whose stakes are held and not being settled, by player.
    pub fn open(&self) -> impl Iterator<Item = (PlayerId, &BookBet<C>)> {
        self.bets
            .iter()
            .filter(|(_, b)| b.state == BetState::Open)
            .map(|(p, b)| (*p, b))
    }

    /// Stakes accepted in this round (held or being held).
    pub fn staked(&self) -> Cents {
        Cents(self.staked)
    }

    /// Paid out so far in this round.
    pub fn paid(&self) -> Cents {
        Cents(self.paid)
    }

    /// The player's bet key and whether its hold is in flight.
    pub(super) fn current(&self, player: PlayerId) -> Option<(&str, bool)> {
        self.bets
            .get(&player)
            .map(|b| (b.idem.as_str(), b.state == BetState::Placing))
    }

    /// Records a bet whose hold is being sent.
    pub(super) fn placing(&mut self, player: PlayerId, bet: BookBet<C>) {
        self.staked += bet.stake.0;
        self.bets.insert(player, bet);
    }

    /// The hold succeeded.
    pub(super) fn held(&mut self, player: PlayerId, id: RoundBetId) -> Option<&BookBet<C>> {
        let bet = self.bets.get_mut(&player)?;
        bet.id = Some(id);
        bet.state = BetState::Open;
        Some(bet)
    }

    /// Nothing was held (refused, or the key belonged to an earlier bet).
    pub(super) fn not_held(&mut self, player: PlayerId) {
        if let Some(bet) = self.bets.remove(&player) {
            self.staked -= bet.stake.0;
        }
    }

    /// Keeps a retry until the player's hold is answered; gives it back when too many wait.
    pub(super) fn wait(&mut self, command: BetCommand<C>) -> Result<(), BetCommand<C>> {
        if self.waiting.len() >= ROUND_RETRIES_WAITING_MAX {
            return Err(command);
        }
        self.waiting.push(command);
        Ok(())
    }

    /// The retries that waited for `player`'s hold, in arrival order.
    pub(super) fn waited(&mut self, player: PlayerId) -> Vec<BetCommand<C>> {
        let (mine, others) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|c| c.player.id == player);
        self.waiting = others;
        mine
    }

    /// Marks open bets as being settled early; returns their ledger ids (skipping bets that
    /// are not open).
    pub(super) fn settling(&mut self, players: &[(PlayerId, u64)]) -> Vec<(RoundBetId, u64)> {
        let mut ids = Vec::with_capacity(players.len());
        for (player, multiplier_x100) in players {
            if let Some(bet) = self.bets.get_mut(player) {
                if let (BetState::Open, Some(id)) = (bet.state, bet.id) {
                    bet.state = BetState::Settling;
                    ids.push((id, *multiplier_x100));
                }
            }
        }
        ids
    }

    /// An early settlement failed: the bets are open again.
    pub(super) fn reopen(&mut self, bets: &[RoundBetId]) {
        for bet in self.bets.values_mut() {
            if bet.state == BetState::Settling && bet.id.is_some_and(|id| bets.contains(&id)) {
                bet.state = BetState::Open;
            }
        }
    }

    /// Records what the ledger paid; returns the players whose bets settled.
    pub(super) fn settled(&mut self, payouts: &[Payout]) -> Vec<PlayerId> {
        let mut players = Vec::with_capacity(payouts.len());
        for payout in payouts {
            if let Some(bet) = self.bets.get_mut(&payout.player) {
                if bet.id == Some(payout.bet) {
                    bet.state = BetState::Settled {
                        outcome: payout.outcome,
                        paid: payout.paid,
                    };
                    self.paid += payout.paid.0;
                    players.push(payout.player);
                }
            }
        }
        players
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

    fn bet(stake: i64) -> BookBet<()> {
        BookBet {
            id: None,
            idem: "k".into(),
            username: "alice".into(),
            stake: Cents(stake),
            choice: (),
            state: BetState::Placing,
        }
    }

    #[test]
    fn stakes_count_while_placing_and_are_released_when_nothing_was_held() {
        let mut book = Book::default();
        book.placing(PlayerId(1), bet(300));
        book.placing(PlayerId(2), bet(200));
        assert_eq!(book.staked(), Cents(500));
        assert_eq!(book.placed().count(), 0, "bets being placed are not shown");
        book.not_held(PlayerId(2));
        book.held(PlayerId(1), RoundBetId(9));
        assert_eq!(book.staked(), Cents(300));
        assert_eq!(book.open().count(), 1);
    }

    #[test]
    fn an_early_settlement_pays_or_reopens_its_bets() {
        let mut book = Book::default();
        book.placing(PlayerId(1), bet(300));
        book.held(PlayerId(1), RoundBetId(9));
        assert_eq!(
            book.settling(&[(PlayerId(1), 250), (PlayerId(2), 250)]),
            vec![(RoundBetId(9), 250)]
        );
        assert!(book.settling(&[(PlayerId(1), 250)]).is_empty(), "once");
        book.reopen(&[RoundBetId(9)]);
        assert_eq!(book.open().count(), 1);
        book.settling(&[(PlayerId(1), 250)]);
        let outcome = BetOutcome::CashedOut {
            multiplier_x100: 250,
        };
        let payout = Payout {
            bet: RoundBetId(9),
            player: PlayerId(1),
            outcome,
            paid: Cents(750),
        };
        assert_eq!(book.settled(&[payout]), vec![PlayerId(1)]);
        assert_eq!(book.paid(), Cents(750));
        assert_eq!(
            book.get(PlayerId(1)).unwrap().paid_at(),
            Some((250, Cents(750)))
        );
    }
}
