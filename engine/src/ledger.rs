//! The wallet ledger: exact, double-entry, idempotent, with one writer and group commit.
//!
//! Callers hold a cheap [`Ledger`] handle and send commands to the single writer, on its own thread
//! ([`writer`]). The writer takes every command waiting in its queue (up to
//! [`LEDGER_BATCH_COMMANDS_MAX`]), applies them in order to a working copy of its in-memory
//! balances, writes all their rows in one `BEGIN IMMEDIATE` transaction, and only after `COMMIT`
//! returns does it adopt the new balances, answer every caller and publish events. In-memory
//! balances are therefore never ahead of the database.
//!
//! Modules, in the one direction their imports go:
//! - `results` and `rows` (leaves): what commands return; the rows a batch writes and the
//!   statements that write them.
//! - `idempotency`: scoped keys and typed receipts of money-moving commands.
//! - `work`: the writer's in-memory state and a batch's working copy of it.
//! - `wallet` and [`rounds`]: the operations, each applying a command to a working copy.
//! - `command`: the commands the writer runs and their dispatch to the operations.
//! - `writer`: the single writer (batching, commit, adopt, answer, publish), and `checkpoint`,
//!   which keeps its WAL small.
//! - `reads`: committed balances and seed pairs read straight from the database, so pages and
//!   connection snapshots never wait behind a group commit.
//!
//! Money moves in ledger transactions whose entries sum to zero: a dice bet is a hold (player ->
//! in_play) followed by its settlement (in_play -> house, house -> player for a win).

mod checkpoint;
mod command;
mod idempotency;
mod pg;
mod reads;
mod results;
pub mod rounds;
pub(crate) mod rows;
mod wallet;
mod work;
mod writer;

pub use checkpoint::WAL_FILE_BYTES_KEPT;
pub use results::{
    Adjustment, DiceReceipt, LedgerError, RoundBetReceipt, SeedChange, WalletSnapshot,
};

use crate::hub::Hub;
use crate::limits::{LEDGER_BATCH_COMMANDS_MAX, LEDGER_QUEUE_COMMANDS_MAX};
use crate::recent::RecentFeed;
use crate::store::Store;
use command::{Op, Reply, Request};
use protocol::dice::DiceWager;
use protocol::ids::{ChainId, RoundId};
use protocol::limits::{CLIENT_SEED_BYTES_MAX, IDEMPOTENCY_KEY_BYTES_MAX};
use protocol::{Cents, PlayerId};
use rounds::{Game, Payout, RoundBetRequest, RoundEnd, Settlement};
use tokio::sync::{mpsc, oneshot};

/// Handle to the ledger writer. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Ledger {
    requests: mpsc::Sender<Request>,
    /// The database, for reads that need not go through the writer.
    reads: sqlx::AnyPool,
    /// Where the writer tells the risk engine what each bet returned; the round games tell it
    /// what they hold and pay early too.
    risk: crate::risk::Observer,
}

/// Where a writer publishes what it committed, beyond the hub: the public feed's latest bets,
/// the leaderboards and the notifications.
pub struct Published {
    /// The feed's latest bets, for pages.
    pub recent: RecentFeed,
    /// The leaderboards' sink of settled bets.
    pub settled: crate::leaderboard::Sink,
    /// Tells players their bets settled, and everyone the big wins.
    pub reporter: crate::notify::Reporter,
    /// Tells the risk engine what each bet returned.
    pub risk: crate::risk::Observer,
}

impl Ledger {
    /// Starts the writer on its own connection and thread, and returns the handle.
    ///
    /// The writer runs on a thread of its own, not as a task among the connections': each of
    /// a batch's statements is a hand-off to SQLite's worker thread and back, and as a task
    /// the writer waited behind every ready connection task for each of them (at 5,000 bets/s,
    /// p99 100 ms from the bet to its ack; docs/benchmarks.md). It ends when the last handle is
    /// dropped. A panic in it stops the process: money could not move any more, and a
    /// supervisor restarting the server (which recovers from the database) beats a server that
    /// answers every command with `unavailable` while looking healthy.
    /// With `export`, every batch also writes the events it commits into the export outbox
    /// (`crate::export`), in the same transaction. What it commits is published as
    /// `published` says.
    pub async fn start(
        store: &Store,
        hub: Hub,
        published: Published,
        export: bool,
    ) -> Result<Ledger, sqlx::Error> {
        let (requests, queue) = mpsc::channel(LEDGER_QUEUE_COMMANDS_MAX);
        let risk = published.risk.clone();
        let writer = writer::Writer::open(store, hub, published, export).await?;
        std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        // The queue closes with this thread: every command gets `unavailable`.
                        tracing::error!(%error, "cannot start the ledger writer's runtime");
                        return;
                    }
                };
                let run = std::panic::AssertUnwindSafe(|| {
                    runtime.block_on(writer.run(queue, LEDGER_BATCH_COMMANDS_MAX))
                });
                if std::panic::catch_unwind(run).is_err() {
                    tracing::error!("the ledger writer panicked; stopping the server");
                    std::process::abort();
                }
            })
            .map_err(sqlx::Error::Io)?;
        Ok(Ledger {
            requests,
            reads: store.pool().clone(),
            risk,
        })
    }

    /// Where to tell the risk engine what players do.
    pub fn risk(&self) -> &crate::risk::Observer {
        &self.risk
    }

    async fn call(&self, player: PlayerId, op: Op) -> Result<Reply, LedgerError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { player, op, reply })
            .await
            .map_err(|_| LedgerError::Unavailable)?;
        answer.await.map_err(|_| LedgerError::Unavailable)?
    }

    /// Creates the player's wallet with its signup grant and first server seed, once; later
    /// calls return the current snapshot. The grant is idempotent under the key `signup`.
    pub async fn open_wallet(
        &self,
        player: PlayerId,
        username: &str,
    ) -> Result<WalletSnapshot, LedgerError> {
        match self
            .call(
                player,
                Op::OpenWallet {
                    username: username.to_owned(),
                },
            )
            .await?
        {
            Reply::Snapshot(snapshot) => Ok(snapshot),
            _ => unreachable!("open_wallet answers with a snapshot"),
        }
    }

    /// Places and settles a dice bet, durably, before answering.
    pub async fn dice_bet(
        &self,
        player: PlayerId,
        idempotency_key: &str,
        amount: Cents,
        target: u32,
    ) -> Result<DiceReceipt, LedgerError> {
        check_idempotency_key(idempotency_key)?;
        let wager = DiceWager::parse(amount, target)?;
        let op = Op::Dice {
            idem: idempotency_key.to_owned(),
            wager,
        };
        match self.call(player, op).await? {
            Reply::Dice(receipt) => Ok(receipt),
            _ => unreachable!("dice_bet answers with a receipt"),
        }
    }

    /// An operator's credit adjustment against the treasury (`amount` may be negative, never
    /// below a zero balance), durably, before answering. The same key and amount again
    /// return the first result.
    pub async fn adjust(
        &self,
        player: PlayerId,
        idempotency_key: &str,
        amount: Cents,
    ) -> Result<Adjustment, LedgerError> {
        check_idempotency_key(idempotency_key)?;
        let op = Op::Adjust {
            idem: idempotency_key.to_owned(),
            amount: amount.0,
        };
        match self.call(player, op).await? {
            Reply::Adjusted(done) => Ok(done),
            _ => unreachable!("adjust answers with an adjustment"),
        }
    }

    /// Sets the client seed used from the next bet on.
    pub async fn set_client_seed(
        &self,
        player: PlayerId,
        client_seed: &str,
    ) -> Result<SeedChange, LedgerError> {
        check_client_seed(client_seed)?;
        let op = Op::SetClientSeed {
            client_seed: client_seed.to_owned(),
        };
        match self.call(player, op).await? {
            Reply::Seed(change) => Ok(change),
            _ => unreachable!("set_client_seed answers with a seed change"),
        }
    }

    /// Reveals the current server seed and commits to a new one.
    pub async fn rotate_seed(&self, player: PlayerId) -> Result<SeedChange, LedgerError> {
        match self.call(player, Op::RotateSeed).await? {
            Reply::Seed(change) => Ok(change),
            _ => unreachable!("rotate_seed answers with a seed change"),
        }
    }

    /// Opens round `number` of `chain`, in its betting phase.
    pub async fn open_round(
        &self,
        game: Game,
        chain: ChainId,
        number: i64,
    ) -> Result<RoundId, LedgerError> {
        match self
            .call(
                SYSTEM,
                Op::OpenRound {
                    game,
                    chain,
                    number,
                },
            )
            .await?
        {
            Reply::Round(round) => Ok(round),
            _ => unreachable!("open_round answers with a round"),
        }
    }

    /// Records that a round's betting closed and play started.
    pub async fn start_running(&self, round: RoundId) -> Result<(), LedgerError> {
        self.call(SYSTEM, Op::StartRunning { round })
            .await
            .map(|_| ())
    }

    /// Holds a round bet's stake, durably, before answering. A key already used answers with
    /// the original bet (`replayed`, wherever it stands now) and holds nothing.
    pub async fn round_bet(
        &self,
        player: PlayerId,
        request: RoundBetRequest,
    ) -> Result<RoundBetReceipt, LedgerError> {
        check_idempotency_key(&request.idem)?;
        match self.call(player, Op::RoundBet(request)).await? {
            Reply::RoundBet(receipt) => Ok(receipt),
            _ => unreachable!("round_bet answers with a receipt"),
        }
    }

    /// The bet an earlier `round_bet` with the same key placed (in any round), with where it
    /// stands now; `None` if the key is unused; [`LedgerError::IdempotencyConflict`] if it was
    /// used for a different command. Holds nothing.
    pub async fn find_round_bet(
        &self,
        player: PlayerId,
        request: RoundBetRequest,
    ) -> Result<Option<RoundBetReceipt>, LedgerError> {
        check_idempotency_key(&request.idem)?;
        match self.call(player, Op::FindRoundBet(request)).await? {
            Reply::FoundRoundBet(found) => Ok(found),
            _ => unreachable!("find_round_bet answers with what it found"),
        }
    }

    /// Settles round bets and, with `end`, closes the round, in one transaction; returns what
    /// each bet paid. Ending a round also voids every bet of it that `settlements` left open.
    pub async fn settle(
        &self,
        round: RoundId,
        settlements: Vec<Settlement>,
        end: Option<RoundEnd>,
    ) -> Result<Vec<Payout>, LedgerError> {
        let op = Op::Settle {
            round,
            settlements,
            end,
        };
        match self.call(SYSTEM, op).await? {
            Reply::Settled(payouts) => Ok(payouts),
            _ => unreachable!("settle answers with the payouts"),
        }
    }

    /// The player's committed balance and seed pair, read from the database without waiting
    /// for the writer.
    pub async fn snapshot(&self, player: PlayerId) -> Result<WalletSnapshot, LedgerError> {
        match reads::snapshot(&self.reads, player).await {
            Ok(Some(snapshot)) => Ok(snapshot),
            Ok(None) => Err(LedgerError::NoWallet),
            Err(error) => {
                tracing::error!(%error, %player, "reading a wallet snapshot failed");
                Err(LedgerError::Storage)
            }
        }
    }
}

/// The caller of commands that belong to no single player (round lifecycle).
const SYSTEM: PlayerId = PlayerId(0);

fn is_printable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

fn check_idempotency_key(key: &str) -> Result<(), LedgerError> {
    if key.is_empty() || key.len() > IDEMPOTENCY_KEY_BYTES_MAX || !is_printable_ascii(key) {
        return Err(LedgerError::InvalidIdempotencyKey);
    }
    Ok(())
}

fn check_client_seed(seed: &str) -> Result<(), LedgerError> {
    if seed.trim().is_empty() || seed.len() > CLIENT_SEED_BYTES_MAX || !is_printable_ascii(seed) {
        return Err(LedgerError::InvalidSeed);
    }
    Ok(())
}
