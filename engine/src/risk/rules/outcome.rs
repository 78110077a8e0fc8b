//! The outcome-anomaly rule: a player whose return over their latest bets is beyond what the
//! games' 99% return allows, by more than [`OUTCOME_STANDARD_ERRORS`] standard errors of
//! their own returns (a fairness or exploit signal). Every game here returns 99% of stakes on
//! average, so one expected return serves them all.

use super::{Hit, Rule};
use protocol::PlayerId;
use serde_json::json;
use std::collections::VecDeque;

/// Settled bets the rule looks at, per player.
pub const OUTCOME_BETS: usize = 200;
/// How far above the expected return, in standard errors, fires the rule.
pub const OUTCOME_STANDARD_ERRORS: f64 = 5.0;
/// The games' expected return per unit staked.
pub const OUTCOME_EXPECTED_RETURN: f64 = 0.99;
/// The rule looks again after this many more settled bets.
const OUTCOME_CHECK_EVERY_BETS: usize = 20;

/// A player's latest returns (payout / stake).
#[derive(Default)]
pub struct Returns {
    window: VecDeque<f64>,
    since_check: usize,
    /// When the latest bet settled (Unix ms).
    pub last_ms: i64,
}

impl Returns {
    /// Adds a settled bet; the hit when the window's return is anomalous. A hit starts the
    /// window over, so one streak raises one alert.
    pub fn settled(
        &mut self,
        player: PlayerId,
        stake: i64,
        payout: i64,
        at_ms: i64,
    ) -> Option<Hit> {
        self.last_ms = at_ms;
        if stake <= 0 {
            return None;
        }
        self.window.push_back(payout as f64 / stake as f64);
        if self.window.len() > OUTCOME_BETS {
            self.window.pop_front();
        }
        self.since_check += 1;
        if self.window.len() < OUTCOME_BETS || self.since_check < OUTCOME_CHECK_EVERY_BETS {
            return None;
        }
        self.since_check = 0;
        let n = self.window.len() as f64;
        let mean = self.window.iter().sum::<f64>() / n;
        let variance = self.window.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let standard_error = (variance / n).sqrt();
        let z = if standard_error > 0.0 {
            (mean - OUTCOME_EXPECTED_RETURN) / standard_error
        } else if mean > OUTCOME_EXPECTED_RETURN {
            // Every bet returned the same, more than the games return: no luck does that.
            f64::INFINITY
        } else {
            return None;
        };
        if z <= OUTCOME_STANDARD_ERRORS {
            return None;
        }
        self.window.clear();
        Some(Hit {
            rule: Rule::OutcomeAnomaly,
            score: (40.0 + z * 5.0).min(100.0).round() as u32,
            players: vec![player],
            evidence: json!({
                "bets": OUTCOME_BETS,
                "return": (mean * 1_000.0).round() / 1_000.0,
                "expected": OUTCOME_EXPECTED_RETURN,
                "standard_error": (standard_error * 1_000.0).round() / 1_000.0,
                "standard_errors_above": (z * 10.0).round() / 10.0,
            }),
        })
    }
}
