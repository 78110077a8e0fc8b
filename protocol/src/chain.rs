//! Reverse hash chains for shared rounds (bustabit style). The operator draws one secret seed,
//! hashes it repeatedly, and plays the hashes in reverse order: round 1 uses the last hash made,
//! round 2 the one before it, and so on. Only the terminal hash (the hash of round 1's hash) is
//! published up front. Each revealed round hash then proves itself, since hashing it gives the
//! previous round's hash, and nobody, the operator included, can choose a future outcome.
//!
//! Every round's outcome is `HMAC-SHA256(key = salt, message = round hash as hex)`, where the
//! salt is a public value fixed after the terminal hash was published (so the operator could not
//! have searched for a favourable chain).

use crate::fair::hmac_sha256;
use sha2::{Digest, Sha256};

/// A 32-byte chain hash.
pub type ChainHash = [u8; 32];

/// SHA-256 of a chain hash: one step towards the terminal hash.
pub fn previous(hash: &ChainHash) -> ChainHash {
    Sha256::digest(hash).into()
}

/// Builds a chain of `rounds` hashes from `seed`; element 0 is round 1's hash. Also returns the
/// terminal hash to publish. Memory: 32 bytes per round.
pub fn build(seed: ChainHash, rounds: usize) -> (Vec<ChainHash>, ChainHash) {
    let mut chain = Vec::with_capacity(rounds);
    let mut hash = seed;
    for _ in 0..rounds {
        chain.push(hash);
        hash = previous(&hash);
    }
    chain.reverse();
    (chain, hash)
}

/// Whether `hash` is the round that follows `earlier` in the chain (`earlier` is the terminal
/// hash for round 1).
pub fn links_to(hash: &ChainHash, earlier: &ChainHash) -> bool {
    previous(hash) == *earlier
}

/// Whether `hash` is round `number` (from 1) of the chain committed to by `terminal`: hashing
/// it `number` times must give the terminal hash.
pub fn is_round_of(hash: &ChainHash, number: u64, terminal: &ChainHash) -> bool {
    let mut current = *hash;
    for _ in 0..number {
        current = previous(&current);
    }
    current == *terminal
}

/// The outcome bytes of a round: HMAC-SHA256 keyed with the public salt over the round hash in
/// lowercase hex.
pub fn outcome_bytes(salt: &str, hash: &ChainHash) -> [u8; 32] {
    hmac_sha256(salt.as_bytes(), hex::encode(hash).as_bytes())
}

/// Parses a 64-character hex chain hash.
pub fn parse_hash(text: &str) -> Option<ChainHash> {
    let bytes = hex::decode(text.trim()).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_round_hash_links_back_to_the_terminal_hash() {
        let (chain, terminal) = build([7u8; 32], 50);
        assert!(links_to(&chain[0], &terminal));
        for pair in chain.windows(2) {
            assert!(links_to(&pair[1], &pair[0]));
            assert!(!links_to(&pair[0], &pair[1]));
        }
        // The seed itself is the last round's hash.
        assert_eq!(chain[49], [7u8; 32]);
    }

    #[test]
    fn a_round_hash_proves_its_position_in_the_chain() {
        let (chain, terminal) = build([4u8; 32], 20);
        assert!(is_round_of(&chain[0], 1, &terminal));
        assert!(is_round_of(&chain[12], 13, &terminal));
        assert!(!is_round_of(&chain[12], 12, &terminal));
        assert!(!is_round_of(&[0u8; 32], 13, &terminal));
    }

    #[test]
    fn chain_vectors_are_stable() {
        let (chain, terminal) = build([0u8; 32], 3);
        // SHA-256 of 32 zero bytes, a published test value.
        assert_eq!(
            hex::encode(chain[1]),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
        assert_eq!(hex::encode(chain[2]), "0".repeat(64));
        assert!(links_to(&chain[0], &terminal));
        assert_eq!(parse_hash(&hex::encode(terminal)), Some(terminal));
        assert_eq!(parse_hash("zz"), None);
    }
}
