use super::*;
use rand::{Rng, SeedableRng};

fn bet(player: i64, amount: i64, at_ms: i64) -> Signal {
    Signal::Bet {
        player: PlayerId(player),
        amount,
        at_ms,
    }
}

fn rules_of(hits: &[Hit]) -> Vec<Rule> {
    hits.iter().map(|hit| hit.rule).collect()
}

#[test]
fn a_bot_betting_every_200_ms_is_flagged_on_its_20th_bet() {
    let mut rules = Rules::default();
    let mut fired = Vec::new();
    for i in 0..20 {
        // A few ms of network jitter.
        let at = 1_000_000 + i * 200 + (i % 3) * 4;
        fired.push(rules.observe(&bet(7, 100 + i, at)));
    }
    assert!(fired[..19].iter().all(Vec::is_empty));
    assert_eq!(rules_of(&fired[19]), [Rule::BotRegularity]);
    assert_eq!(fired[19][0].players, [PlayerId(7)]);
    assert!(fired[19][0].score > 60);
}

#[test]
fn identical_fast_stakes_fire_and_slow_ones_do_not() {
    let mut rules = Rules::default();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut at = 0;
    let mut hits = Vec::new();
    for _ in 0..IDENTICAL_STAKES_RUN {
        at += rng.gen_range(300..900);
        hits.extend(rules.observe(&bet(1, 500, at)));
    }
    assert_eq!(rules_of(&hits), [Rule::IdenticalStakes]);
    let mut hits = Vec::new();
    for _ in 0..IDENTICAL_STAKES_RUN {
        at += rng.gen_range(1_000..4_000);
        hits.extend(rules.observe(&bet(2, 500, at)));
    }
    assert!(hits.is_empty(), "{hits:?}");
}

#[test]
fn the_fifth_account_from_one_address_in_a_day_fires_with_all_five_linked() {
    let mut rules = Rules::default();
    let ip: IpAddr = "203.0.113.9".parse().unwrap();
    let other: IpAddr = "203.0.113.10".parse().unwrap();
    let day = SIGNUP_FARM_WINDOW_MS;
    // One a day apart never fires.
    for i in 0..6 {
        let signal = Signal::Registered {
            player: PlayerId(100 + i),
            ip: other,
            at_ms: i * day,
        };
        assert!(rules.observe(&signal).is_empty());
    }
    let mut hits = Vec::new();
    for i in 0..5 {
        let signal = Signal::Registered {
            player: PlayerId(i),
            ip,
            at_ms: 1_000 + i * 60_000,
        };
        hits.extend(rules.observe(&signal));
    }
    assert_eq!(rules_of(&hits), [Rule::SignupFarming]);
    assert_eq!(hits[0].players.len(), 5);
    assert_eq!(hits[0].players[0], PlayerId(4));
}

#[test]
fn thirty_refusals_within_a_minute_fire() {
    let mut rules = Rules::default();
    let refused = |at_ms| Signal::Refused {
        player: PlayerId(3),
        at_ms,
    };
    let hits: Vec<Hit> = (0..30)
        .flat_map(|i| rules.observe(&refused(i * 1_000)))
        .collect();
    assert_eq!(rules_of(&hits), [Rule::CommandAbuse]);
    // Spread over more than a minute, they do not.
    let hits: Vec<Hit> = (0..60)
        .flat_map(|i| rules.observe(&refused(100_000 + i * 2_500)))
        .collect();
    assert!(hits.is_empty());
}

fn settled(player: i64, stake: i64, payout: i64, at_ms: i64) -> Signal {
    Signal::Settled {
        player: PlayerId(player),
        stake,
        payout,
        at_ms,
    }
}

#[test]
fn a_player_winning_far_above_the_games_return_is_flagged_once() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut rules = Rules::default();
    let mut hits = Vec::new();
    // Even-money bets paying 1.98x, won three times in four instead of one in two.
    for i in 0..OUTCOME_BETS as i64 {
        let payout = if rng.gen_bool(0.75) { 198 } else { 0 };
        hits.extend(rules.observe(&settled(1, 100, payout, i)));
    }
    assert_eq!(rules_of(&hits), [Rule::OutcomeAnomaly]);
    assert_eq!(hits[0].players, [PlayerId(1)]);
    assert!(
        hits[0].evidence["return"].as_f64().unwrap() > 1.3,
        "{}",
        hits[0].evidence
    );
    // The window starts over: the next bets do not raise the same alert again.
    for i in 0..OUTCOME_BETS as i64 / 2 {
        assert!(rules.observe(&settled(1, 100, 198, 1_000 + i)).is_empty());
    }
}

#[test]
fn a_player_who_always_wins_is_flagged_though_the_returns_do_not_vary() {
    let mut rules = Rules::default();
    let hits: Vec<Hit> = (0..OUTCOME_BETS as i64)
        .flat_map(|i| rules.observe(&settled(2, 100, 110, i)))
        .collect();
    assert_eq!(rules_of(&hits), [Rule::OutcomeAnomaly]);
}

/// 1,000 simulated people: 200 bets each, a stake picked from a few usual ones and changed now
/// and then, 0.8 to 8 s between bets with the odd pause, each settled by a fair game at a
/// chance they pick. Fewer than 1% may be flagged.
#[test]
fn fewer_than_one_percent_of_an_honest_population_is_flagged() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let mut rules = Rules::default();
    let mut flagged = std::collections::HashSet::new();
    for player in 0..1_000 {
        let mut at = rng.gen_range(0..60_000);
        let mut stake = [100, 500, 1_000, 2_500][rng.gen_range(0..4)];
        for _ in 0..200 {
            at += if rng.gen_bool(0.05) {
                rng.gen_range(10_000..60_000)
            } else {
                rng.gen_range(800..8_000)
            };
            if rng.gen_bool(0.1) {
                stake = [100, 500, 1_000, 2_500][rng.gen_range(0..4)];
            }
            for hit in rules.observe(&bet(player, stake, at)) {
                flagged.insert((player, hit.rule));
            }
            // A fair game: a chance from 10% to 90%, paying 99% of the stake over it.
            let chance = rng.gen_range(0.1..0.9);
            let won = rng.gen_bool(chance);
            let payout = if won {
                (stake as f64 * 0.99 / chance) as i64
            } else {
                0
            };
            for hit in rules.observe(&settled(player, stake, payout, at + 1)) {
                flagged.insert((player, hit.rule));
            }
        }
    }
    let share = flagged.len() as f64 / 1_000.0;
    println!("honest population flagged: {} of 1,000", flagged.len());
    assert!(share < 0.01, "{flagged:?}");
}
