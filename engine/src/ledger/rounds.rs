//! Ledger operations of shared rounds: opening a round, holding a bet's stake for the length of
//! the round, and settling bets (a cash-out, the round's end, or a refund when a round was
//! interrupted). Round phases are written by the same writer as the money, so a round's end
//! and its settlement commit together or not at all.

pub use super::results::RoundBetReceipt;

use super::idempotency::{scoped_key, KeyKind, KnownReceipt, StoredReceipt};
use super::results::LedgerError;
use super::rows::{RoundBetRow, RoundBetSettled, RoundRow, RoundUpdate, TxKind};
use super::work::{Event, OpenBet, Work, HOUSE, IN_PLAY};
use crate::leaderboard::Settled;
use protocol::ids::{ChainId, RoundBetId, RoundId};
use protocol::leaderboard::Scope;
use protocol::money::payout_cents;
use protocol::wire::RoundBetStatus;
use protocol::{Cents, PlayerId};

pub use protocol::Game;

/// A bet to place in a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundBetRequest {
    /// The game the bet is for.
    pub game: Game,
    /// The round (in its betting phase; the round's task checks that).
    pub round: RoundId,
    /// Idempotency key.
    pub idem: String,
    /// Stake.
    pub amount: Cents,
    /// What the bet chooses beyond its stake, in its game's own words (the ledger stores it
    /// and compares it on retries, and never reads it).
    pub choice: String,
}

impl RoundBetRequest {
    /// What the command asks for, to tell a retry from a different command under the same
    /// key. The round is not part of it: a retry in a later round is still the same command.
    fn fingerprint(&self) -> String {
        format!(
            "round:{}:{}:{}",
            self.game.as_str(),
            self.amount.0,
            self.choice
        )
    }
}

/// How a round bet ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BetOutcome {
    /// Paid out early at `multiplier_x100` (a crash cash-out).
    CashedOut {
        /// Multiplier in hundredths.
        multiplier_x100: u64,
    },
    /// Won at the round's end, paying `multiplier_x100` (a wheel segment that came up).
    Won {
        /// Multiplier in hundredths.
        multiplier_x100: u64,
    },
    /// The stake goes to the house.
    Lost,
    /// The stake goes back to the player (interrupted round).
    Voided,
}

/// One bet's settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// The bet.
    pub bet: RoundBetId,
    /// How it ended; the payout follows from it and the stake.
    pub outcome: BetOutcome,
}

/// What one settled bet paid (zero for a loss; the stake for a void).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payout {
    /// The bet.
    pub bet: RoundBetId,
    /// Whose it was.
    pub player: PlayerId,
    /// How it ended (a bet the game did not list is `Voided`).
    pub outcome: BetOutcome,
    /// Paid to the player.
    pub paid: Cents,
}

/// How a round finishes, written with its last settlements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundEnd {
    /// Played to the end: the revealed chain hash and the outcome (crash point x100 or slot).
    Ended {
        /// The round's chain hash, hex.
        hash: String,
        /// Crash point x100, or the wheel slot.
        outcome: i64,
    },
    /// Stopped by a restart; recorded in the audit log with `detail` (JSON).
    Interrupted {
        /// What happened, for the audit log.
        detail: String,
    },
    /// Already finished, but found with open bets at start-up: they are voided and the repair
    /// is recorded in the audit log with `detail` (JSON); the round keeps its phase.
    Repaired {
        /// What was found, for the audit log.
        detail: String,
    },
}

impl Work<'_> {
    pub(super) fn start_running(&mut self, round: RoundId) {
        self.rows.round_updates.push(RoundUpdate::Running {
            round,
            at_ms: self.now_ms,
        });
    }

    pub(super) fn open_round(&mut self, game: Game, chain: ChainId, number: i64) -> RoundId {
        let id = RoundId(self.next.round.take());
        self.rows.rounds.push(RoundRow {
            id,
            game: game.as_str(),
            chain,
            number,
            at_ms: self.now_ms,
        });
        id
    }

    fn open_bet(&self, bet: RoundBetId) -> Option<OpenBet> {
        if self.settled_bets.contains(&bet) {
            return None;
        }
        self.opened_bets
            .get(&bet)
            .or_else(|| self.open_bets.get(&bet))
            .copied()
    }

    pub(super) fn round_bet(
        &mut self,
        player: PlayerId,
        request: RoundBetRequest,
    ) -> Result<RoundBetReceipt, LedgerError> {
        if let Some(receipt) = self.find_round_bet(player, &request)? {
            return Ok(receipt);
        }
        let key = scoped_key(player, KeyKind::Round, &request.idem);
        let fingerprint = request.fingerprint();
        let now_ms = self.now_ms;
        let state = self.player(player).ok_or(LedgerError::NoWallet)?;
        if state.balance < request.amount.0 {
            return Err(LedgerError::InsufficientFunds {
                balance: Cents(state.balance),
                needed: request.amount,
            });
        }
        let account = state.account;
        let bet = RoundBetId(self.next.round_bet.take());
        self.rows.round_bets.push(RoundBetRow {
            id: bet,
            round: request.round,
            player,
            amount: request.amount.0,
            choice: request.choice.clone(),
            at_ms: now_ms,
        });
        let hold = self.new_tx_for(TxKind::BetHold, player, None, Some(bet));
        self.post(
            hold,
            &[(account, -request.amount.0), (IN_PLAY, request.amount.0)],
        );
        self.opened_bets.insert(
            bet,
            OpenBet {
                player,
                round: request.round,
                stake: request.amount,
                game: request.game,
            },
        );
        let receipt = RoundBetReceipt {
            bet,
            round: request.round,
            balance: Cents(self.players[&player].balance),
            status: RoundBetStatus::Open,
            payout: None,
            replayed: false,
        };
        let stored = StoredReceipt::Round {
            bet,
            balance: receipt.balance,
        };
        self.remember_key(key, fingerprint, stored, Some(KnownReceipt::Round(receipt)));
        self.events.push(Event::Balance { player });
        Ok(receipt)
    }

    /// The bet an earlier command with this key placed, as a replayed receipt; `None` when the
    /// key is new; a conflict when the key was used for a different command.
    pub(super) fn find_round_bet(
        &self,
        player: PlayerId,
        request: &RoundBetRequest,
    ) -> Result<Option<RoundBetReceipt>, LedgerError> {
        let key = scoped_key(player, KeyKind::Round, &request.idem);
        let Some(known) = self.keys.get(&key) else {
            return Ok(None);
        };
        match known.receipt {
            KnownReceipt::Round(receipt) if known.fingerprint == request.fingerprint() => {
                Ok(Some(RoundBetReceipt {
                    replayed: true,
                    ..receipt
                }))
            }
            _ => Err(LedgerError::IdempotencyConflict),
        }
    }

    /// Open bets of `round` other than those in `settling`: bets the ledger holds that the game
    /// did not settle. A round must never end with any (their stakes would stay in play).
    fn unsettled_bets(
        &self,
        round: RoundId,
        settling: &[(Settlement, OpenBet)],
    ) -> Vec<RoundBetId> {
        let mut left: Vec<RoundBetId> = self
            .open_bets
            .iter()
            .chain(self.opened_bets.iter())
            .filter(|(bet, open)| {
                open.round == round
                    && !self.settled_bets.contains(bet)
                    && !settling.iter().any(|(s, _)| s.bet == **bet)
            })
            .map(|(bet, _)| *bet)
            .collect();
        left.sort();
        left
    }

    /// Settles bets (all checked first: one bad settlement refuses the whole command) and
    /// optionally ends the round. Ending a round settles every bet the ledger holds for it: a
    /// bet the game did not list is voided (stake returned) and logged as an error.
    pub(super) fn settle(
        &mut self,
        round: RoundId,
        settlements: Vec<Settlement>,
        end: Option<RoundEnd>,
    ) -> Result<Vec<Payout>, LedgerError> {
        let mut checked = self.check_settlements(round, &settlements)?;
        if end.is_some() {
            checked.extend(self.void_unsettled(round, &checked)?);
        }
        let payouts = checked
            .into_iter()
            .map(|(settlement, open)| self.post_settlement(settlement, open))
            .collect();
        if let Some(end) = end {
            self.end_round(round, end);
        }
        Ok(payouts)
    }

    /// Each settlement's open bet, refusing bets that are not open in `round` or listed twice.
    fn check_settlements(
        &mut self,
        round: RoundId,
        settlements: &[Settlement],
    ) -> Result<Vec<(Settlement, OpenBet)>, LedgerError> {
        let mut checked: Vec<(Settlement, OpenBet)> = Vec::with_capacity(settlements.len());
        for settlement in settlements {
            let open = self
                .open_bet(settlement.bet)
                .ok_or(LedgerError::BetNotOpen)?;
            if open.round != round || checked.iter().any(|(s, _)| s.bet == settlement.bet) {
                return Err(LedgerError::BetNotOpen);
            }
            if self.player(open.player).is_none() {
                return Err(LedgerError::NoWallet);
            }
            checked.push((*settlement, open));
        }
        Ok(checked)
    }

    /// Voids, loudly, the bets of an ending round that its game did not settle.
    fn void_unsettled(
        &mut self,
        round: RoundId,
        checked: &[(Settlement, OpenBet)],
    ) -> Result<Vec<(Settlement, OpenBet)>, LedgerError> {
        let mut voids = Vec::new();
        for bet in self.unsettled_bets(round, checked) {
            let open = self.open_bet(bet).expect("listed from the open bets");
            if self.player(open.player).is_none() {
                return Err(LedgerError::NoWallet);
            }
            tracing::error!(
                round = round.0,
                bet = bet.0,
                player = open.player.0,
                stake = open.stake.0,
                "a round ended with a bet its game did not settle; voiding it"
            );
            let outcome = BetOutcome::Voided;
            voids.push((Settlement { bet, outcome }, open));
        }
        Ok(voids)
    }

    /// Posts one checked settlement: in_play gives the stake back, the house pays the rest.
    fn post_settlement(&mut self, settlement: Settlement, open: OpenBet) -> Payout {
        let stake = open.stake.0;
        let (status, multiplier, payout, kind) = match settlement.outcome {
            BetOutcome::CashedOut { multiplier_x100 } => (
                "cashed",
                Some(multiplier_x100),
                payout_cents(stake, multiplier_x100),
                TxKind::BetSettle,
            ),
            BetOutcome::Won { multiplier_x100 } => (
                "won",
                Some(multiplier_x100),
                payout_cents(stake, multiplier_x100),
                TxKind::BetSettle,
            ),
            BetOutcome::Lost => ("lost", None, 0, TxKind::BetSettle),
            BetOutcome::Voided => ("voided", None, stake, TxKind::BetVoid),
        };
        let account = self.players[&open.player].account;
        let tx = self.new_tx_for(kind, open.player, None, Some(settlement.bet));
        let entries = [
            (IN_PLAY, -stake),
            (HOUSE, stake - payout),
            (account, payout),
        ];
        self.post(tx, &entries);
        self.rows.round_bets_settled.push(RoundBetSettled {
            id: settlement.bet,
            round: open.round,
            player: open.player,
            status,
            multiplier_x100: multiplier.map(|m| m as i64),
            payout,
            at_ms: self.now_ms,
        });
        self.settled_bets.insert(settlement.bet);
        if status != "voided" {
            self.events.push(Event::Settled(Settled {
                player: open.player,
                username: self.players[&open.player].username.clone(),
                scope: Scope::of_game(open.game),
                stake: open.stake,
                payout: Cents(payout),
            }));
        }
        if payout > 0 {
            self.events.push(Event::Balance {
                player: open.player,
            });
        }
        Payout {
            bet: settlement.bet,
            player: open.player,
            outcome: settlement.outcome,
            paid: Cents(payout),
        }
    }

    /// Writes how the round finished.
    fn end_round(&mut self, round: RoundId, end: RoundEnd) {
        let at_ms = self.now_ms;
        match end {
            RoundEnd::Ended { hash, outcome } => self.rows.round_updates.push(RoundUpdate::Ended {
                round,
                phase: "ended",
                hash: Some(hash),
                outcome: Some(outcome),
                at_ms,
            }),
            RoundEnd::Interrupted { detail } => {
                self.rows.round_updates.push(RoundUpdate::Ended {
                    round,
                    phase: "interrupted",
                    hash: None,
                    outcome: None,
                    at_ms,
                });
                self.rows
                    .audit
                    .push(("round_interrupted".into(), detail, at_ms));
            }
            RoundEnd::Repaired { detail } => {
                self.rows
                    .audit
                    .push(("round_repaired".into(), detail, at_ms));
            }
        }
    }
}
