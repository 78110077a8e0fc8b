//! Rules on shared rounds (crash, wheel): reaction time (bets placed faster after a round opens
//! than a person can see it and click) and collusion (accounts sharing an address or a device
//! that bet together and cash out together, round after round).

use super::sign_ins::Origins;
use super::{Hit, Rule};
use protocol::PlayerId;
use serde_json::json;
use std::collections::{HashMap, VecDeque};

/// Round bets in a row placed faster than [`REACTION_MS_HUMAN_MIN`] that fire the rule.
pub const REACTION_BETS: usize = 10;
/// The fastest a person bets after a round opens: the round's event reaches the browser, the
/// person sees it and clicks, the bet travels back; each step takes tens to hundreds of ms.
pub const REACTION_MS_HUMAN_MIN: i64 = 150;
/// "Together" for the collusion rule: two bets, and two cash-outs, this close (ms).
pub const COLLUSION_WINDOW_MS: i64 = 100;
/// Rounds in which two linked accounts bet and cashed out together that fire the rule.
pub const COLLUSION_ROUNDS: usize = 5;
/// The latest rounds whose bets and cash-outs are kept for comparing.
const ROUNDS_KEPT: usize = 4;

#[derive(Default)]
struct Reactions {
    fast_run: usize,
    slowest_ms: i64,
    last_ms: i64,
}

/// One round's bets (when each arrived) and hand cash-outs.
struct RoundBets {
    id: i64,
    bets: HashMap<PlayerId, i64>,
    cash_outs: Vec<(PlayerId, i64)>,
}

#[derive(Default)]
struct Pair {
    rounds: Vec<i64>,
    last_ms: i64,
}

/// The round rules' memory.
#[derive(Default)]
pub struct Rounds {
    reactions: HashMap<PlayerId, Reactions>,
    latest: VecDeque<RoundBets>,
    pairs: HashMap<(PlayerId, PlayerId), Pair>,
}

impl Rounds {
    /// A held round bet: remembered for the collusion rule, and timed for the reaction rule.
    pub fn bet(
        &mut self,
        player: PlayerId,
        round: i64,
        reaction_ms: i64,
        at_ms: i64,
    ) -> Option<Hit> {
        self.round(round).bets.insert(player, at_ms);
        let reactions = self.reactions.entry(player).or_default();
        reactions.last_ms = at_ms;
        if reaction_ms >= REACTION_MS_HUMAN_MIN {
            reactions.fast_run = 0;
            reactions.slowest_ms = 0;
            return None;
        }
        reactions.fast_run += 1;
        reactions.slowest_ms = reactions.slowest_ms.max(reaction_ms);
        if reactions.fast_run < REACTION_BETS {
            return None;
        }
        let slowest = reactions.slowest_ms;
        (reactions.fast_run, reactions.slowest_ms) = (0, 0);
        Some(Hit {
            rule: Rule::ReactionTime,
            score: (100 - slowest * 40 / REACTION_MS_HUMAN_MIN).clamp(1, 100) as u32,
            players: vec![player],
            evidence: json!({
                "bets": REACTION_BETS,
                "slowest_reaction_ms": slowest,
                "human_min_ms": REACTION_MS_HUMAN_MIN,
            }),
        })
    }

    /// A hand cash-out: the hit when it completes the fifth round in which the player and a
    /// linked account bet and cashed out together.
    pub fn cashed_out(
        &mut self,
        player: PlayerId,
        round: i64,
        at_ms: i64,
        origins: &HashMap<PlayerId, Origins>,
    ) -> Option<Hit> {
        let bets = self.round(round);
        let bet_ms = *bets.bets.get(&player)?;
        let together: Vec<PlayerId> =
            bets.cash_outs
                .iter()
                .filter(|(other, cashed_ms)| {
                    *other != player
                        && (cashed_ms - at_ms).abs() <= COLLUSION_WINDOW_MS
                        && bets.bets.get(other).is_some_and(|other_bet| {
                            (other_bet - bet_ms).abs() <= COLLUSION_WINDOW_MS
                        })
                })
                .map(|(other, _)| *other)
                .collect();
        bets.cash_outs.push((player, at_ms));
        let mine = origins.get(&player)?;
        for other in together {
            let Some(shared) = origins
                .get(&other)
                .and_then(|theirs| mine.shared_with(theirs))
            else {
                continue;
            };
            let key = (player.min(other), player.max(other));
            let pair = self.pairs.entry(key).or_default();
            pair.last_ms = at_ms;
            if pair.rounds.last() != Some(&round) {
                pair.rounds.push(round);
            }
            if pair.rounds.len() >= COLLUSION_ROUNDS {
                let rounds = std::mem::take(&mut pair.rounds);
                self.pairs.remove(&key);
                return Some(Hit {
                    rule: Rule::Collusion,
                    score: 75,
                    players: vec![player, other],
                    evidence: json!({
                        "rounds": rounds,
                        "within_ms": COLLUSION_WINDOW_MS,
                        "shared": shared,
                    }),
                });
            }
        }
        None
    }

    /// The kept bets of `round`, starting them when it is new (and dropping the oldest).
    fn round(&mut self, round: i64) -> &mut RoundBets {
        let at = match self.latest.iter().position(|kept| kept.id == round) {
            Some(at) => at,
            None => {
                self.latest.push_back(RoundBets {
                    id: round,
                    bets: HashMap::new(),
                    cash_outs: Vec::new(),
                });
                if self.latest.len() > ROUNDS_KEPT {
                    self.latest.pop_front();
                }
                self.latest.len() - 1
            }
        };
        &mut self.latest[at]
    }

    /// Forgets players and pairs not seen since `idle_ms`.
    pub fn forget_idle(&mut self, idle_ms: i64) {
        self.reactions
            .retain(|_, reactions| reactions.last_ms > idle_ms);
        self.pairs.retain(|_, pair| pair.last_ms > idle_ms);
    }
}
