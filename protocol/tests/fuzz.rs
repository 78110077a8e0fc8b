//! Fuzzing in stable Rust (property-based): the fairness verifiers never panic on arbitrary
//! input, and answer what docs/protocol.md and the /fair page say. A bounded number of cases
//! runs in `make test`. (Commands are fuzzed over the real server: server/tests/fuzz.rs.)

use proptest::prelude::*;
use protocol::{chain, dice, fair};

/// Cases per property in `make test`.
const CASES: u32 = 512;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// The dice verifier answers for any seeds, nonce and roll: it accepts exactly the roll the
    /// seeds give, under their commitment.
    #[test]
    fn the_dice_verifier_accepts_exactly_the_seeds_roll(
        server_seed in any::<String>(),
        client_seed in any::<String>(),
        nonce in any::<u64>(),
        recorded in any::<u32>(),
        other_commitment in any::<String>(),
    ) {
        let commitment = fair::seed_commitment(&server_seed);
        let roll = dice::roll(&server_seed, &client_seed, nonce);
        let verified = dice::verify(&server_seed, &commitment, &client_seed, nonce, recorded);
        prop_assert_eq!(verified.is_ok(), recorded == roll);
        if other_commitment != commitment {
            let refused = dice::verify(&server_seed, &other_commitment, &client_seed, nonce, roll);
            prop_assert!(refused.is_err());
        }
    }

    /// A chain hash parses from exactly 64 hex digits (spaces around allowed), and anything else
    /// is refused without a panic.
    #[test]
    fn chain_hashes_parse_from_64_hex_digits_only(text in any::<String>(), bytes in any::<[u8; 32]>()) {
        let parsed = chain::parse_hash(&text);
        let trimmed = text.trim();
        let hex = trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit());
        prop_assert_eq!(parsed.is_some(), hex);
        prop_assert_eq!(chain::parse_hash(&hex::encode(bytes)), Some(bytes));
    }
}
