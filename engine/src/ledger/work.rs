//! The writer's in-memory state and a batch's working copy of it ([`Work`]): balances, id
//! counters, the rows to write and the events to publish. Operations ([`super::wallet`],
//! [`super::rounds`]) apply commands to a `Work`; everything here is synchronous. The writer
//! persists what a `Work` recorded and only then adopts it.

use super::idempotency::{KnownKey, KnownReceipt, NewKey, StoredReceipt};
use super::rows::{EntryRow, Rows, TxKind, TxRow};
use crate::hub;
use protocol::dice::FeedBet;
use protocol::ids::{AccountId, RoundBetId, RoundId, SeedId};
use protocol::wire::SeedView;
use protocol::{BetId, Cents, PlayerId};
use std::collections::{HashMap, VecDeque};

/// The treasury mints grants.
pub const TREASURY: AccountId = AccountId(1);
/// The house takes losing stakes and pays wins.
pub const HOUSE: AccountId = AccountId(2);
/// Stakes between hold and settlement.
pub const IN_PLAY: AccountId = AccountId(3);

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
    pub(super) fn view(&self) -> SeedView {
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
    /// When the account was registered (Unix ms), for the risk engine.
    pub joined_ms: i64,
}

/// The ids a writer may hand out, by table.
#[derive(Clone, Debug, Default)]
pub struct NextIds {
    pub tx: Ids,
    pub bet: Ids,
    pub seed: Ids,
    pub account: Ids,
    pub round: Ids,
    pub round_bet: Ids,
}

impl NextIds {
    /// Whether a batch asked for more ids than were drawn (its work must be redone with more).
    pub fn short(&self) -> bool {
        self.each().iter().any(|ids| ids.short > 0)
    }

    /// Every table's ids, in the order of [`ID_TABLES`](super::writer::ID_TABLES).
    pub fn each(&self) -> [&Ids; 6] {
        [
            &self.tx,
            &self.bet,
            &self.seed,
            &self.account,
            &self.round,
            &self.round_bet,
        ]
    }

    pub fn each_mut(&mut self) -> [&mut Ids; 6] {
        [
            &mut self.tx,
            &mut self.bet,
            &mut self.seed,
            &mut self.account,
            &mut self.round,
            &mut self.round_bet,
        ]
    }
}

/// Ids of one table that no row has yet: on SQLite every id above the highest stored (one
/// writer owns the file); on PostgreSQL ranges drawn from the table's sequence, so that nodes
/// writing at once never hand out the same id.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    /// Half-open ranges, in the order they are handed out.
    ranges: VecDeque<(i64, i64)>,
    /// Ids asked for when none was left.
    short: u64,
}

impl Ids {
    /// Every id from `first` on.
    pub fn from(first: i64) -> Ids {
        Ids {
            ranges: VecDeque::from([(first, i64::MAX)]),
            short: 0,
        }
    }

    /// The id [`Ids::take`] would hand out next (0 when none is left).
    pub fn peek(&self) -> i64 {
        self.ranges.front().map_or(0, |range| range.0)
    }

    /// Hands out the next id. When none is left it counts the shortfall and returns 0, which
    /// is never written: the writer redoes the batch's work with more ids.
    pub fn take(&mut self) -> i64 {
        let Some(range) = self.ranges.front_mut() else {
            self.short += 1;
            return 0;
        };
        let id = range.0;
        range.0 += 1;
        if range.0 == range.1 {
            self.ranges.pop_front();
        }
        id
    }

    /// How many ids are left (saturating).
    pub fn left(&self) -> u64 {
        self.ranges.iter().fold(0u64, |n, (start, end)| {
            n.saturating_add((end - start) as u64)
        })
    }

    /// How many more ids the last batch needed than there were.
    pub fn shortfall(&self) -> u64 {
        self.short
    }

    /// Adds the ids `start..end` drawn from the database (joined to the last range when they
    /// follow it).
    pub fn add(&mut self, start: i64, end: i64) {
        match self.ranges.back_mut() {
            Some(last) if last.1 == start => last.1 = end,
            _ => self.ranges.push_back((start, end)),
        }
    }
}

/// An event to publish once the batch is durable.
pub enum Event {
    Balance {
        player: PlayerId,
    },
    DiceFeed(FeedBet),
    /// A bet was played out (won or lost; not voided): for the leaderboards.
    Settled(crate::leaderboard::Settled),
}

/// A batch's working copy: the players it touched, system balances, id counters, the rows to
/// write, the idempotency keys seen, and events to publish after commit.
pub struct Work<'a> {
    cache: &'a HashMap<PlayerId, PlayerState>,
    pub players: HashMap<PlayerId, PlayerState>,
    pub(super) owners: HashMap<AccountId, PlayerId>,
    pub system: HashMap<AccountId, i64>,
    pub next: NextIds,
    pub rows: Rows,
    pub keys: HashMap<String, KnownKey>,
    pub events: Vec<Event>,
    /// Round bets open before this batch (the writer's record).
    pub(super) open_bets: &'a HashMap<RoundBetId, OpenBet>,
    /// Round bets opened by this batch.
    pub opened_bets: HashMap<RoundBetId, OpenBet>,
    /// Round bets settled by this batch.
    pub settled_bets: std::collections::HashSet<RoundBetId>,
    pub(super) now_ms: i64,
}

/// A round bet whose stake is held until its round settles it (the writer's record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenBet {
    /// Whose.
    pub player: PlayerId,
    /// The round it belongs to.
    pub round: RoundId,
    /// Stake held.
    pub stake: Cents,
    /// The round's game.
    pub game: protocol::Game,
}

impl<'a> Work<'a> {
    pub fn new(
        cache: &'a HashMap<PlayerId, PlayerState>,
        system: HashMap<AccountId, i64>,
        next: NextIds,
        keys: HashMap<String, KnownKey>,
        open_bets: &'a HashMap<RoundBetId, OpenBet>,
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

    /// Stores a key with the command's effects; `known` also answers retries later in this batch.
    pub(super) fn remember_key(
        &mut self,
        scoped: String,
        fingerprint: String,
        receipt: StoredReceipt,
        known: Option<KnownReceipt>,
    ) {
        if let Some(receipt) = known {
            let key = KnownKey {
                fingerprint: fingerprint.clone(),
                receipt,
            };
            self.keys.insert(scoped.clone(), key);
        }
        let key = NewKey {
            scoped,
            fingerprint,
            receipt,
        };
        self.rows.idempotency.push((key, self.now_ms));
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
        let id = self.next.tx.take();
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

/// How many settled dice bets the public feed may still carry
/// ([`DICE_FEED_BETS_PER_SECOND`](crate::limits::DICE_FEED_BETS_PER_SECOND)).
pub type FeedBudget = governor::DefaultDirectRateLimiter;

/// The public feed's budget: [`crate::limits::DICE_FEED_BETS_PER_SECOND`], also as a burst.
pub fn feed_budget() -> FeedBudget {
    let rate = std::num::NonZeroU32::new(crate::limits::DICE_FEED_BETS_PER_SECOND)
        .expect("the feed carries bets");
    governor::RateLimiter::direct(governor::Quota::per_second(rate))
}

/// The public dice feed as the writer publishes it.
pub struct Feed {
    /// What it may still carry.
    pub budget: FeedBudget,
    /// Its latest bets, for pages.
    pub recent: crate::recent::RecentFeed,
    /// Where settled bets go (the leaderboards).
    pub settled: crate::leaderboard::Sink,
    /// Tells players their bets settled, and everyone the big wins.
    pub reporter: crate::notify::Reporter,
    /// Tells the risk engine what each bet returned.
    pub risk: crate::risk::Observer,
}

/// Events to publish for an applied batch, resolved against the adopted state. A settled dice
/// bet goes to the public feed (and its recent bets) while the feed's budget lasts; every
/// played-out bet goes to its player's tabs as a notification and to the leaderboards, the
/// batch's together.
pub fn publish(
    hub: &hub::Hub,
    events: Vec<Event>,
    players: &HashMap<PlayerId, PlayerState>,
    feed: &Feed,
) {
    let mut balance_sent = std::collections::HashSet::new();
    let mut settled = Vec::new();
    for event in events {
        match event {
            Event::Settled(bet) => {
                feed.reporter.report(&bet);
                feed.risk.observe(crate::risk::Signal::Settled {
                    player: bet.player,
                    stake: bet.stake.0,
                    payout: bet.payout.0,
                    joined_ms: players.get(&bet.player).map_or(0, |state| state.joined_ms),
                    at_ms: crate::store::now_ms(),
                });
                settled.push(bet);
            }
            Event::Balance { player } => {
                // One balance event per player per batch, with the final balance.
                if balance_sent.insert(player) {
                    if let Some(state) = players.get(&player) {
                        let balance = Cents(state.balance);
                        hub.publish(&hub::player_topic(player), |topic, seq, at_ms| {
                            protocol::ServerMsg::Balance {
                                topic,
                                seq,
                                at_ms,
                                balance,
                            }
                        });
                    }
                }
            }
            Event::DiceFeed(bet) => {
                if feed.budget.check().is_err() {
                    continue;
                }
                feed.recent.push(bet.clone());
                hub.publish(hub::DICE_FEED_TOPIC, |topic, seq, at_ms| {
                    protocol::ServerMsg::Dice(protocol::dice::Event::Feed {
                        topic,
                        seq,
                        at_ms,
                        bet,
                    })
                });
            }
        }
    }
    feed.settled.send(settled);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::DICE_FEED_BETS_PER_SECOND;
    use protocol::limits::FEED_BETS_SHOWN;
    use protocol::BetId;

    fn settled(id: i64) -> Event {
        Event::DiceFeed(FeedBet {
            id: BetId(id),
            username: "alice".into(),
            amount: Cents(100),
            target: 5_000,
            roll: 1_234,
            payout: Cents(198),
        })
    }

    #[tokio::test]
    async fn the_public_feed_carries_bets_only_while_its_budget_lasts() {
        let hub = hub::Hub::new();
        let (watcher, inbox) = hub.open_connection();
        hub.subscribe(hub::DICE_FEED_TOPIC, &watcher, None);
        // A budget that does not refill during the test: exactly the burst goes out.
        let burst = std::num::NonZeroU32::new(DICE_FEED_BETS_PER_SECOND).unwrap();
        let feed = Feed {
            budget: governor::RateLimiter::direct(governor::Quota::per_hour(burst)),
            recent: crate::recent::RecentFeed::new(Vec::new(), FEED_BETS_SHOWN),
            settled: crate::leaderboard::Sink::unheard(),
            reporter: crate::notify::Reporter::unheard(),
            risk: crate::risk::Observer::unheard(),
        };
        let many = DICE_FEED_BETS_PER_SECOND as i64 * 3;
        publish(
            &hub,
            (1..=many).map(settled).collect(),
            &HashMap::new(),
            &feed,
        );
        let frames = inbox.take();
        assert_eq!(frames.len(), DICE_FEED_BETS_PER_SECOND as usize);
        let last: serde_json::Value = serde_json::from_slice(frames.back().unwrap()).unwrap();
        assert_eq!(
            last["seq"], DICE_FEED_BETS_PER_SECOND,
            "the feed's seq has no gaps"
        );
        // Pages show the bets the live feed carried, the last one first.
        let shown = feed.recent.newest_first();
        assert_eq!(shown[0].id, BetId(DICE_FEED_BETS_PER_SECOND as i64));
    }
}
