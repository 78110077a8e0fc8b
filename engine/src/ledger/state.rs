//! The writer's in-memory state and the rules that apply one command to a working copy of it.
//! Everything here is synchronous and pure apart from random seed generation; the writer
//! persists what [`Work`] recorded and only then adopts it.

use super::rows::{BetRow, EntryRow, Rows, SeedRow, TxKind, TxRow};
use super::{DiceReceipt, LedgerError, Op, Reply, SeedChange, WalletSnapshot};
use crate::hub;
use protocol::dice::{self, DiceWager};
use protocol::ids::{AccountId, RoundBetId, SeedId};
use protocol::limits::SIGNUP_GRANT_CENTS;
use protocol::wire::{DiceBetView, FeedBet, RevealedSeed, SeedView};
use protocol::{fair, BetId, Cents, PlayerId};
use rand::RngCore;
use std::collections::HashMap;

/// The treasury mints grants.
pub const TREASURY: AccountId = AccountId(1);
/// The house takes losing stakes and pays wins.
pub const HOUSE: AccountId = AccountId(2);
/// Stakes between hold and settlement.
pub const IN_PLAY: AccountId = AccountId(3);

/// Default client seed of a new wallet.
const CLIENT_SEED_DEFAULT: &str = "zerolag";

/// A player's server seed that is committed but not yet revealed.
#[derive(Clone, Debug)]
pub struct ActiveSeed {
    pub id: SeedId,
    pub server_seed: String,
    pub commitment: String,
    pub client_seed: String,
    pub next_nonce: u64,
}

impl ActiveSeed {
    fn view(&self) -> SeedView {
        SeedView {
            commitment: self.commitment.clone(),
            client_seed: self.client_seed.clone(),
            next_nonce: self.next_nonce,
        }
    }
}

/// What the writer knows of one player.
#[derive(Clone, Debug)]
pub struct PlayerState {
    pub account: AccountId,
    pub username: String,
    pub balance: i64,
    pub seed: ActiveSeed,
}

/// Id counters: the single writer assigns every ledger id itself.
#[derive(Clone, Copy, Debug)]
pub struct NextIds {
    pub tx: i64,
    pub bet: i64,
    pub seed: i64,
    pub account: i64,
    pub round: i64,
    pub round_bet: i64,
}

/// An event to publish once the batch is durable.
pub enum Event {
    Balance { player: PlayerId },
    DiceFeed(FeedBet),
}

/// A batch's working copy: the players it touched, system balances, id counters, the rows to
/// write, the idempotency keys seen, and events to publish after commit.
pub struct Work<'a> {
    cache: &'a HashMap<PlayerId, PlayerState>,
    pub players: HashMap<PlayerId, PlayerState>,
    owners: HashMap<AccountId, PlayerId>,
    pub system: HashMap<AccountId, i64>,
    pub next: NextIds,
    pub rows: Rows,
    pub keys: HashMap<String, KnownKey>,
    pub events: Vec<Event>,
    /// Round bets open before this batch (the writer's record).
    pub(super) open_bets: &'a HashMap<RoundBetId, super::rounds::OpenBet>,
    /// Round bets opened by this batch.
    pub opened_bets: HashMap<RoundBetId, super::rounds::OpenBet>,
    /// Round bets settled by this batch.
    pub settled_bets: std::collections::HashSet<RoundBetId>,
    pub(super) now_ms: i64,
}

impl<'a> Work<'a> {
    pub fn new(
        cache: &'a HashMap<PlayerId, PlayerState>,
        system: HashMap<AccountId, i64>,
        next: NextIds,
        keys: HashMap<String, KnownKey>,
        open_bets: &'a HashMap<RoundBetId, super::rounds::OpenBet>,
        now_ms: i64,
    ) -> Work<'a> {
        Work {
            cache,
            players: HashMap::new(),
            owners: HashMap::new(),
            system,
            next,
            rows: Rows::default(),
            keys,
            events: Vec::new(),
            open_bets,
            opened_bets: HashMap::new(),
            settled_bets: std::collections::HashSet::new(),
            now_ms,
        }
    }

    pub(super) fn player(&mut self, id: PlayerId) -> Option<&mut PlayerState> {
        if !self.players.contains_key(&id) {
            let state = self.cache.get(&id)?.clone();
            self.owners.insert(state.account, id);
            self.players.insert(id, state);
        }
        self.players.get_mut(&id)
    }

    /// Applies one command. On error nothing in the working copy has changed.
    pub fn apply(&mut self, player: PlayerId, op: Op) -> Result<Reply, LedgerError> {
        match op {
            Op::OpenWallet { username } => Ok(Reply::Snapshot(self.open_wallet(player, username))),
            Op::Snapshot => {
                let state = self.player(player).ok_or(LedgerError::NoWallet)?;
                Ok(Reply::Snapshot(WalletSnapshot {
                    balance: Cents(state.balance),
                    seed: state.seed.view(),
                }))
            }
            Op::Dice { idem, wager } => self.dice(player, idem, wager).map(Reply::Dice),
            Op::SetClientSeed { client_seed } => {
                let state = self.player(player).ok_or(LedgerError::NoWallet)?;
                state.seed.client_seed = client_seed;
                let (id, seed) = (state.seed.id, state.seed.view());
                self.rows.set_client_seed(id, seed.client_seed.clone());
                Ok(Reply::Seed(SeedChange {
                    seed,
                    revealed: None,
                }))
            }
            Op::RotateSeed => self.rotate(player).map(Reply::Seed),
            Op::OpenRound {
                game,
                chain,
                number,
            } => Ok(Reply::Round(self.open_round(game, chain, number))),
            Op::StartRunning { round } => {
                self.rows
                    .round_updates
                    .push(super::rows::RoundUpdate::Running {
                        round,
                        at_ms: self.now_ms,
                    });
                Ok(Reply::Done)
            }
            Op::RoundBet(bet) => self.round_bet(player, bet).map(Reply::RoundBet),
            Op::FindRoundBet(bet) => self.find_round_bet(player, &bet).map(Reply::FoundRoundBet),
            Op::Settle {
                round,
                settlements,
                end,
            } => self.settle(round, settlements, end).map(|()| Reply::Done),
        }
    }

    fn open_wallet(&mut self, player: PlayerId, username: String) -> WalletSnapshot {
        if let Some(state) = self.player(player) {
            return WalletSnapshot {
                balance: Cents(state.balance),
                seed: state.seed.view(),
            };
        }
        let account = AccountId(self.next.account);
        self.next.account += 1;
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
            },
        );
        let grant = SIGNUP_GRANT_CENTS.0;
        let tx = self.new_tx(TxKind::Grant, player, None);
        self.post(tx, &[(TREASURY, -grant), (account, grant)]);
        let key = scoped_key(player, "signup", "");
        self.rows
            .idempotency
            .push((key, "signup".into(), grant.to_string(), self.now_ms));
        self.events.push(Event::Balance { player });
        let state = &self.players[&player];
        WalletSnapshot {
            balance: Cents(state.balance),
            seed: state.seed.view(),
        }
    }

    fn dice(
        &mut self,
        player: PlayerId,
        idem: String,
        wager: DiceWager,
    ) -> Result<DiceReceipt, LedgerError> {
        let key = scoped_key(player, "dice", &idem);
        let fingerprint = dice_fingerprint(&wager);
        if let Some(known) = self.keys.get(&key) {
            return match &known.receipt {
                KnownReceipt::Dice(receipt) if known.fingerprint == fingerprint => {
                    Ok(receipt.clone())
                }
                _ => Err(LedgerError::IdempotencyConflict),
            };
        }
        let now_ms = self.now_ms;
        let bet_id = BetId(self.next.bet);
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
        let payout = wager.payout_for(roll);
        let (account, username) = (state.account, state.username.clone());
        let bet = DiceBetView {
            id: bet_id,
            amount: wager.amount,
            target: wager.target,
            roll,
            multiplier_x100: wager.multiplier_x100(),
            payout,
            nonce,
            seed_commitment: seed.commitment.clone(),
            client_seed: seed.client_seed.clone(),
        };
        let seed_id = seed.id;
        self.next.bet += 1;
        let hold = self.new_tx(TxKind::BetHold, player, Some(bet.id));
        self.post(
            hold,
            &[(account, -wager.amount.0), (IN_PLAY, wager.amount.0)],
        );
        let settle = self.new_tx(TxKind::BetSettle, player, Some(bet.id));
        let house_net = wager.amount.0 - payout.0;
        self.post(
            settle,
            &[
                (IN_PLAY, -wager.amount.0),
                (HOUSE, house_net),
                (account, payout.0),
            ],
        );
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
        let stored = dice_result_ref(bet.id, balance);
        self.rows
            .idempotency
            .push((key.clone(), fingerprint.clone(), stored, now_ms));
        self.keys.insert(
            key,
            KnownKey {
                fingerprint,
                receipt: KnownReceipt::Dice(receipt.clone()),
            },
        );
        self.events.push(Event::Balance { player });
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

    fn rotate(&mut self, player: PlayerId) -> Result<SeedChange, LedgerError> {
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

    fn new_seed(&mut self, player: PlayerId, client_seed: String) -> ActiveSeed {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let server_seed = hex::encode(bytes);
        let seed = ActiveSeed {
            id: SeedId(self.next.seed),
            commitment: fair::seed_commitment(&server_seed),
            server_seed,
            client_seed,
            next_nonce: 0,
        };
        self.next.seed += 1;
        self.rows.seeds.push(SeedRow {
            player,
            seed: seed.clone(),
            created_ms: self.now_ms,
            revealed: None,
        });
        seed
    }

    pub(super) fn new_tx(&mut self, kind: TxKind, player: PlayerId, bet: Option<BetId>) -> i64 {
        self.new_tx_for(kind, player, bet, None)
    }

    pub(super) fn new_tx_for(
        &mut self,
        kind: TxKind,
        player: PlayerId,
        bet: Option<BetId>,
        round_bet: Option<RoundBetId>,
    ) -> i64 {
        let id = self.next.tx;
        self.next.tx += 1;
        self.rows.txs.push(TxRow {
            id,
            kind,
            player,
            bet,
            round_bet,
            at_ms: self.now_ms,
        });
        id
    }

    /// Records a transaction's entries and moves the balances. Entries must sum to zero.
    pub(super) fn post(&mut self, tx: i64, entries: &[(AccountId, i64)]) {
        assert_eq!(
            entries.iter().map(|(_, amount)| amount).sum::<i64>(),
            0,
            "unbalanced ledger transaction"
        );
        for &(account, amount) in entries {
            if amount == 0 {
                continue;
            }
            self.rows.entries.push(EntryRow {
                tx,
                account,
                amount,
            });
            let balance = if let Some(balance) = self.system.get_mut(&account) {
                balance
            } else {
                let owner = self.owners[&account];
                &mut self
                    .players
                    .get_mut(&owner)
                    .expect("owners index loaded players")
                    .balance
            };
            *balance += amount;
            self.rows.balances.insert(account, *balance);
        }
    }
}

/// An idempotency key already used, with what it produced.
pub struct KnownKey {
    /// What the original command asked for.
    pub fingerprint: String,
    /// What it returned.
    pub receipt: KnownReceipt,
}

/// The original result of a money-moving command.
#[derive(Clone)]
pub enum KnownReceipt {
    /// A dice bet.
    Dice(DiceReceipt),
    /// A round bet.
    Round(super::rounds::RoundBetReceipt),
}

/// The idempotency table's key: client keys are unique per player and command kind.
pub fn scoped_key(player: PlayerId, kind: &str, key: &str) -> String {
    format!("{player}:{kind}:{key}")
}

/// The command kind of a key made by [`scoped_key`] (player ids have no `:`; client keys may).
pub fn scoped_key_kind(scoped: &str) -> Option<&str> {
    scoped.splitn(3, ':').nth(1)
}

/// What a dice command asked for; a reused key must ask for the same.
pub fn dice_fingerprint(wager: &DiceWager) -> String {
    format!("dice:{}:{}", wager.amount.0, wager.target)
}

/// The stored result of a dice command: the bet id and the balance right after it.
pub fn dice_result_ref(bet: BetId, balance: Cents) -> String {
    format!("{}:{}", bet.0, balance.0)
}

/// Parses [`dice_result_ref`].
pub fn parse_dice_result_ref(text: &str) -> Option<(BetId, Cents)> {
    let (bet, balance) = text.split_once(':')?;
    Some((BetId(bet.parse().ok()?), Cents(balance.parse().ok()?)))
}

/// Events to publish for an applied batch, resolved against the adopted state.
pub fn publish(hub: &hub::Hub, events: Vec<Event>, players: &HashMap<PlayerId, PlayerState>) {
    let mut balance_sent = std::collections::HashSet::new();
    for event in events {
        match event {
            Event::Balance { player } => {
                // One balance event per player per batch, with the final balance.
                if balance_sent.insert(player) {
                    if let Some(state) = players.get(&player) {
                        let balance = Cents(state.balance);
                        hub.publish(&hub::player_topic(player), |topic, seq| {
                            protocol::ServerMsg::Balance {
                                topic,
                                seq,
                                balance,
                            }
                        });
                    }
                }
            }
            Event::DiceFeed(bet) => {
                hub.publish(hub::DICE_FEED_TOPIC, |topic, seq| {
                    protocol::ServerMsg::DiceFeed { topic, seq, bet }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Op;

    const ALICE: PlayerId = PlayerId(1);
    static NO_OPEN_BETS: std::sync::LazyLock<HashMap<RoundBetId, crate::ledger::rounds::OpenBet>> =
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
        };
        HashMap::from([(ALICE, state)])
    }

    fn work(cache: &HashMap<PlayerId, PlayerState>) -> Work<'_> {
        let system = HashMap::from([(TREASURY, -100_000), (HOUSE, 0), (IN_PLAY, 0)]);
        let next = NextIds {
            tx: 1,
            bet: 1,
            seed: 2,
            account: 11,
            round: 1,
            round_bet: 1,
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
        let Ok(Reply::Dice(receipt)) = work.apply(ALICE, bet("k", 1_000, 5_000)) else {
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
        let refused = work.apply(ALICE, bet("k", 501, 5_000));
        assert!(matches!(
            refused,
            Err(LedgerError::InsufficientFunds { .. })
        ));
        assert!(work.rows.is_empty());
        assert!(work.events.is_empty());
        assert_eq!(work.next.bet, 1);
    }

    #[test]
    fn a_key_reused_in_the_same_batch_replays_or_conflicts() {
        let cache = cache_with(100_000);
        let mut work = work(&cache);
        let Ok(Reply::Dice(first)) = work.apply(ALICE, bet("k", 100, 5_000)) else {
            panic!()
        };
        let Ok(Reply::Dice(again)) = work.apply(ALICE, bet("k", 100, 5_000)) else {
            panic!()
        };
        assert_eq!(first, again);
        assert_eq!(work.rows.bets.len(), 1);
        assert!(matches!(
            work.apply(ALICE, bet("k", 200, 5_000)),
            Err(LedgerError::IdempotencyConflict)
        ));
    }

    #[test]
    fn nonces_advance_per_bet_and_restart_after_rotation() {
        let cache = cache_with(100_000);
        let mut work = work(&cache);
        for (i, expected) in [0, 1, 2].into_iter().enumerate() {
            let Ok(Reply::Dice(r)) = work.apply(ALICE, bet(&format!("k{i}"), 100, 5_000)) else {
                panic!()
            };
            assert_eq!(r.bet.nonce, expected);
        }
        let Ok(Reply::Seed(change)) = work.apply(ALICE, Op::RotateSeed) else {
            panic!()
        };
        assert_eq!(change.revealed.unwrap().bets, 3);
        let Ok(Reply::Dice(r)) = work.apply(ALICE, bet("after", 100, 5_000)) else {
            panic!()
        };
        assert_eq!(r.bet.nonce, 0);
        assert_eq!(r.bet.seed_commitment, change.seed.commitment);
    }
}
