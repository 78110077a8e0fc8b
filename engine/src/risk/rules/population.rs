//! An honest population, simulated: every rule runs over what 1,000 people do in two hours,
//! in time order, and fewer than 1% of them may be flagged by any rule.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::net::IpAddr;

/// Crash rounds open every 10 s.
const ROUND_MS: i64 = 10_000;
const STAKES: [i64; 4] = [100, 500, 1_000, 2_500];

struct Person {
    id: i64,
    ip: IpAddr,
    device: String,
    joined_ms: i64,
    /// Picks long shots (1% to 10% chances) instead of 10% to 90%.
    long_shots: bool,
}

/// Where people come from: most from an address of their own, some two to a home (some of
/// those on one shared computer), some behind a few mobile carriers' shared networks.
fn people(rng: &mut StdRng) -> Vec<Person> {
    let mut people = Vec::new();
    for id in 0..1_000i64 {
        let ip = match id % 20 {
            // Two to a home: this one and the next share an address.
            0 | 1 => IpAddr::from([198, 18, (id / 256) as u8, (id % 256 / 2) as u8]),
            // Five carriers' /24s.
            2 => IpAddr::from([100, 64, (id / 20 % 5) as u8, rng.gen_range(1..255)]),
            _ => IpAddr::from([
                rng.gen_range(11..200),
                rng.gen_range(0..=255),
                rng.gen_range(0..=255),
                rng.gen_range(1..255),
            ]),
        };
        // One home in ten shares one computer.
        let device = if id % 200 == 1 {
            format!("{:032x}", id - 1)
        } else {
            format!("{id:032x}")
        };
        let fresh = rng.gen_bool(0.5);
        people.push(Person {
            id,
            ip,
            device,
            // Fresh ones register as they arrive (set below); the rest long ago.
            joined_ms: if fresh { -1 } else { 0 },
            long_shots: rng.gen_bool(0.1),
        });
    }
    people
}

/// One person's session: a sign-in, dice bets at human pace, crash rounds now and then.
fn session(rng: &mut StdRng, person: &mut Person, events: &mut Vec<(i64, Signal)>) {
    let player = PlayerId(person.id);
    let start = rng.gen_range(FRESH_ACCOUNT_MS..FRESH_ACCOUNT_MS + 3_600_000);
    let new_account = person.joined_ms < 0;
    if new_account {
        person.joined_ms = start;
    }
    let signed_in = Signal::SignedIn {
        player,
        ip: person.ip,
        device: Some(person.device.clone()),
        new_account,
        at_ms: start,
    };
    events.push((start, signed_in));
    let mut at = start;
    let mut stake = STAKES[rng.gen_range(0..4)];
    for _ in 0..100 {
        at += if rng.gen_bool(0.05) {
            rng.gen_range(10_000..60_000)
        } else {
            rng.gen_range(800..8_000)
        };
        if rng.gen_bool(0.1) {
            stake = STAKES[rng.gen_range(0..4)];
        }
        let (amount, at_ms) = (stake, at);
        events.push((
            at,
            Signal::Bet {
                player,
                amount,
                at_ms,
            },
        ));
        let chance = if person.long_shots {
            rng.gen_range(0.01..0.1)
        } else {
            rng.gen_range(0.1..0.9)
        };
        let payout = if rng.gen_bool(chance) {
            (stake as f64 * 0.99 / chance) as i64
        } else {
            0
        };
        let joined_ms = person.joined_ms;
        let at_ms = at + 1;
        events.push((
            at_ms,
            Signal::Settled {
                player,
                stake,
                payout,
                joined_ms,
                at_ms,
            },
        ));
    }
    rounds(rng, player, (start, at), events);
}

/// Crash rounds played within `(from, to)`: about one in three, bet after reading the round,
/// half cashed out by hand.
fn rounds(
    rng: &mut StdRng,
    player: PlayerId,
    (from, to): (i64, i64),
    events: &mut Vec<(i64, Signal)>,
) {
    for round in from / ROUND_MS + 1..to / ROUND_MS {
        if !rng.gen_bool(0.3) {
            continue;
        }
        let open = round * ROUND_MS;
        let reaction_ms = rng.gen_range(350..4_500);
        let at_ms = open + reaction_ms;
        let amount = STAKES[rng.gen_range(0..4)];
        events.push((
            at_ms,
            Signal::Bet {
                player,
                amount,
                at_ms,
            },
        ));
        events.push((
            at_ms,
            Signal::RoundBet {
                player,
                round,
                reaction_ms,
                at_ms,
            },
        ));
        if rng.gen_bool(0.5) {
            let at_ms = open + rng.gen_range(5_300..9_500);
            events.push((
                at_ms,
                Signal::CashedOut {
                    player,
                    round,
                    at_ms,
                },
            ));
        }
    }
}

#[test]
fn fewer_than_one_percent_of_an_honest_population_is_flagged() {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut people = people(&mut rng);
    let mut events = Vec::new();
    for person in &mut people {
        session(&mut rng, person, &mut events);
    }
    events.sort_by_key(|(at, _)| *at);
    let mut rules = Rules::default();
    let mut flagged = std::collections::HashSet::new();
    let mut fired = std::collections::BTreeMap::new();
    for (_, signal) in &events {
        for hit in rules.observe(signal) {
            *fired.entry(hit.rule.as_str()).or_insert(0) += 1;
            flagged.extend(hit.players);
        }
    }
    println!(
        "honest population: {} signals; {} of 1,000 people flagged; alerts by rule: {fired:?}",
        events.len(),
        flagged.len()
    );
    assert!(flagged.len() < 10, "{fired:?} {flagged:?}");
}
