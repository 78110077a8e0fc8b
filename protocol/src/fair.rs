//! Provably-fair derivations. A server seed is committed (its SHA-256 shown) before it is used;
//! once rotated it is revealed and anyone can recompute every outcome it produced.
//!
//! Conventions (documented for players on `/fair`):
//! - a server seed is 64 lowercase hex characters; its commitment is the SHA-256 of that text;
//! - an outcome's bytes are HMAC-SHA256(key = server seed text, message = "client_seed:nonce").

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The public commitment to a server seed: lowercase hex SHA-256 of the seed's text.
pub fn seed_commitment(server_seed: &str) -> String {
    hex::encode(Sha256::digest(server_seed.as_bytes()))
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The 32 outcome bytes of bet number `nonce` under a seed pair.
pub fn outcome_bytes(server_seed: &str, client_seed: &str, nonce: u64) -> [u8; 32] {
    let message = format!("{client_seed}:{nonce}");
    hmac_sha256(server_seed.as_bytes(), message.as_bytes())
}

/// Maps outcome bytes to a uniform integer in `0..outcomes`, where `outcomes` divides 1,000,000.
///
/// Reads the digest as hex in windows of 5 characters (20 bits, 0..=1,048,575) and takes the
/// first window below 1,000,000, so every result is equally likely. If no window qualifies
/// (probability (48,576 / 1,048,576)^12, about 1e-16) the result is `outcomes - 1`.
pub fn uniform_from_bytes(bytes: &[u8; 32], outcomes: u32) -> u32 {
    debug_assert!(outcomes > 0 && 1_000_000 % outcomes == 0);
    let hex_digest = hex::encode(bytes);
    let windows = hex_digest.len() / 5;
    for i in 0..windows {
        let window = &hex_digest[i * 5..i * 5 + 5];
        let value = u32::from_str_radix(window, 16).expect("hex digest windows are hex");
        if value < 1_000_000 {
            return value % outcomes;
        }
    }
    outcomes - 1
}

/// Whether `text` has the shape of a server seed (64 lowercase hex characters).
pub fn is_server_seed(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn commitment_is_sha256_of_the_seed_text() {
        assert_eq!(
            seed_commitment("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn uniform_skips_windows_at_or_above_one_million() {
        let mut bytes = [0u8; 32];
        // First window "fffff" (1,048,575) is skipped; the second "00123" (291) is used.
        bytes[0] = 0xff;
        bytes[1] = 0xff;
        bytes[2] = 0xf0;
        bytes[3] = 0x01;
        bytes[4] = 0x23;
        assert_eq!(uniform_from_bytes(&bytes, 10_000), 291);
    }

    #[test]
    fn server_seed_shape_is_checked() {
        assert!(is_server_seed(&"a1".repeat(32)));
        assert!(!is_server_seed("A1"));
        assert!(!is_server_seed(&"g1".repeat(32)));
    }
}
