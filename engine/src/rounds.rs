//! Shared rounds (crash, wheel): their hash chains and the recovery rule applied at start-up.
//!
//! Recovery: when the process stopped in the middle of a round, every cash-out that was
//! acknowledged is already settled in the ledger (a cash-out is acknowledged only after its
//! settlement committed), so on start-up each round still in `betting` or `running` has its
//! remaining open bets voided (stakes returned) and is marked `interrupted` in the same
//! transaction, with an audit-log entry. No round is left open and the ledger still sums to zero.

use crate::ledger::rounds::{BetOutcome, Game, RoundEnd, Settlement};
use crate::ledger::{Ledger, LedgerError};
use crate::store::now_ms;
use protocol::chain::{self, ChainHash};
use protocol::ids::{ChainId, RoundBetId, RoundId};
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
        let previous = if index == 0 { self.terminal } else { self.hashes[index - 1] };
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
        let (id, rounds, used): (i64, i64, i64) = (row.get("id"), row.get("rounds"), row.get("used"));
        if used < rounds {
            let seed = chain::parse_hash(&row.get::<String, _>("seed")).ok_or(RoundsError::BadChain(id))?;
            let (hashes, terminal) = chain::build(seed, rounds as usize);
            return Ok((Chain { id: ChainId(id), hashes, terminal, salt: row.get("salt") }, used + 1));
        }
    }
    let chain = match first_chain {
        Some((seed, length)) => create_chain_from(pool, game, length, seed, KNOWN_CHAIN_SALT).await?,
        None => create_chain(pool, game, CHAIN_ROUNDS).await?,
    };
    Ok((chain, 1))
}

/// Creates and stores a new chain for `game` with a random secret seed and salt.
pub async fn create_chain(pool: &SqlitePool, game: Game, rounds: usize) -> Result<Chain, RoundsError> {
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
    Ok(Chain { id: ChainId(id), hashes, terminal, salt })
}

/// What start-up recovery did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Rounds marked interrupted.
    pub rounds: Vec<RoundId>,
    /// Bets whose stakes were returned.
    pub refunded_bets: usize,
}

/// Applies the recovery rule to every round left open by a previous run.
pub async fn recover(pool: &SqlitePool, ledger: &Ledger) -> Result<Recovery, RoundsError> {
    let open_rounds = sqlx::query("SELECT id, game, number, phase FROM rounds WHERE phase IN ('betting', 'running') ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut recovery = Recovery::default();
    for round in open_rounds {
        let id = RoundId(round.get("id"));
        let bets: Vec<(RoundBetId, i64)> =
            sqlx::query("SELECT id, amount FROM round_bets WHERE round_id = ? AND status = 'open' ORDER BY id")
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
        let settlements = bets.iter().map(|(bet, _)| Settlement { bet: *bet, outcome: BetOutcome::Voided }).collect();
        ledger.settle(id, settlements, Some(RoundEnd::Interrupted { detail: detail.to_string() })).await?;
        tracing::warn!(round = id.0, refunded_bets = bets.len(), refunded_cents, "interrupted round recovered");
        recovery.rounds.push(id);
        recovery.refunded_bets += bets.len();
    }
    Ok(recovery)
}
