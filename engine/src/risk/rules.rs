//! The risk rules: pure functions of the signals seen so far, each with named thresholds and
//! the explanation an operator reads. [`Rules::observe`] returns the hits a signal causes.

mod fresh;
mod outcome;
mod rounds;
mod sign_ins;

pub use fresh::{
    BIG_WIN_MULTIPLE, BIG_WIN_PROFIT_CENTS, FRESH_ACCOUNT_MS, FRESH_WINS_MIN, FRESH_WINS_P_MAX,
    FRESH_WINS_WINDOW_MS,
};
pub use outcome::{OUTCOME_BETS, OUTCOME_EXPECTED_RETURN, OUTCOME_STANDARD_ERRORS};
pub use rounds::{COLLUSION_ROUNDS, COLLUSION_WINDOW_MS, REACTION_BETS, REACTION_MS_HUMAN_MIN};
pub use sign_ins::{
    MULTI_ACCOUNT_DEVICE_ACCOUNTS, MULTI_ACCOUNT_DEVICE_WINDOW_MS, MULTI_ACCOUNT_IP_ACCOUNTS,
    MULTI_ACCOUNT_IP_WINDOW_MS, SIGNUP_FARM_ACCOUNTS, SIGNUP_FARM_SUBNET_ACCOUNTS,
    SIGNUP_FARM_WINDOW_MS,
};

use super::Signal;
use protocol::PlayerId;
use serde_json::json;
use std::collections::{HashMap, VecDeque};

/// Bets whose timing the regularity rule looks at (19 intervals).
pub const REGULARITY_BETS: usize = 20;
/// Bot-like regularity: the intervals' standard deviation below this share of their mean (a
/// person's is typically 0.3 to 1).
pub const REGULARITY_CV_MAX: f64 = 0.1;
/// Regularity only counts in fast play: a mean interval below this (ms).
pub const REGULARITY_INTERVAL_MS_MAX: f64 = 5_000.0;
/// Identical stakes in a row that, placed fast, look automated.
pub const IDENTICAL_STAKES_RUN: usize = 100;
/// "Fast" for identical stakes: a mean interval below this over the run (ms).
pub const IDENTICAL_STAKES_INTERVAL_MS_MAX: i64 = 1_000;
/// Refused commands (rate limited or malformed) by one player within
/// [`COMMAND_ABUSE_WINDOW_MS`] that raise an alert.
pub const COMMAND_ABUSE_REFUSALS: usize = 30;
/// See [`COMMAND_ABUSE_REFUSALS`] (60 s).
pub const COMMAND_ABUSE_WINDOW_MS: i64 = 60_000;
/// The stake cap a rule whose action is [`Action::Cap`] sets (1.00).
pub const RISK_BET_CAP_CENTS: i64 = 100;
/// A player whose last signal is older than this is forgotten by the rules (10 min).
pub const RISK_IDLE_FORGET_MS: i64 = 600_000;

/// What the risk engine does when a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An alert for an operator to look at.
    Alert,
    /// An alert, and the player's stakes are capped at [`RISK_BET_CAP_CENTS`] pending review.
    Cap,
    /// An alert, and the player is suspended pending review.
    Suspend,
}

impl Action {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Cap => "cap",
            Action::Suspend => "suspend",
        }
    }
}

/// The rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Bets at nearly constant intervals.
    BotRegularity,
    /// A long run of identical stakes, placed fast.
    IdenticalStakes,
    /// Many accounts registered from one address.
    SignupFarming,
    /// Many refused commands.
    CommandAbuse,
    /// A return over the latest bets far above the games' 99%.
    OutcomeAnomaly,
    /// Several accounts signing in from one device cookie, or one address.
    MultiAccounting,
    /// Bets placed faster after a round opens than a person reacts.
    ReactionTime,
    /// Accounts sharing an address or device that bet and cash out together, round after round.
    Collusion,
    /// Big wins landing on new accounts far more often than their share of bets.
    FreshAccountWins,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 9] = [
        Rule::BotRegularity,
        Rule::IdenticalStakes,
        Rule::SignupFarming,
        Rule::CommandAbuse,
        Rule::OutcomeAnomaly,
        Rule::MultiAccounting,
        Rule::ReactionTime,
        Rule::Collusion,
        Rule::FreshAccountWins,
    ];

    /// The rule stored as `name`.
    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|rule| rule.as_str() == name)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::BotRegularity => "bot_regularity",
            Rule::IdenticalStakes => "identical_stakes",
            Rule::SignupFarming => "signup_farming",
            Rule::CommandAbuse => "command_abuse",
            Rule::OutcomeAnomaly => "outcome_anomaly",
            Rule::MultiAccounting => "multi_accounting",
            Rule::ReactionTime => "reaction_time",
            Rule::Collusion => "collusion",
            Rule::FreshAccountWins => "fresh_account_wins",
        }
    }

    /// What an operator reads about it.
    pub fn explanation(self) -> &'static str {
        match self {
            Rule::BotRegularity => "20 bets whose intervals vary by less than 10% of their mean (under 5 s): people are not that regular",
            Rule::IdenticalStakes => "100 identical stakes in a row at under 1 s apart: an auto-bettor",
            Rule::SignupFarming => "5 accounts registered from one address, or 15 from one network (/24, or /64 for IPv6), within 24 h: farming the signup grant",
            Rule::CommandAbuse => "30 refused commands (rate limited or malformed) within 60 s",
            Rule::OutcomeAnomaly => "a return over the latest 200 settled bets more than 5 standard errors above the games' 99%: a fairness or exploit signal",
            Rule::MultiAccounting => "3 accounts signed in from one browser (its device cookie) within 24 h, or 8 from one address within 1 h",
            Rule::ReactionTime => "10 round bets in a row placed under 150 ms after the round opened: faster than a person sees the round and clicks",
            Rule::Collusion => "2 accounts sharing an address or a device that, in 5 rounds, bet within 100 ms of each other and cashed out by hand within 100 ms of each other",
            Rule::FreshAccountWins => "5 or more of the last hour's big wins (10x the stake and 100.00 profit) went to accounts under 24 h old, far beyond their share of the bets (under 1 in 10,000 by chance)",
        }
    }

    /// What the engine does when it fires.
    pub fn action(self) -> Action {
        match self {
            Rule::BotRegularity => Action::Suspend,
            Rule::IdenticalStakes | Rule::ReactionTime => Action::Cap,
            Rule::SignupFarming
            | Rule::CommandAbuse
            | Rule::OutcomeAnomaly
            | Rule::MultiAccounting
            | Rule::Collusion
            | Rule::FreshAccountWins => Action::Alert,
        }
    }
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Which.
    pub rule: Rule,
    /// How sure, 1 to 100.
    pub score: u32,
    /// The accounts concerned (the first is the one that fired it).
    pub players: Vec<PlayerId>,
    /// What made it fire.
    pub evidence: serde_json::Value,
}

#[derive(Default)]
struct Bets {
    times: VecDeque<i64>,
    stake: i64,
    run: usize,
    run_started_ms: i64,
    last_ms: i64,
}

/// The rules' memory of recent signals.
#[derive(Default)]
pub struct Rules {
    bets: HashMap<PlayerId, Bets>,
    sign_ins: sign_ins::SignIns,
    refusals: HashMap<PlayerId, VecDeque<i64>>,
    returns: HashMap<PlayerId, outcome::Returns>,
    rounds: rounds::Rounds,
    fresh: fresh::FreshWins,
}

impl Rules {
    /// The hits one more signal causes.
    pub fn observe(&mut self, signal: &Signal) -> Vec<Hit> {
        match signal {
            Signal::Bet {
                player,
                amount,
                at_ms,
                ..
            } => self.bet(*player, *amount, *at_ms),
            Signal::SignedIn {
                player,
                ip,
                device,
                new_account,
                at_ms,
            } => {
                let device = device.as_deref();
                let sign_ins = &mut self.sign_ins;
                sign_ins.signed_in(*player, *ip, device, *new_account, *at_ms)
            }
            Signal::Refused { player, at_ms, .. } => {
                self.refused(*player, *at_ms).into_iter().collect()
            }
            Signal::Settled {
                player,
                stake,
                payout,
                joined_ms,
                at_ms,
            } => {
                let returns = self.returns.entry(*player).or_default();
                let mut hits: Vec<Hit> = returns
                    .settled(*player, *stake, *payout, *at_ms)
                    .into_iter()
                    .collect();
                let settled = fresh::Settled {
                    player: *player,
                    stake: *stake,
                    payout: *payout,
                    joined_ms: *joined_ms,
                    at_ms: *at_ms,
                };
                hits.extend(self.fresh.settled(&settled));
                hits
            }
            Signal::RoundBet {
                player,
                round,
                reaction_ms,
                at_ms,
            } => {
                let hit = self.rounds.bet(*player, *round, *reaction_ms, *at_ms);
                hit.into_iter().collect()
            }
            Signal::CashedOut {
                player,
                round,
                at_ms,
            } => {
                let origins = &self.sign_ins.origins;
                let hit = self.rounds.cashed_out(*player, *round, *at_ms, origins);
                hit.into_iter().collect()
            }
        }
    }

    /// Whether the rules know where `player` signed in from (the collusion rule links accounts
    /// by it; the scorer reads it from the database for players who signed in elsewhere).
    pub fn knows_origins(&self, player: PlayerId) -> bool {
        self.sign_ins.origins.contains_key(&player)
    }

    /// Adds where `player` signed in from lately, as stored (they signed in on another node,
    /// or before this one started); remembered as of `at_ms`.
    pub fn learn_origins(
        &mut self,
        player: PlayerId,
        origins: &[(std::net::IpAddr, Option<String>)],
        at_ms: i64,
    ) {
        let known = self.sign_ins.origins.entry(player).or_default();
        known.last_ms = known.last_ms.max(at_ms);
        for (ip, device) in origins {
            known.add(*ip, device.as_deref(), at_ms);
        }
    }

    fn bet(&mut self, player: PlayerId, amount: i64, at_ms: i64) -> Vec<Hit> {
        let bets = self.bets.entry(player).or_default();
        bets.last_ms = at_ms;
        bets.times.push_back(at_ms);
        if bets.times.len() > REGULARITY_BETS {
            bets.times.pop_front();
        }
        if bets.run > 0 && bets.stake == amount {
            bets.run += 1;
        } else {
            (bets.stake, bets.run, bets.run_started_ms) = (amount, 1, at_ms);
        }
        let mut hits = Vec::new();
        if let Some(hit) = regularity(player, &bets.times) {
            bets.times.clear();
            hits.push(hit);
        }
        if bets.run >= IDENTICAL_STAKES_RUN {
            let mean = (at_ms - bets.run_started_ms) / (bets.run as i64 - 1);
            if mean < IDENTICAL_STAKES_INTERVAL_MS_MAX {
                hits.push(Hit {
                    rule: Rule::IdenticalStakes,
                    score: 60,
                    players: vec![player],
                    evidence: json!({ "stake": amount, "run": bets.run, "mean_interval_ms": mean }),
                });
            }
            bets.run = 0;
        }
        hits
    }

    fn refused(&mut self, player: PlayerId, at_ms: i64) -> Option<Hit> {
        let recent = self.refusals.entry(player).or_default();
        recent.push_back(at_ms);
        while recent
            .front()
            .is_some_and(|at| *at <= at_ms - COMMAND_ABUSE_WINDOW_MS)
        {
            recent.pop_front();
        }
        if recent.len() < COMMAND_ABUSE_REFUSALS {
            return None;
        }
        let count = recent.len();
        recent.clear();
        Some(Hit {
            rule: Rule::CommandAbuse,
            score: 50,
            players: vec![player],
            evidence: json!({ "refused": count, "within_ms": COMMAND_ABUSE_WINDOW_MS }),
        })
    }

    /// Forgets players and addresses not seen since `now_ms - RISK_IDLE_FORGET_MS` (the
    /// sign-in windows are kept whole).
    pub fn forget_idle(&mut self, now_ms: i64) {
        let idle = now_ms - RISK_IDLE_FORGET_MS;
        self.bets.retain(|_, bets| bets.last_ms > idle);
        self.returns.retain(|_, returns| returns.last_ms > idle);
        self.refusals
            .retain(|_, times| times.back().is_some_and(|at| *at > idle));
        self.sign_ins.forget_idle(now_ms);
        self.rounds.forget_idle(idle);
    }
}

/// The regularity rule over a player's latest bet times.
fn regularity(player: PlayerId, times: &VecDeque<i64>) -> Option<Hit> {
    if times.len() < REGULARITY_BETS {
        return None;
    }
    let intervals: Vec<f64> = times
        .iter()
        .zip(times.iter().skip(1))
        .map(|(a, b)| (b - a) as f64)
        .collect();
    let mean = intervals.iter().sum::<f64>() / intervals.len() as f64;
    if mean <= 0.0 || mean >= REGULARITY_INTERVAL_MS_MAX {
        return None;
    }
    let variance =
        intervals.iter().map(|i| (i - mean).powi(2)).sum::<f64>() / intervals.len() as f64;
    let cv = variance.sqrt() / mean;
    if cv >= REGULARITY_CV_MAX {
        return None;
    }
    Some(Hit {
        rule: Rule::BotRegularity,
        score: (100.0 - cv / REGULARITY_CV_MAX * 40.0).round() as u32,
        players: vec![player],
        evidence: json!({
            "bets": times.len(),
            "mean_interval_ms": mean.round(),
            "interval_cv": (cv * 1_000.0).round() / 1_000.0,
        }),
    })
}

#[cfg(test)]
mod population;
#[cfg(test)]
mod tests;
