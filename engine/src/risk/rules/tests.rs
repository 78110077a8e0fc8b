use super::*;
use rand::{Rng, SeedableRng};
use std::net::IpAddr;

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
        let signal = registered(100 + i, other, None, i * day);
        assert!(rules.observe(&signal).is_empty());
    }
    let mut hits = Vec::new();
    for i in 0..5 {
        hits.extend(rules.observe(&registered(i, ip, None, 1_000 + i * 60_000)));
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

/// A settled bet of an account registered long ago.
fn settled(player: i64, stake: i64, payout: i64, at_ms: i64) -> Signal {
    settled_for(player, 0, stake, payout, at_ms)
}

fn settled_for(player: i64, joined_ms: i64, stake: i64, payout: i64, at_ms: i64) -> Signal {
    Signal::Settled {
        player: PlayerId(player),
        stake,
        payout,
        joined_ms,
        at_ms,
    }
}

fn signed_in(player: i64, ip: IpAddr, device: Option<&str>, new: bool, at_ms: i64) -> Signal {
    Signal::SignedIn {
        player: PlayerId(player),
        ip,
        device: device.map(str::to_owned),
        new_account: new,
        at_ms,
    }
}

fn registered(player: i64, ip: IpAddr, device: Option<&str>, at_ms: i64) -> Signal {
    signed_in(player, ip, device, true, at_ms)
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

const DEVICE_A: &str = "0123456789abcdef0123456789abcdef";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn a_third_account_in_one_browser_within_a_day_fires_and_one_account_signing_in_often_does_not() {
    let mut rules = Rules::default();
    for i in 0..5 {
        let signal = signed_in(1, ip("198.51.100.1"), Some(DEVICE_A), false, i * 3_600_000);
        assert!(rules.observe(&signal).is_empty());
    }
    let home = ip("198.51.100.2");
    assert!(rules
        .observe(&signed_in(2, home, Some(DEVICE_A), false, 20_000_000))
        .is_empty());
    let hits = rules.observe(&signed_in(3, home, Some(DEVICE_A), true, 21_000_000));
    assert_eq!(rules_of(&hits), [Rule::MultiAccounting]);
    assert_eq!(hits[0].players, [PlayerId(3), PlayerId(2), PlayerId(1)]);
    assert_eq!(hits[0].evidence["device"], "01234567");
    // Two accounts a day and more apart in one browser are not a third.
    let mut rules = Rules::default();
    for (i, player) in [10, 11, 12].into_iter().enumerate() {
        let at = i as i64 * (MULTI_ACCOUNT_DEVICE_WINDOW_MS / 2 + 1);
        assert!(rules
            .observe(&signed_in(player, home, Some(DEVICE_A), false, at))
            .is_empty());
    }
}

#[test]
fn eight_accounts_from_one_address_within_an_hour_fire_and_spread_over_hours_do_not() {
    let mut rules = Rules::default();
    let office = ip("192.0.2.10");
    let hits: Vec<Hit> = (0..8)
        .flat_map(|i| rules.observe(&signed_in(i, office, None, false, i * 60_000)))
        .collect();
    assert_eq!(rules_of(&hits), [Rule::MultiAccounting]);
    assert_eq!(hits[0].players.len(), MULTI_ACCOUNT_IP_ACCOUNTS);
    let hits: Vec<Hit> = (0..8)
        .flat_map(|i| {
            rules.observe(&signed_in(
                20 + i,
                office,
                None,
                false,
                10_000_000 + i * 1_200_000,
            ))
        })
        .collect();
    assert!(hits.is_empty(), "{hits:?}");
}

#[test]
fn fifteen_new_accounts_from_one_network_in_a_day_fire_though_each_address_differs() {
    let mut rules = Rules::default();
    let hits: Vec<Hit> = (0..15)
        .flat_map(|i| {
            let from = ip(&format!("203.0.113.{}", 10 + i));
            rules.observe(&registered(i, from, None, i * 3_000_000))
        })
        .collect();
    assert_eq!(rules_of(&hits), [Rule::SignupFarming]);
    assert_eq!(hits[0].evidence["network"], "203.0.113.0/24");
    assert_eq!(hits[0].players.len(), SIGNUP_FARM_SUBNET_ACCOUNTS);
    // IPv6: one /64.
    let hits: Vec<Hit> = (0..15)
        .flat_map(|i| {
            let from = ip(&format!("2001:db8:1:2::{:x}", 100 + i));
            rules.observe(&registered(100 + i, from, None, i * 1_000))
        })
        .collect();
    assert_eq!(hits[0].evidence["network"], "2001:db8:1:2::/64");
}

fn round_bet(player: i64, round: i64, reaction_ms: i64) -> Signal {
    Signal::RoundBet {
        player: PlayerId(player),
        round,
        reaction_ms,
        at_ms: round * 10_000 + reaction_ms,
    }
}

#[test]
fn ten_round_bets_in_a_row_faster_than_a_person_fire_and_one_human_bet_breaks_the_run() {
    let mut rules = Rules::default();
    let hits: Vec<Hit> = (0..REACTION_BETS as i64)
        .flat_map(|round| rules.observe(&round_bet(5, round, 15 + round * 7)))
        .collect();
    assert_eq!(rules_of(&hits), [Rule::ReactionTime]);
    assert_eq!(hits[0].evidence["slowest_reaction_ms"], 15 + 9 * 7);
    let mut hits = Vec::new();
    for round in 100..118 {
        let reaction = if round == 109 { 420 } else { 30 };
        hits.extend(rules.observe(&round_bet(6, round, reaction)));
    }
    assert!(hits.is_empty(), "{hits:?}");
}

/// Two players betting in `round` at `bet_gap` ms apart and cashing out at `cash_gap` apart;
/// the hits the second cash-out causes.
fn play_together(rules: &mut Rules, (a, b): (i64, i64), round: i64, gaps: (i64, i64)) -> Vec<Hit> {
    let (bet_gap, cash_gap) = gaps;
    let open = round * 10_000;
    let bet = |player, at_ms| Signal::RoundBet {
        player: PlayerId(player),
        round,
        reaction_ms: at_ms - open,
        at_ms,
    };
    let cash = |player, at_ms| Signal::CashedOut {
        player: PlayerId(player),
        round,
        at_ms,
    };
    assert!(rules.observe(&bet(a, open + 900)).is_empty());
    assert!(rules.observe(&bet(b, open + 900 + bet_gap)).is_empty());
    assert!(rules.observe(&cash(a, open + 7_000)).is_empty());
    rules.observe(&cash(b, open + 7_000 + cash_gap))
}

#[test]
fn linked_accounts_betting_and_cashing_out_together_in_five_rounds_fire() {
    let mut rules = Rules::default();
    let flat = ip("198.51.100.77");
    rules.observe(&signed_in(1, flat, Some(DEVICE_A), false, 0));
    rules.observe(&signed_in(2, flat, None, false, 0));
    // Strangers with the same timing, and the linked pair cashing out apart, do not count.
    rules.observe(&signed_in(3, ip("198.51.100.78"), None, false, 0));
    rules.observe(&signed_in(4, ip("198.51.100.79"), None, false, 0));
    let mut hits = Vec::new();
    for round in 1..=4 {
        assert!(play_together(&mut rules, (1, 2), round, (20, 35)).is_empty());
        assert!(play_together(&mut rules, (3, 4), round, (20, 35)).is_empty());
    }
    assert!(play_together(&mut rules, (1, 2), 5, (20, 900)).is_empty());
    hits.extend(play_together(&mut rules, (1, 2), 6, (40, 10)));
    assert!(play_together(&mut rules, (3, 4), 6, (20, 35)).is_empty());
    assert_eq!(rules_of(&hits), [Rule::Collusion]);
    assert_eq!(hits[0].players, [PlayerId(2), PlayerId(1)]);
    assert_eq!(
        hits[0].evidence["rounds"],
        serde_json::json!([1, 2, 3, 4, 6])
    );
    assert_eq!(hits[0].evidence["shared"]["ip"], "198.51.100.77");
}

#[test]
fn stored_origins_link_players_who_signed_in_elsewhere() {
    let mut rules = Rules::default();
    let shared = vec![(ip("192.0.2.200"), Some(DEVICE_A.to_owned()))];
    assert!(!rules.knows_origins(PlayerId(8)));
    rules.learn_origins(PlayerId(8), &shared, 0);
    rules.learn_origins(PlayerId(9), &shared, 0);
    assert!(rules.knows_origins(PlayerId(8)));
    let hits: Vec<Hit> = (1..=5)
        .flat_map(|round| play_together(&mut rules, (8, 9), round, (5, 5)))
        .collect();
    assert_eq!(rules_of(&hits), [Rule::Collusion]);
    assert_eq!(hits[0].evidence["shared"]["device"], "01234567");
}

#[test]
fn big_wins_piling_up_on_new_accounts_fire_and_wins_in_step_with_their_bets_do_not() {
    let hour = FRESH_WINS_WINDOW_MS;
    let now = 10 * FRESH_ACCOUNT_MS;
    let fresh = now - 3_600_000;
    // Half an hour of play: 2,000 bets, one in ten by new accounts; old accounts win big 5 times.
    let mut rules = Rules::default();
    for i in 0..2_000 {
        let at = now + i * hour / 2_000 / 2;
        let joined = if i % 10 == 0 { fresh } else { 0 };
        let payout = if i % 400 == 1 { 20_000 } else { 0 };
        assert!(rules
            .observe(&settled_for(1_000 + i % 50, joined, 1_000, payout, at))
            .is_empty());
    }
    // Then eight new accounts each win 50x in a few minutes: 7 of 12 big wins, where 1 in 10
    // is what their bets would give.
    let mut hits = Vec::new();
    for player in 0..8 {
        hits.extend(rules.observe(&settled_for(
            player,
            fresh,
            1_000,
            50_000,
            now + hour / 2 + player,
        )));
    }
    assert_eq!(rules_of(&hits), [Rule::FreshAccountWins]);
    assert!(hits[0].players.len() >= FRESH_WINS_MIN, "{:?}", hits[0]);
    // Half the bets by new accounts, half the big wins to them: nothing unusual.
    let mut rules = Rules::default();
    let mut hits = Vec::new();
    for i in 0..2_000 {
        let at = now + i * hour / 2_000;
        let joined = if i % 2 == 0 { fresh } else { 0 };
        let payout = if i % 40 < 2 { 20_000 } else { 0 };
        hits.extend(rules.observe(&settled_for(i % 60, joined, 1_000, payout, at)));
    }
    assert!(hits.is_empty(), "{hits:?}");
}

#[test]
fn the_console_filters_by_every_rule_name() {
    let names = Rule::ALL.map(Rule::as_str);
    assert_eq!(names, protocol::console::RISK_RULES);
    assert!(Rule::ALL
        .iter()
        .all(|rule| Rule::parse(rule.as_str()) == Some(*rule)));
}
