//! Wallet operations on a batch's working copy: opening a wallet with its signup grant, dice
//! bets (hold and settlement in one go), and the player's seed pair (client seed, rotation).

use super::idempotency::{scoped_key, KeyKind, KnownReceipt, StoredReceipt};
use super::results::{Adjustment, DiceReceipt, LedgerError, SeedChange, WalletSnapshot};
use super::rows::{BetRow, SeedFields, SeedRow, TxKind};
use super::work::{ActiveSeed, Event, PlayerState, Work, HOUSE, IN_PLAY, TREASURY};
use crate::leaderboard::Settled;
use protocol::dice::{self, DiceWager};
use protocol::dice::{DiceBetView, FeedBet};
use protocol::ids::{AccountId, SeedId};
use protocol::leaderboard::Scope;
use protocol::limits::SIGNUP_GRANT_CENTS;
use protocol::wire::RevealedSeed;
use protocol::{fair, BetId, Cents, PlayerId};
use rand::RngCore;

/// Default client seed of a new wallet.
const CLIENT_SEED_DEFAULT: &str = "zerolag";

/// What a dice command asked for; a reused key must ask for the same.
fn dice_fingerprint(wager: &DiceWager) -> String {
    format!("dice:{}:{}", wager.amount.0, wager.target)
}

impl Work<'_> {
    /// Changes the client seed only: the server seed and the nonce carry on.
    pub(super) fn set_client_seed(
        &mut self,
        player: PlayerId,
        client_seed: String,
    ) -> Result<SeedChange, LedgerError> {
        let state = self.player(player).ok_or(LedgerError::NoWallet)?;
        state.seed.client_seed = client_seed;
        let (id, seed) = (state.seed.id, state.seed.view());
        self.rows.set_client_seed(id, seed.client_seed.clone());
        Ok(SeedChange {
            seed,
            revealed: None,
        })
    }

    /// An operator's credit adjustment: the treasury pays the player (`amount` > 0) or takes
    /// from them (`amount` < 0, never below a zero balance).
    pub(super) fn adjust(
        &mut self,
        player: PlayerId,
        idem: String,
        amount: i64,
    ) -> Result<Adjustment, LedgerError> {
        let key = scoped_key(player, KeyKind::Adjust, &idem);
        let fingerprint = format!("adjust:{amount}");
        if let Some(known) = self.keys.get(&key) {
            return match &known.receipt {
                KnownReceipt::Adjustment(done) if known.fingerprint == fingerprint => {
                    Ok(Adjustment {
                        repeated: true,
                        ..*done
                    })
                }
                _ => Err(LedgerError::IdempotencyConflict),
            };
        }
        if amount == 0 {
            return Err(LedgerError::ZeroAdjustment);
        }
        let state = self.player(player).ok_or(LedgerError::NoWallet)?;
        if state.balance + amount < 0 {
            return Err(LedgerError::InsufficientFunds {
                balance: Cents(state.balance),
                needed: Cents(-amount),
            });
        }
        let account = state.account;
        let tx = self.new_tx(TxKind::Adjustment, player, None);
        self.post(tx, &[(TREASURY, -amount), (account, amount)]);
        let balance = Cents(self.players[&player].balance);
        let done = Adjustment {
            tx,
            balance,
            repeated: false,
        };
        let stored = StoredReceipt::Adjustment { tx, balance };
        let known = KnownReceipt::Adjustment(done);
        self.remember_key(key, fingerprint, stored, Some(known));
        self.events.push(Event::Balance { player });
        Ok(done)
    }

    pub(super) fn open_wallet(&mut self, player: PlayerId, username: String) -> WalletSnapshot {
        if let Some(state) = self.player(player) {
            return WalletSnapshot {
                balance: Cents(state.balance),
                seed: state.seed.view(),
            };
        }
        let account = AccountId(self.next.account.take());
        self.rows.accounts.push((account, player));
        let seed = self.new_seed(player, CLIENT_SEED_DEFAULT.to_owned());
        self.owners.insert(account, player);
        self.players.insert(
            player,
            PlayerState {
                account,
                username,
                balance: 0,
                seed,
                joined_ms: crate::store::now_ms(),
            },
        );
        let grant = SIGNUP_GRANT_CENTS.0;
        let tx = self.new_tx(TxKind::Grant, player, None);
        self.post(tx, &[(TREASURY, -grant), (account, grant)]);
        let key = scoped_key(player, KeyKind::Signup, "");
        let stored = StoredReceipt::Grant {
            amount: SIGNUP_GRANT_CENTS,
        };
        self.remember_key(key, "signup".into(), stored, None);
        self.events.push(Event::Balance { player });
        let state = &self.players[&player];
        WalletSnapshot {
            balance: Cents(state.balance),
            seed: state.seed.view(),
        }
    }

    pub(super) fn dice(
        &mut self,
        player: PlayerId,
        idem: String,
        wager: DiceWager,
    ) -> Result<DiceReceipt, LedgerError> {
        let key = scoped_key(player, KeyKind::Dice, &idem);
        let fingerprint = dice_fingerprint(&wager);
        if let Some(known) = self.keys.get(&key) {
            return match &known.receipt {
                KnownReceipt::Dice(receipt) if known.fingerprint == fingerprint => {
                    Ok(receipt.clone())
                }
                _ => Err(LedgerError::IdempotencyConflict),
            };
        }
        let (bet, seed_id, account, username) = self.roll_dice(player, &wager)?;
        self.post_dice(player, account, &bet);
        let (now_ms, roll, payout) = (self.now_ms, bet.roll, bet.payout);
        let balance = Cents(self.players[&player].balance);
        self.rows.bets.push(BetRow {
            player,
            seed: seed_id,
            view: bet.clone(),
            at_ms: now_ms,
        });
        let receipt = DiceReceipt {
            bet: bet.clone(),
            balance,
        };
        // The bet row holds the result; the key only needs to point at it.
        let stored = StoredReceipt::Dice {
            bet: bet.id,
            balance,
        };
        let known = KnownReceipt::Dice(receipt.clone());
        self.remember_key(key, fingerprint, stored, Some(known));
        self.events.push(Event::Balance { player });
        self.events.push(Event::Settled(Settled {
            player,
            username: username.clone(),
            scope: Scope::Dice,
            stake: bet.amount,
            payout,
        }));
        self.events.push(Event::DiceFeed(FeedBet {
            id: bet.id,
            username,
            amount: bet.amount,
            target: bet.target,
            roll,
            payout,
        }));
        Ok(receipt)
    }

    /// Draws the roll of the player's next nonce (checking the balance first) and advances the
    /// nonce; returns the bet, the seed it used, the player's account and username.
    fn roll_dice(
        &mut self,
        player: PlayerId,
        wager: &DiceWager,
    ) -> Result<(DiceBetView, SeedId, AccountId, String), LedgerError> {
        let bet_id = BetId(self.next.bet.peek());
        let state = self.player(player).ok_or(LedgerError::NoWallet)?;
        if state.balance < wager.amount.0 {
            return Err(LedgerError::InsufficientFunds {
                balance: Cents(state.balance),
                needed: wager.amount,
            });
        }
        let seed = &mut state.seed;
        let nonce = seed.next_nonce;
        let roll = dice::roll(&seed.server_seed, &seed.client_seed, nonce);
        seed.next_nonce += 1;
        let bet = DiceBetView {
            id: bet_id,
            amount: wager.amount,
            target: wager.target,
            roll,
            multiplier_x100: wager.multiplier_x100(),
            payout: wager.payout_for(roll),
            nonce,
            seed_commitment: seed.commitment.clone(),
            client_seed: seed.client_seed.clone(),
        };
        let found = (seed.id, state.account, state.username.clone());
        self.next.bet.take();
        Ok((bet, found.0, found.1, found.2))
    }

    /// A dice bet's two transactions: the hold, then its settlement.
    fn post_dice(&mut self, player: PlayerId, account: AccountId, bet: &DiceBetView) {
        let (stake, payout) = (bet.amount.0, bet.payout.0);
        let hold = self.new_tx(TxKind::BetHold, player, Some(bet.id));
        self.post(hold, &[(account, -stake), (IN_PLAY, stake)]);
        let settle = self.new_tx(TxKind::BetSettle, player, Some(bet.id));
        let entries = [
            (IN_PLAY, -stake),
            (HOUSE, stake - payout),
            (account, payout),
        ];
        self.post(settle, &entries);
    }

    pub(super) fn rotate(&mut self, player: PlayerId) -> Result<SeedChange, LedgerError> {
        let now_ms = self.now_ms;
        let old = self
            .player(player)
            .ok_or(LedgerError::NoWallet)?
            .seed
            .clone();
        self.rows.reveal_seed(old.id, now_ms, old.next_nonce);
        let fresh = self.new_seed(player, old.client_seed.clone());
        let seed = fresh.view();
        self.player(player).expect("loaded above").seed = fresh;
        let revealed = RevealedSeed {
            server_seed: old.server_seed,
            commitment: old.commitment,
            client_seed: old.client_seed,
            bets: old.next_nonce,
        };
        Ok(SeedChange {
            seed,
            revealed: Some(revealed),
        })
    }

    pub(super) fn new_seed(&mut self, player: PlayerId, client_seed: String) -> ActiveSeed {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let server_seed = hex::encode(bytes);
        let seed = ActiveSeed {
            id: SeedId(self.next.seed.take()),
            commitment: fair::seed_commitment(&server_seed),
            server_seed,
            client_seed,
            next_nonce: 0,
        };
        self.rows.seeds.push(SeedRow {
            player,
            seed: SeedFields {
                id: seed.id,
                server_seed: seed.server_seed.clone(),
                commitment: seed.commitment.clone(),
                client_seed: seed.client_seed.clone(),
            },
            created_ms: self.now_ms,
            revealed: None,
        });
        seed
    }
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::command::{apply, Op, Reply};
    use crate::ledger::work::{Ids, NextIds, OpenBet};
    use protocol::ids::RoundBetId;
    use std::collections::HashMap;

    const ALICE: PlayerId = PlayerId(1);
    static NO_OPEN_BETS: std::sync::LazyLock<HashMap<RoundBetId, OpenBet>> =
        std::sync::LazyLock::new(HashMap::new);

    fn cache_with(balance: i64) -> HashMap<PlayerId, PlayerState> {
        let server_seed = "ab".repeat(32);
        let seed = ActiveSeed {
            id: SeedId(1),
            commitment: fair::seed_commitment(&server_seed),
            server_seed,
            client_seed: "client".into(),
            next_nonce: 0,
        };
        let state = PlayerState {
            account: AccountId(10),
            username: "alice".into(),
            balance,
            seed,
            joined_ms: 0,
        };
        HashMap::from([(ALICE, state)])
    }

    fn work(cache: &HashMap<PlayerId, PlayerState>) -> Work<'_> {
        let system = HashMap::from([(TREASURY, -100_000), (HOUSE, 0), (IN_PLAY, 0)]);
        let next = NextIds {
            tx: Ids::from(1),
            bet: Ids::from(1),
            seed: Ids::from(2),
            account: Ids::from(11),
            round: Ids::from(1),
            round_bet: Ids::from(1),
        };
        Work::new(cache, system, next, HashMap::new(), &NO_OPEN_BETS, 0)
    }

    fn bet(idem: &str, amount: i64, target: u32) -> Op {
        Op::Dice {
            idem: idem.into(),
            wager: DiceWager::parse(Cents(amount), target).unwrap(),
        }
    }

    #[test]
    fn a_bet_posts_balanced_hold_and_settlement_entries() {
        let cache = cache_with(100_000);
        let mut work = work(&cache);
        let Ok(Reply::Dice(receipt)) = apply(&mut work, ALICE, bet("k", 1_000, 5_000)) else {
            panic!("bet refused")
        };
        assert_eq!(work.rows.txs.len(), 2);
        for tx in [1, 2] {
            let sum: i64 = work
                .rows
                .entries
                .iter()
                .filter(|e| e.tx == tx)
                .map(|e| e.amount)
                .sum();
            assert_eq!(sum, 0, "transaction {tx}");
        }
        let total: i64 = work.system.values().sum::<i64>() + work.players[&ALICE].balance;
        assert_eq!(total, 0, "the sum of all accounts stays zero");
        assert_eq!(receipt.balance.0, 100_000 - 1_000 + receipt.bet.payout.0);
        assert_eq!(
            work.system[&IN_PLAY], 0,
            "nothing stays in play after settlement"
        );
    }

    #[test]
    fn insufficient_funds_leaves_the_working_copy_untouched() {
        let cache = cache_with(500);
        let mut work = work(&cache);
        let refused = apply(&mut work, ALICE, bet("k", 501, 5_000));
        assert!(matches!(
            refused,
            Err(LedgerError::InsufficientFunds { .. })
        ));
        assert!(work.rows.is_empty());
        assert!(work.events.is_empty());
        assert_eq!(work.next.bet.peek(), 1);
    }

    #[test]
    fn a_key_reused_in_the_same_batch_replays_or_conflicts() {
        let cache = cache_with(100_000);
        let mut work = work(&cache);
        let Ok(Reply::Dice(first)) = apply(&mut work, ALICE, bet("k", 100, 5_000)) else {
            panic!()
        };
        let Ok(Reply::Dice(again)) = apply(&mut work, ALICE, bet("k", 100, 5_000)) else {
            panic!()
        };
        assert_eq!(first, again);
        assert_eq!(work.rows.bets.len(), 1);
        assert!(matches!(
            apply(&mut work, ALICE, bet("k", 200, 5_000)),
            Err(LedgerError::IdempotencyConflict)
        ));
    }

    #[test]
    fn nonces_advance_per_bet_and_restart_after_rotation() {
        let cache = cache_with(100_000);
        let mut work = work(&cache);
        for (i, expected) in [0, 1, 2].into_iter().enumerate() {
            let Ok(Reply::Dice(r)) = apply(&mut work, ALICE, bet(&format!("k{i}"), 100, 5_000))
            else {
                panic!()
            };
            assert_eq!(r.bet.nonce, expected);
        }
        let Ok(Reply::Seed(change)) = apply(&mut work, ALICE, Op::RotateSeed) else {
            panic!()
        };
        assert_eq!(change.revealed.unwrap().bets, 3);
        let Ok(Reply::Dice(r)) = apply(&mut work, ALICE, bet("after", 100, 5_000)) else {
            panic!()
        };
        assert_eq!(r.bet.nonce, 0);
        assert_eq!(r.bet.seed_commitment, change.seed.commitment);
    }
}
