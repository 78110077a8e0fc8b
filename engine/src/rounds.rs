//! Shared rounds (crash, wheel): their hash chains and the recovery rule applied at start-up.
//!
//! Recovery: when the process stopped in the middle of a round, every cash-out that was
//! acknowledged is already settled in the ledger (a cash-out is acknowledged only after its
//! settlement committed), so on start-up each round still in `betting` or `running` has its
//! remaining open bets voided (stakes returned) and is marked `interrupted` in the same
//! transaction, with an audit-log entry. No round is left open and the ledger still sums to zero.

pub mod bets;

use crate::ledger::rounds::{BetOutcome, Game, RoundEnd, Settlement};
use crate::ledger::{Ledger, LedgerError};
use crate::store::now_ms;
use protocol::chain::{self, ChainHash};
use protocol::ids::{ChainId, RoundBetId, RoundId};
use protocol::money::{check_stake, StakeError};
use protocol::wire::{ErrorCode, RoundBetStatus};
use protocol::Cents;
use rand::RngCore;
use sqlx::{Row, SqlitePool};

/// Rounds in one generated hash chain (about three weeks of crash rounds).
pub const CHAIN_ROUNDS: usize = 100_000;

/// Failure of a round-level operation.
#[derive(Debug, thiserror::Error)]
pub enum RoundsError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    /// The ledger refused or failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A stored chain could not be read back.
    #[error("stored hash chain {0} is unreadable")]
    BadChain(i64),
}

/// Why a round command (bet, cash-out) was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundError {
    /// Not in the betting window.
    #[error("betting is closed; wait for the next round")]
    BettingClosed,
    /// One bet per player per round.
    #[error("you already have a bet in this round")]
    AlreadyBet,
    /// Nothing to cash out.
    #[error("you have no bet in the running round")]
    NoBet,
    /// Cashed out already.
    #[error("you already cashed out")]
    AlreadyCashedOut,
    /// Too late.
    #[error("the round crashed before your cash-out arrived")]
    RoundCrashed,
    /// Stake outside the bet limits.
    #[error(transparent)]
    Stake(#[from] StakeError),
    /// Auto cash-out outside its range.
    #[error("auto cash-out must be from 1.01x to 10,000.00x")]
    InvalidAutoCashout,
    /// The round's stake limit would be exceeded.
    #[error("this round has only {remaining} of its stake limit left")]
    RoundLimit {
        /// What the round can still take.
        remaining: Cents,
    },
    /// The ledger refused or failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Too many retries are waiting for bets being placed; try again shortly.
    #[error("too many retries are waiting; try again shortly")]
    Busy,
    /// The game is not running (shutting down).
    #[error("the game is not available")]
    Unavailable,
}

impl RoundError {
    /// The wire error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            RoundError::BettingClosed => ErrorCode::BettingClosed,
            RoundError::AlreadyBet => ErrorCode::AlreadyBet,
            RoundError::NoBet => ErrorCode::NoBet,
            RoundError::AlreadyCashedOut => ErrorCode::AlreadyCashedOut,
            RoundError::RoundCrashed => ErrorCode::RoundCrashed,
            RoundError::Stake(stake) => (*stake).into(),
            RoundError::Busy => ErrorCode::RateLimited,
            RoundError::InvalidAutoCashout => ErrorCode::InvalidAutoCashout,
            RoundError::RoundLimit { .. } => ErrorCode::RoundLimit,
            RoundError::Ledger(LedgerError::InsufficientFunds { .. }) => {
                ErrorCode::InsufficientFunds
            }
            RoundError::Ledger(LedgerError::IdempotencyConflict) => ErrorCode::IdempotencyConflict,
            RoundError::Ledger(LedgerError::InvalidIdempotencyKey) => {
                ErrorCode::InvalidIdempotencyKey
            }
            RoundError::Ledger(_) | RoundError::Unavailable => ErrorCode::Internal,
        }
    }
}

/// A bet placed in a round (its stake held), or the original bet answering a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BetAck {
    /// The round the bet was placed in.
    pub round: RoundId,
    /// Balance right after the hold.
    pub balance: Cents,
    /// Where the bet stands (`Open` for a new bet).
    pub status: RoundBetStatus,
    /// What it paid, once settled.
    pub payout: Option<Cents>,
}

/// The checks every round game makes before holding a new bet: the window is `open`, the
/// player has no bet yet, the stake is within the bet limits and the round's stake limit.
pub fn check_new_bet(
    open: bool,
    already_bet: bool,
    amount: Cents,
    staked: i64,
    stake_limit: Cents,
) -> Result<(), RoundError> {
    if !open {
        return Err(RoundError::BettingClosed);
    }
    if already_bet {
        return Err(RoundError::AlreadyBet);
    }
    check_stake(amount)?;
    let remaining = stake_limit.0 - staked;
    if amount.0 > remaining {
        return Err(RoundError::RoundLimit {
            remaining: Cents(remaining),
        });
    }
    Ok(())
}

/// Runs `work` (a ledger call) off a game's task and hands its result back to the task as a
/// command, so the task keeps serving ticks and commands while the ledger commits.
pub fn spawn_and_report<C, T>(
    loopback: &tokio::sync::mpsc::WeakSender<C>,
    work: impl std::future::Future<Output = T> + Send + 'static,
    report: impl FnOnce(T) -> C + Send + 'static,
) where
    C: Send + 'static,
    T: Send + 'static,
{
    let loopback = loopback.clone();
    tokio::spawn(async move {
        let result = work.await;
        if let Some(task) = loopback.upgrade() {
            let _ = task.send(report(result)).await;
        }
    });
}

/// A game's hash chain, rebuilt in memory from its stored seed.
pub struct Chain {
    /// Its id.
    pub id: ChainId,
    /// Round hashes; element 0 is round 1's.
    pub hashes: Vec<ChainHash>,
    /// Published before round 1: the hash of round 1's hash.
    pub terminal: ChainHash,
    /// Public salt mixed into every outcome.
    pub salt: String,
}

impl Chain {
    /// Round `number`'s hash (from 1) and the hash it must link to (the previous round's, or
    /// the terminal hash for round 1).
    pub fn round(&self, number: i64) -> (ChainHash, ChainHash) {
        let index = (number - 1) as usize;
        let previous = if index == 0 {
            self.terminal
        } else {
            self.hashes[index - 1]
        };
        (self.hashes[index], previous)
    }
}

/// Salt of a chain created from a known seed (tests only; see [`resume_chain`]).
pub const KNOWN_CHAIN_SALT: &str = "known-seed-test-chain";

/// The game's current chain and the number of its next unused round; a new chain when there is
/// none or it is used up. `first_chain` (tests only) fixes the first chain's seed and length so
/// outcomes are known in advance; production passes `None` and gets a secret random seed.
pub async fn resume_chain(
    pool: &SqlitePool,
    game: Game,
    first_chain: Option<(ChainHash, usize)>,
) -> Result<(Chain, i64), RoundsError> {
    let stored = sqlx::query(
        "SELECT c.id, c.seed, c.salt, c.rounds, COALESCE((SELECT MAX(number) FROM rounds r WHERE r.chain_id = c.id), 0) AS used \
         FROM round_chains c WHERE c.game = ? ORDER BY c.id DESC LIMIT 1",
    )
    .bind(game.as_str())
    .fetch_optional(pool)
    .await?;
    if let Some(row) = stored {
        let (id, rounds, used): (i64, i64, i64) =
            (row.get("id"), row.get("rounds"), row.get("used"));
        if used < rounds {
            let seed = chain::parse_hash(&row.get::<String, _>("seed"))
                .ok_or(RoundsError::BadChain(id))?;
            let (hashes, terminal) = chain::build(seed, rounds as usize);
            return Ok((
                Chain {
                    id: ChainId(id),
                    hashes,
                    terminal,
                    salt: row.get("salt"),
                },
                used + 1,
            ));
        }
    }
    let chain = match first_chain {
        Some((seed, length)) => {
            create_chain_from(pool, game, length, seed, KNOWN_CHAIN_SALT).await?
        }
        None => create_chain(pool, game, CHAIN_ROUNDS).await?,
    };
    Ok((chain, 1))
}

/// Creates and stores a new chain for `game` with a random secret seed and salt.
pub async fn create_chain(
    pool: &SqlitePool,
    game: Game,
    rounds: usize,
) -> Result<Chain, RoundsError> {
    let mut seed = [0u8; 32];
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    rand::rngs::OsRng.fill_bytes(&mut salt);
    create_chain_from(pool, game, rounds, seed, &hex::encode(salt)).await
}

/// Creates and stores a chain from a given seed and salt (tests use known ones to know every
/// outcome in advance; production uses [`create_chain`]).
pub async fn create_chain_from(
    pool: &SqlitePool,
    game: Game,
    rounds: usize,
    seed: ChainHash,
    salt: &str,
) -> Result<Chain, RoundsError> {
    let salt = salt.to_owned();
    let (hashes, terminal) = chain::build(seed, rounds);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO round_chains (game, seed, terminal_hash, salt, rounds, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(game.as_str())
    .bind(hex::encode(seed))
    .bind(hex::encode(terminal))
    .bind(&salt)
    .bind(rounds as i64)
    .bind(now_ms())
    .fetch_one(pool)
    .await?;
    Ok(Chain {
        id: ChainId(id),
        hashes,
        terminal,
        salt,
    })
}

/// Finished rounds to show on `/fair`, per game.
pub const VERIFIABLE_ROUNDS_SHOWN: i64 = 20;

/// The latest finished rounds of `game` with their chain's commitment and salt, newest first.
pub async fn verifiable_rounds(
    pool: &SqlitePool,
    game: Game,
) -> Result<Vec<protocol::records::RoundRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id, r.number, r.hash, r.outcome, c.terminal_hash, c.salt FROM rounds r \
         JOIN round_chains c ON c.id = r.chain_id \
         WHERE r.game = ? AND r.phase = 'ended' ORDER BY r.id DESC LIMIT ?",
    )
    .bind(game.as_str())
    .bind(VERIFIABLE_ROUNDS_SHOWN)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| protocol::records::RoundRecord {
            game: game.as_str().to_owned(),
            id: RoundId(row.get("id")),
            number: row.get::<i64, _>("number") as u64,
            hash: row.get("hash"),
            outcome: row.get::<i64, _>("outcome") as u64,
            terminal_hash: row.get("terminal_hash"),
            salt: row.get("salt"),
        })
        .collect())
}

/// Every chain ever generated, newest first: their terminal hashes and salts are public.
pub async fn published_chains(
    pool: &SqlitePool,
) -> Result<Vec<protocol::records::ChainRecord>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT game, terminal_hash, salt, rounds FROM round_chains ORDER BY id DESC")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|row| protocol::records::ChainRecord {
            game: row.get("game"),
            terminal_hash: row.get("terminal_hash"),
            salt: row.get("salt"),
            rounds: row.get::<i64, _>("rounds") as u64,
        })
        .collect())
}

/// What start-up recovery did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Rounds marked interrupted.
    pub rounds: Vec<RoundId>,
    /// Bets whose stakes were returned.
    pub refunded_bets: usize,
    /// Open bets found in rounds that had already finished, voided (there should be none).
    pub repaired_bets: usize,
}

/// Open bets of rounds that have finished (ended or interrupted), by round. The invariant is
/// that there are none: a finished round's every bet is settled with its end.
pub async fn open_bets_in_finished_rounds(
    pool: &SqlitePool,
) -> Result<Vec<(RoundId, RoundBetId, Cents)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT b.round_id, b.id, b.amount FROM round_bets b JOIN rounds r ON r.id = b.round_id \
         WHERE b.status = 'open' AND r.phase IN ('ended', 'interrupted') ORDER BY b.round_id, b.id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                RoundId(row.get("round_id")),
                RoundBetId(row.get("id")),
                Cents(row.get("amount")),
            )
        })
        .collect())
}

/// Voids the open bets of finished rounds (the void rule: stakes returned), logging each
/// round loudly and recording it in the audit log. Returns how many bets it voided.
async fn repair_finished_rounds(pool: &SqlitePool, ledger: &Ledger) -> Result<usize, RoundsError> {
    let stray = open_bets_in_finished_rounds(pool).await?;
    let mut rounds: Vec<RoundId> = stray.iter().map(|(round, _, _)| *round).collect();
    rounds.dedup();
    for round in rounds {
        let bets: Vec<_> = stray.iter().filter(|(r, _, _)| *r == round).collect();
        let voided_cents: i64 = bets.iter().map(|(_, _, stake)| stake.0).sum();
        tracing::error!(
            round = round.0,
            open_bets = bets.len(),
            voided_cents,
            "a finished round still held open bets; voiding them"
        );
        let detail = serde_json::json!({
            "round": round.0,
            "voided_bets": bets.iter().map(|(_, bet, _)| bet.0).collect::<Vec<_>>(),
            "voided_cents": voided_cents,
            "rule": "a finished round holds no open bet; any found at start-up is voided",
        });
        let end = RoundEnd::Repaired {
            detail: detail.to_string(),
        };
        // Ending a round settles every bet the ledger holds for it: these are voided.
        ledger.settle(round, Vec::new(), Some(end)).await?;
    }
    Ok(stray.len())
}

/// Applies the recovery rule to every round left open by a previous run, then checks that no
/// finished round holds an open bet (repairing any it finds).
pub async fn recover(pool: &SqlitePool, ledger: &Ledger) -> Result<Recovery, RoundsError> {
    let open_rounds = sqlx::query("SELECT id, game, number, phase FROM rounds WHERE phase IN ('betting', 'running') ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut recovery = Recovery::default();
    for round in open_rounds {
        let id = RoundId(round.get("id"));
        let bets: Vec<(RoundBetId, i64)> = sqlx::query(
            "SELECT id, amount FROM round_bets WHERE round_id = ? AND status = 'open' ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|row| (RoundBetId(row.get("id")), row.get("amount")))
        .collect();
        let refunded_cents: i64 = bets.iter().map(|(_, amount)| amount).sum();
        let detail = serde_json::json!({
            "round": id.0,
            "game": round.get::<String, _>("game"),
            "number": round.get::<i64, _>("number"),
            "phase": round.get::<String, _>("phase"),
            "refunded_bets": bets.len(),
            "refunded_cents": refunded_cents,
            "rule": "acknowledged cash-outs stand; open bets are voided",
        });
        let settlements = bets
            .iter()
            .map(|(bet, _)| Settlement {
                bet: *bet,
                outcome: BetOutcome::Voided,
            })
            .collect();
        ledger
            .settle(
                id,
                settlements,
                Some(RoundEnd::Interrupted {
                    detail: detail.to_string(),
                }),
            )
            .await?;
        tracing::warn!(
            round = id.0,
            refunded_bets = bets.len(),
            refunded_cents,
            "interrupted round recovered"
        );
        recovery.rounds.push(id);
        recovery.refunded_bets += bets.len();
    }
    recovery.repaired_bets = repair_finished_rounds(pool, ledger).await?;
    Ok(recovery)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_bet_is_checked_against_window_player_limits_and_round_limit() {
        let limit = Cents(10_000);
        assert_eq!(check_new_bet(true, false, Cents(100), 0, limit), Ok(()));
        assert_eq!(
            check_new_bet(false, false, Cents(100), 0, limit),
            Err(RoundError::BettingClosed)
        );
        assert_eq!(
            check_new_bet(true, true, Cents(100), 0, limit),
            Err(RoundError::AlreadyBet)
        );
        assert_eq!(
            check_new_bet(true, false, Cents(0), 0, limit),
            Err(RoundError::Stake(StakeError::TooSmall))
        );
        assert_eq!(
            check_new_bet(true, false, Cents(-1), 0, limit)
                .unwrap_err()
                .code(),
            ErrorCode::BetTooSmall
        );
        let too_large = Cents(protocol::limits::BET_CENTS_MAX.0 + 1);
        assert_eq!(
            check_new_bet(true, false, too_large, 0, Cents(i64::MAX)),
            Err(RoundError::Stake(StakeError::TooLarge))
        );
        assert_eq!(
            check_new_bet(true, false, Cents(100), 9_950, limit),
            Err(RoundError::RoundLimit {
                remaining: Cents(50)
            })
        );
        assert_eq!(check_new_bet(true, false, Cents(50), 9_950, limit), Ok(()));
    }
}
