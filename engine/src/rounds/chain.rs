//! Hash chains: each round game draws its outcomes from a reverse SHA-256 chain whose terminal
//! hash and salt are published before its first round, so every outcome is fixed in advance.

use super::RoundsError;
use crate::store::now_ms;
use protocol::chain::{self, ChainHash};
use protocol::ids::{ChainId, RoundId};
use protocol::Game;
use rand::RngCore;
use sqlx::{AnyPool, Row};

/// Rounds in one generated hash chain (about three weeks of crash rounds).
pub const CHAIN_ROUNDS: usize = 100_000;

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
    pool: &AnyPool,
    game: Game,
    first_chain: Option<(ChainHash, usize)>,
) -> Result<(Chain, i64), RoundsError> {
    let stored = sqlx::query(
        "SELECT c.id, c.seed, c.salt, c.rounds, COALESCE((SELECT MAX(number) FROM rounds r WHERE r.chain_id = c.id), 0) AS used \
         FROM round_chains c WHERE c.game = $1 ORDER BY c.id DESC LIMIT 1",
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
pub async fn create_chain(pool: &AnyPool, game: Game, rounds: usize) -> Result<Chain, RoundsError> {
    let mut seed = [0u8; 32];
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    rand::rngs::OsRng.fill_bytes(&mut salt);
    create_chain_from(pool, game, rounds, seed, &hex::encode(salt)).await
}

/// Creates and stores a chain from a given seed and salt (tests use known ones to know every
/// outcome in advance; production uses [`create_chain`]).
pub async fn create_chain_from(
    pool: &AnyPool,
    game: Game,
    rounds: usize,
    seed: ChainHash,
    salt: &str,
) -> Result<Chain, RoundsError> {
    let salt = salt.to_owned();
    let (hashes, terminal) = chain::build(seed, rounds);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO round_chains (game, seed, terminal_hash, salt, rounds, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
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
    pool: &AnyPool,
    game: Game,
) -> Result<Vec<protocol::records::RoundRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id, r.number, r.hash, r.outcome, c.terminal_hash, c.salt FROM rounds r \
         JOIN round_chains c ON c.id = r.chain_id \
         WHERE r.game = $1 AND r.phase = 'ended' ORDER BY r.id DESC LIMIT $2",
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
    pool: &AnyPool,
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

/// The outcomes of a game's latest ended rounds, newest first: (round, outcome).
pub async fn recent_outcomes(
    pool: &AnyPool,
    game: Game,
    rounds: usize,
) -> Result<Vec<(RoundId, u64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, outcome FROM rounds WHERE game = $1 AND phase = 'ended' ORDER BY id DESC LIMIT $2",
    )
    .bind(game.as_str())
    .bind(rounds as i64)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (RoundId(row.get("id")), row.get::<i64, _>("outcome") as u64))
        .collect())
}
