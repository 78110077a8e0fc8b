//! Big wins concentrated on fresh accounts: over the last hour, new accounts (under a day old)
//! took a share of the big wins that their share of the bets makes very unlikely: the sign of
//! new accounts exploiting something, or of an insider feeding them. The test is exact: the
//! binomial chance of at least that many fresh winners among the hour's big wins, were each
//! big win as likely to land on a fresh account as a bet is to be one.

use super::{Hit, Rule};
use protocol::PlayerId;
use serde_json::json;
use std::collections::VecDeque;

/// An account younger than this is fresh (24 h).
pub const FRESH_ACCOUNT_MS: i64 = 86_400_000;
/// A big win pays at least this many times its stake...
pub const BIG_WIN_MULTIPLE: i64 = 10;
/// ...and wins at least this much (100.00).
pub const BIG_WIN_PROFIT_CENTS: i64 = 10_000;
/// The window the rule compares over (1 h).
pub const FRESH_WINS_WINDOW_MS: i64 = 3_600_000;
/// Fresh accounts' big wins within the window below which the rule never fires.
pub const FRESH_WINS_MIN: usize = 5;
/// The chance of so many fresh winners by luck below which the rule fires.
pub const FRESH_WINS_P_MAX: f64 = 1e-4;
/// The bets' counts are kept per minute.
const BUCKET_MS: i64 = 60_000;
/// Fresh winners listed in an alert, at most.
const LISTED_PLAYERS_MAX: usize = 20;

/// A settled bet as the rule sees it.
pub struct Settled {
    pub player: PlayerId,
    pub stake: i64,
    pub payout: i64,
    /// When the player's account was registered (Unix ms).
    pub joined_ms: i64,
    pub at_ms: i64,
}

#[derive(Clone, Copy)]
struct Bucket {
    start_ms: i64,
    bets: u64,
    fresh_bets: u64,
}

/// The rule's memory: bets per minute and big wins, over the window.
#[derive(Default)]
pub struct FreshWins {
    buckets: VecDeque<Bucket>,
    wins: VecDeque<(i64, PlayerId, bool)>,
}

impl FreshWins {
    /// Counts a settled bet; the hit when it is a big win that makes the fresh accounts' share
    /// of the hour's big wins too unlikely. A hit starts the wins over.
    pub fn settled(&mut self, bet: &Settled) -> Option<Hit> {
        let fresh = bet.at_ms - bet.joined_ms < FRESH_ACCOUNT_MS;
        self.count(bet.at_ms, fresh);
        let big = bet.stake > 0
            && bet.payout >= bet.stake.saturating_mul(BIG_WIN_MULTIPLE)
            && bet.payout - bet.stake >= BIG_WIN_PROFIT_CENTS;
        if !big {
            return None;
        }
        self.wins.push_back((bet.at_ms, bet.player, fresh));
        let fresh_wins = self.wins.iter().filter(|(_, _, fresh)| *fresh).count();
        if !fresh || fresh_wins < FRESH_WINS_MIN {
            return None;
        }
        let (bets, fresh_bets) = self.buckets.iter().fold((0, 0), |(all, fresh), bucket| {
            (all + bucket.bets, fresh + bucket.fresh_bets)
        });
        let share = fresh_bets as f64 / bets as f64;
        let chance = binomial_tail(self.wins.len(), fresh_wins, share);
        if chance >= FRESH_WINS_P_MAX {
            return None;
        }
        let mut players: Vec<PlayerId> = Vec::new();
        for (_, player, fresh) in self.wins.iter().rev() {
            if *fresh && !players.contains(player) && players.len() < LISTED_PLAYERS_MAX {
                players.push(*player);
            }
        }
        let evidence = json!({
            "big_wins": self.wins.len(),
            "fresh_big_wins": fresh_wins,
            "fresh_share_of_bets": (share * 1_000.0).round() / 1_000.0,
            "chance": format!("{chance:.1e}"),
            "within_ms": FRESH_WINS_WINDOW_MS,
        });
        self.wins.clear();
        Some(Hit {
            rule: Rule::FreshAccountWins,
            score: (40.0 - chance.max(1e-12).log10() * 5.0).min(100.0).round() as u32,
            players,
            evidence,
        })
    }

    fn count(&mut self, at_ms: i64, fresh: bool) {
        let start_ms = at_ms - at_ms.rem_euclid(BUCKET_MS);
        if self
            .buckets
            .back()
            .is_none_or(|last| last.start_ms < start_ms)
        {
            self.buckets.push_back(Bucket {
                start_ms,
                bets: 0,
                fresh_bets: 0,
            });
        }
        let bucket = self.buckets.back_mut().expect("a bucket was just ensured");
        bucket.bets += 1;
        bucket.fresh_bets += u64::from(fresh);
        let oldest = at_ms - FRESH_WINS_WINDOW_MS;
        while self
            .buckets
            .front()
            .is_some_and(|bucket| bucket.start_ms + BUCKET_MS <= oldest)
        {
            self.buckets.pop_front();
        }
        while self.wins.front().is_some_and(|(at, _, _)| *at <= oldest) {
            self.wins.pop_front();
        }
    }
}

/// The chance of at least `at_least` successes in `n` trials of chance `p`.
fn binomial_tail(n: usize, at_least: usize, p: f64) -> f64 {
    if p <= 0.0 {
        return if at_least == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return 1.0;
    }
    // Each term from the one before, in logarithms (the first, (1 - p)^n, underflows for
    // large n): P(k+1) = P(k) * (n - k) / (k + 1) * p / (1 - p).
    let odds = (p / (1.0 - p)).ln();
    let mut log_term = n as f64 * (1.0 - p).ln();
    let mut tail = 0.0;
    for k in 0..=n {
        if k >= at_least {
            tail += log_term.exp();
        }
        log_term += ((n - k) as f64 / (k + 1) as f64).ln() + odds;
    }
    tail.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::binomial_tail;

    #[test]
    fn the_binomial_tail_matches_known_values() {
        assert!((binomial_tail(10, 0, 0.3) - 1.0).abs() < 1e-12);
        // P(X >= 5 | n = 5, p = 0.5) = 1/32.
        assert!((binomial_tail(5, 5, 0.5) - 1.0 / 32.0).abs() < 1e-12);
        // P(X >= 2 | n = 3, p = 0.5) = 4/8.
        assert!((binomial_tail(3, 2, 0.5) - 0.5).abs() < 1e-12);
        assert_eq!(binomial_tail(4, 1, 0.0), 0.0);
        // Large windows neither underflow nor overflow.
        assert!(binomial_tail(2_000, 1_975, 0.99) > 0.5);
        assert!(binomial_tail(2_000, 100, 0.01) < 1e-30);
    }
}
