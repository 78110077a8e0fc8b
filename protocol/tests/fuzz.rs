//! Fuzzing in stable Rust (property-based): the fairness verifiers and the command decoding
//! never panic on arbitrary input, and answer what docs/protocol.md and the /fair page say.
//! A bounded number of cases runs in `make test`.

use proptest::prelude::*;
use protocol::{chain, dice, fair, ClientMsg};

/// Cases per property in `make test`.
const CASES: u32 = 512;

/// Text that is sometimes JSON shaped like a command, sometimes anything at all.
fn frame() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(ClientMsg::TYPES.to_vec());
    let value = prop_oneof![
        Just("null".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        "[a-z0-9_ \\\\\"]{0,12}".prop_map(|s| format!("{s:?}")),
        Just("{}".to_owned()),
        Just("[1,2]".to_owned()),
    ];
    let field = prop::sample::select(vec![
        "req",
        "idem",
        "amount",
        "target",
        "segment",
        "room",
        "body",
        "auto_cashout_x100",
        "client_seed",
        "username",
        "topic",
        "scope",
        "minutes",
        "reason",
    ]);
    let shaped = (kind, prop::collection::vec((field, value), 0..6)).prop_map(|(kind, fields)| {
        let mut text = format!("{{\"type\":{kind:?}");
        for (name, value) in fields {
            text.push_str(&format!(",{name:?}:{value}"));
        }
        text.push('}');
        text
    });
    prop_oneof![shaped, any::<String>(), "[{}\\[\\]\":,a-z0-9]{0,40}"]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Any frame either is a command, or is refused by serde with an error (no panic), and a
    /// command read back from its own JSON is the same command.
    #[test]
    fn command_decoding_never_panics_and_round_trips(text in frame()) {
        if let Ok(command) = serde_json::from_str::<ClientMsg>(&text) {
            let again: ClientMsg = serde_json::from_str(&serde_json::to_string(&command).unwrap()).unwrap();
            prop_assert_eq!(again, command);
        }
    }

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
