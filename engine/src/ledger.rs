//! The wallet ledger: exact, double-entry, idempotent, with one writer and group commit.
//!
//! Callers hold a cheap [`Ledger`] handle and send commands to the single writer task
//! ([`writer`]). The writer takes every command waiting in its queue (up to
//! [`LEDGER_BATCH_COMMANDS_MAX`]), applies them in order to a working copy of its in-memory
//! balances ([`state`]), writes all their rows in one `BEGIN IMMEDIATE` transaction ([`rows`]),
//! and only after `COMMIT` returns does it publish the new balances to its cache, answer every
//! caller and publish events. In-memory balances are therefore never ahead of the database.
//!
//! Money moves in ledger transactions whose entries sum to zero: a dice bet is a hold (player ->
//! in_play) followed by its settlement (in_play -> house, house -> player for a win).

pub mod rounds;
mod rows;
mod state;
mod writer;

use crate::hub::Hub;
use crate::limits::{LEDGER_BATCH_COMMANDS_MAX, LEDGER_QUEUE_COMMANDS_MAX};
use crate::store::Store;
use protocol::dice::{DiceError, DiceWager};
use protocol::ids::{ChainId, RoundId};
use protocol::limits::{CLIENT_SEED_BYTES_MAX, IDEMPOTENCY_KEY_BYTES_MAX};
use protocol::wire::{DiceBetView, RevealedSeed, SeedView};
use protocol::{Cents, PlayerId};
use rounds::{Game, RoundBetReceipt, RoundBetRequest, RoundEnd, Settlement};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// Expected ways a ledger command fails. Every one of them leaves the ledger as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The available balance is smaller than the stake.
    #[error("insufficient funds: balance {balance}, needed {needed}")]
    InsufficientFunds {
        /// Balance at the time.
        balance: Cents,
        /// Amount the command needed.
        needed: Cents,
    },
    /// The wager itself is out of range.
    #[error(transparent)]
    Dice(#[from] DiceError),
    /// The client seed is empty, too long or not printable ASCII.
    #[error("client seed must be 1 to {CLIENT_SEED_BYTES_MAX} printable characters")]
    InvalidSeed,
    /// The idempotency key is empty or too long.
    #[error("idempotency key must be 1 to {IDEMPOTENCY_KEY_BYTES_MAX} printable characters")]
    InvalidIdempotencyKey,
    /// The key was already used for a command with different content.
    #[error("this idempotency key was already used for a different command")]
    IdempotencyConflict,
    /// The player has no wallet.
    #[error("no wallet for this player")]
    NoWallet,
    /// The round bet is not open (unknown, already settled, or of another round).
    #[error("that bet is not open in this round")]
    BetNotOpen,
    /// The writer is not running (shutting down).
    #[error("the ledger is not available")]
    Unavailable,
    /// The database refused the batch; nothing was written.
    #[error("storage error; nothing was changed")]
    Storage,
}

/// A settled dice bet and the balance right after it; also what a retry with the same
/// idempotency key returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiceReceipt {
    /// The bet as its player sees it.
    pub bet: DiceBetView,
    /// Balance after settlement.
    pub balance: Cents,
}

/// Balance and seed pair of a player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletSnapshot {
    /// Available balance.
    pub balance: Cents,
    /// Seed pair for the next bet.
    pub seed: SeedView,
}

/// Result of a seed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedChange {
    /// Seed pair now in use.
    pub seed: SeedView,
    /// The server seed revealed by a rotation.
    pub revealed: Option<RevealedSeed>,
}

enum Op {
    OpenWallet {
        username: String,
    },
    Dice {
        idem: String,
        wager: DiceWager,
    },
    SetClientSeed {
        client_seed: String,
    },
    RotateSeed,
    Snapshot,
    OpenRound {
        game: Game,
        chain: ChainId,
        number: i64,
    },
    StartRunning {
        round: RoundId,
    },
    RoundBet(RoundBetRequest),
    FindRoundBet(RoundBetRequest),
    Settle {
        round: RoundId,
        settlements: Vec<Settlement>,
        end: Option<RoundEnd>,
    },
}

enum Reply {
    Snapshot(WalletSnapshot),
    Dice(DiceReceipt),
    Seed(SeedChange),
    Round(RoundId),
    RoundBet(RoundBetReceipt),
    FoundRoundBet(Option<RoundBetReceipt>),
    Done,
}

struct Request {
    player: PlayerId,
    op: Op,
    reply: oneshot::Sender<Result<Reply, LedgerError>>,
}

/// Handle to the ledger writer. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Ledger {
    requests: mpsc::Sender<Request>,
}

impl Ledger {
    /// Starts the writer task on its own connection and returns the handle.
    pub async fn start(store: &Store, hub: Hub) -> Result<Ledger, sqlx::Error> {
        let (requests, queue) = mpsc::channel(LEDGER_QUEUE_COMMANDS_MAX);
        let writer = writer::Writer::open(store, hub).await?;
        tokio::spawn(writer.run(queue, LEDGER_BATCH_COMMANDS_MAX));
        Ok(Ledger { requests })
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

    /// Settles round bets and, with `end`, closes the round, in one transaction.
    pub async fn settle(
        &self,
        round: RoundId,
        settlements: Vec<Settlement>,
        end: Option<RoundEnd>,
    ) -> Result<(), LedgerError> {
        self.call(
            SYSTEM,
            Op::Settle {
                round,
                settlements,
                end,
            },
        )
        .await
        .map(|_| ())
    }

    /// The player's committed balance and seed pair.
    pub async fn snapshot(&self, player: PlayerId) -> Result<WalletSnapshot, LedgerError> {
        match self.call(player, Op::Snapshot).await? {
            Reply::Snapshot(snapshot) => Ok(snapshot),
            _ => unreachable!("snapshot answers with a snapshot"),
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
