//! Crash: a multiplier grows from 1.00x along a fixed curve until the round's crash point.
//! The curve is shared by the server (which decides) and the browser (which animates between
//! ticks). Multipliers are integers in hundredths.

use crate::chain::{self, ChainHash};

mod wire;

pub use wire::{
    BetCommand, CashOutCommand, CrashBetView, CrashHistoryItem, CrashPhase, CrashPlay,
    CrashRoundView, Event,
};

/// Growth rate of the curve: m(t) = e^(CURVE_RATE_PER_MS * t), t in milliseconds.
pub const CURVE_RATE_PER_MS: f64 = 0.000_06;
/// The lowest multiplier, 1.00x.
pub const MULTIPLIER_X100_MIN: u64 = 100;
/// Highest crash point reported: 1,000,000.00x (the curve reaches it after about 230 s).
pub const CRASH_POINT_X100_MAX: u64 = 100_000_000;

/// Crash point in hundredths from a round's hash and the public salt (bustabit v2 rule):
/// take the first 52 bits of HMAC-SHA256(salt, hash) as X in [0, 1); the crash point is
/// floor(99 / (1 - X)) hundredths, at least 1.00x. Hence P(crash >= m) = 0.99 / m for every
/// cash-out target m >= 1.01x: a 1% house edge at every target. (About 1.98% of rounds end at
/// 1.00x, before anyone can cash out.)
pub fn crash_point_x100(salt: &str, hash: &ChainHash) -> u64 {
    let bytes = chain::outcome_bytes(salt, hash);
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes[..8]);
    let r = u64::from_be_bytes(first) >> 12; // 52 bits
    let scale: u128 = 1 << 52;
    // 99 / (1 - r / 2^52) in hundredths = 99 * 2^52 / (2^52 - r), exact in integers.
    let x100 = (99 * scale / (scale - r as u128)) as u64;
    x100.clamp(MULTIPLIER_X100_MIN, CRASH_POINT_X100_MAX)
}

/// The exact curve, for drawing: e^(rate x t). Decisions use [`multiplier_x100_at`].
pub fn curve_at(elapsed_ms: f64) -> f64 {
    (CURVE_RATE_PER_MS * elapsed_ms).exp()
}

/// The multiplier in hundredths `elapsed_ms` after the round started, rounded down.
pub fn multiplier_x100_at(elapsed_ms: u64) -> u64 {
    let exact = 100.0 * curve_at(elapsed_ms as f64);
    (exact.floor() as u64).max(MULTIPLIER_X100_MIN)
}

/// The first millisecond at which the curve reaches `multiplier_x100`.
pub fn elapsed_ms_for(multiplier_x100: u64) -> u64 {
    if multiplier_x100 <= MULTIPLIER_X100_MIN {
        return 0;
    }
    let estimate = ((multiplier_x100 as f64 / 100.0).ln() / CURVE_RATE_PER_MS).floor() as u64;
    // Float rounding may leave the estimate a millisecond off either way; settle it exactly.
    let mut t = estimate.saturating_sub(2);
    while multiplier_x100_at(t) < multiplier_x100 {
        t += 1;
    }
    t
}

pub use crate::money::payout_cents;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::build;

    #[test]
    fn the_curve_starts_at_one_and_grows() {
        assert_eq!(multiplier_x100_at(0), 100);
        assert_eq!(multiplier_x100_at(1_000), 106); // e^0.06 = 1.0618
        assert_eq!(multiplier_x100_at(11_552), 199); // e^0.69312 = 1.99996
        assert_eq!(multiplier_x100_at(11_553), 200);
        assert!(multiplier_x100_at(60_000) > multiplier_x100_at(59_999) - 1);
    }

    #[test]
    fn elapsed_time_inverts_the_curve() {
        for m in [101, 150, 200, 333, 1_000, 10_000, 123_456] {
            let t = elapsed_ms_for(m);
            assert!(multiplier_x100_at(t) >= m);
            assert!(t == 0 || multiplier_x100_at(t - 1) < m, "{m}");
        }
    }

    #[test]
    fn crash_points_follow_the_published_rule() {
        let (chain, _) = build([1u8; 32], 4);
        let points: Vec<u64> = chain
            .iter()
            .map(|h| crash_point_x100("zerolag", h))
            .collect();
        for (hash, point) in chain.iter().zip(&points) {
            let bytes = crate::chain::outcome_bytes("zerolag", hash);
            let x =
                (u64::from_be_bytes(bytes[..8].try_into().unwrap()) >> 12) as f64 / 2f64.powi(52);
            let float_rule = ((99.0 / (1.0 - x)).floor() as u64).max(100);
            assert_eq!(*point, float_rule);
        }
    }

    #[test]
    fn crash_point_vectors_are_stable() {
        // Computed independently with Python's hashlib and hmac from the published rule.
        let (chain, _) = build([1u8; 32], 4);
        let points: Vec<u64> = chain
            .iter()
            .map(|h| crash_point_x100("zerolag", h))
            .collect();
        assert_eq!(points, vec![484, 112, 177, 361]);
    }

    #[test]
    fn payouts_round_down() {
        assert_eq!(payout_cents(333, 157), 522); // 5.2281
        assert_eq!(payout_cents(100, 100), 100);
    }

    /// Return to player over 1,000,000 rounds for several cash-out targets. For a target m the
    /// payout per unit stake is m with probability p = 0.99/m, else 0: mean 0.99, variance
    /// m^2 p (1 - p). The test allows 5 standard errors of the mean (a false failure about once
    /// in 1.7 million runs), which for m = 2 is +-0.5% and for m = 10 is +-1.5%.
    #[test]
    fn return_to_player_is_99_percent_over_a_million_rounds() {
        const ROUNDS: usize = 1_000_000;
        let (chain, _) = build([42u8; 32], ROUNDS);
        let points: Vec<u64> = chain
            .iter()
            .map(|h| crash_point_x100("rtp-salt", h))
            .collect();
        for target in [101u64, 200, 1_000] {
            let m = target as f64 / 100.0;
            let wins = points.iter().filter(|&&p| p >= target).count() as f64;
            let rtp = wins * m / ROUNDS as f64;
            let p = 0.99 / m;
            let standard_error = (m * m * p * (1.0 - p) / ROUNDS as f64).sqrt();
            assert!(
                (rtp - 0.99).abs() < 5.0 * standard_error,
                "target {m}: rtp {rtp}, se {standard_error}"
            );
        }
        // Rounds over before the lowest cash-out (1.01x): 1 - 0.99 / 1.01.
        let instant = points.iter().filter(|&&p| p == 100).count() as f64 / ROUNDS as f64;
        let expected = 1.0 - 0.99 / 1.01;
        assert!(
            (instant - expected).abs() < 5.0 * (expected * (1.0 - expected) / ROUNDS as f64).sqrt(),
            "{instant}"
        );
    }
}
