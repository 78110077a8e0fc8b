//! The crash game against the real server: players in one round, manual and automatic
//! cash-outs, a cash-out racing the crash, and refusals. The chain's seed is chosen by the test
//! so that every round's crash point is known in advance (production seeds are secret).

mod common;

use common::{Db, TestApp, Ws};
use engine::rounds::KNOWN_CHAIN_SALT;
use protocol::chain;
use protocol::crash::{crash_point_x100, elapsed_ms_for, payout_cents};
use serde_json::{json, Value};
use std::time::Duration;

const CHAIN_ROUNDS: usize = 32;

fn crash_points(seed: [u8; 32]) -> Vec<u64> {
    let (hashes, _) = chain::build(seed, CHAIN_ROUNDS);
    hashes
        .iter()
        .map(|h| crash_point_x100(KNOWN_CHAIN_SALT, h))
        .collect()
}

/// A chain seed whose round 1 ends fast (by 1.10x) and whose round 2 crashes within `range`,
/// so a test plays round 2 without waiting long. Returns the seed and round 2's crash point.
fn seed_for_round_two(range: std::ops::RangeInclusive<u64>) -> ([u8; 32], u64) {
    for i in 0..=u16::MAX {
        let mut seed = [0u8; 32];
        seed[..2].copy_from_slice(&i.to_le_bytes());
        let points = crash_points(seed);
        if points[0] <= 110 && range.contains(&points[1]) {
            return (seed, points[1]);
        }
    }
    panic!("no seed found for {range:?}");
}

/// Waits for round 2's betting phase; returns its id. Frames read before are dropped.
async fn round_two_betting(ws: &mut Ws) -> Value {
    let frame = ws
        .until(|f| {
            (f["type"] == "crash_round" || f["type"] == "crash_state")
                && f["round"]["number"] == 2
                && f["round"]["phase"] == "betting"
        })
        .await;
    ws.forget_unclaimed();
    frame["round"]["id"].clone()
}

async fn start(range: std::ops::RangeInclusive<u64>) -> (TestApp, u64) {
    start_on(Db::Sqlite, range).await
}

async fn start_on(db: Db, range: std::ops::RangeInclusive<u64>) -> (TestApp, u64) {
    let (seed, point) = seed_for_round_two(range);
    (
        TestApp::spawn_on(db, Some((seed, CHAIN_ROUNDS)), None).await,
        point,
    )
}

async fn balance_of(app: &TestApp, token: &str) -> i64 {
    app.ws(Some(token)).await.welcome["balance"]
        .as_i64()
        .unwrap()
}

fn bet(cents: i64, auto: Option<u64>) -> Value {
    json!({ "type": "crash_bet", "idem": format!("crash-{cents}-{auto:?}-{}", rand_suffix()), "amount": cents, "auto_cashout_x100": auto })
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test]
async fn two_players_share_a_round_with_manual_and_automatic_cash_outs() {
    two_players_share_a_round(Db::Sqlite).await;
}

#[tokio::test]
async fn two_players_share_a_round_with_manual_and_automatic_cash_outs_on_postgres() {
    two_players_share_a_round(Db::Postgres).await;
}

async fn two_players_share_a_round(db: Db) {
    let (app, point) = start_on(db, 115..=160).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let (mut a, mut b) = (app.ws(Some(&alice)).await, app.ws(Some(&bob)).await);
    let round = round_two_betting(&mut a).await;
    round_two_betting(&mut b).await;

    assert_eq!(a.call(bet(1_000, None)).await["type"], "ack");
    let placed = b.call(bet(2_000, Some(110))).await;
    assert_eq!(placed["result"]["balance"], 100_000 - 2_000);
    // Each sees the other's bet in the feed.
    b.until(|f| f["type"] == "crash_bet" && f["bet"]["username"] == "alice")
        .await;
    a.until(|f| f["type"] == "crash_bet" && f["bet"]["username"] == "bob")
        .await;

    // Alice cashes out by hand once the multiplier passes 1.05x.
    a.until(|f| {
        f["type"] == "crash_tick"
            && f["round"] == round
            && f["multiplier_x100"].as_u64().unwrap() >= 105
    })
    .await;
    let cashed = a.call(json!({"type": "crash_cash_out"})).await;
    assert_eq!(cashed["type"], "ack", "{cashed}");
    let m = cashed["result"]["multiplier_x100"].as_u64().unwrap();
    assert!((105..point).contains(&m), "{m} vs crash {point}");
    assert_eq!(
        cashed["result"]["payout"].as_i64().unwrap(),
        payout_cents(1_000, m)
    );
    // A second cash-out is refused.
    assert_eq!(
        a.call(json!({"type": "crash_cash_out"})).await["code"],
        "already_cashed_out"
    );

    // Bob rides to his automatic 1.10x, seen by both.
    for ws in [&mut a, &mut b] {
        let auto = ws
            .until(|f| {
                f["type"] == "crash_bet"
                    && f["bet"]["username"] == "bob"
                    && !f["bet"]["cashed_out_x100"].is_null()
            })
            .await;
        assert_eq!(
            (
                auto["bet"]["cashed_out_x100"].as_u64(),
                auto["bet"]["payout"].as_i64()
            ),
            (Some(110), Some(2_200))
        );
    }
    // The round crashes where the chain says, and its revealed hash links to the previous one.
    let crashed = b
        .until(|f| f["type"] == "crash_round" && f["round"]["phase"] == "crashed")
        .await;
    assert_eq!(crashed["round"]["crash_x100"].as_u64(), Some(point));
    let hash = chain::parse_hash(crashed["round"]["hash"].as_str().unwrap()).unwrap();
    let previous = chain::parse_hash(crashed["round"]["previous_hash"].as_str().unwrap()).unwrap();
    assert!(chain::links_to(&hash, &previous));

    assert_eq!(
        balance_of(&app, &alice).await,
        100_000 - 1_000 + payout_cents(1_000, m)
    );
    assert_eq!(balance_of(&app, &bob).await, 100_000 - 2_000 + 2_200);
    app.assert_rounds_settled().await;
}

#[tokio::test]
async fn a_cash_out_racing_the_crash_is_paid_only_if_it_arrived_first() {
    let (app, point) = start(105..=150).await;
    let alice = app.register("alice").await;
    let mut a = app.ws(Some(&alice)).await;
    round_two_betting(&mut a).await;
    assert_eq!(a.call(bet(1_000, None)).await["type"], "ack");
    a.until(|f| f["type"] == "crash_round" && f["round"]["phase"] == "running")
        .await;
    // Aim the cash-out at the crash instant itself.
    tokio::time::sleep(Duration::from_millis(
        elapsed_ms_for(point).saturating_sub(5),
    ))
    .await;
    let reply = a.call(json!({"type": "crash_cash_out"})).await;
    let expected = match reply["type"].as_str().unwrap() {
        "ack" => {
            let m = reply["result"]["multiplier_x100"].as_u64().unwrap();
            assert!(m < point, "paid {m} at or after the crash {point}");
            100_000 - 1_000 + payout_cents(1_000, m)
        }
        _ => {
            assert_eq!(reply["code"], "round_crashed", "{reply}");
            100_000 - 1_000
        }
    };
    a.until(|f| f["type"] == "crash_round" && f["round"]["phase"] == "crashed")
        .await;
    // Too late for certain now.
    let late = a.call(json!({"type": "crash_cash_out"})).await;
    assert!(
        late["code"] == "round_crashed"
            || late["code"] == "already_cashed_out"
            || late["code"] == "no_bet",
        "{late}"
    );
    assert_eq!(balance_of(&app, &alice).await, expected);
    app.assert_rounds_settled().await;
}

#[tokio::test]
async fn crash_commands_outside_their_moment_are_refused_and_change_nothing() {
    let (app, _) = start(130..=200).await;
    let alice = app.register("alice").await;
    let mut a = app.ws(Some(&alice)).await;
    round_two_betting(&mut a).await;
    assert_eq!(
        a.call(json!({"type": "crash_cash_out"})).await["code"],
        "no_bet"
    );
    assert_eq!(
        a.call(bet(1_000, Some(100))).await["code"],
        "invalid_auto_cashout"
    );
    assert_eq!(
        a.call(bet(1_000, Some(1_000_001))).await["code"],
        "invalid_auto_cashout"
    );
    assert_eq!(a.call(bet(0, None)).await["code"], "bet_too_small");
    assert_eq!(a.call(bet(-5, None)).await["code"], "bet_too_small");
    assert_eq!(a.call(bet(1_000_001, None)).await["code"], "bet_too_large");
    assert_eq!(
        a.call(bet(100_001, None)).await["code"],
        "insufficient_funds"
    );
    assert_eq!(a.call(bet(1_000, None)).await["type"], "ack");
    assert_eq!(a.call(bet(1_000, None)).await["code"], "already_bet");
    a.until(|f| f["type"] == "crash_round" && f["round"]["phase"] == "running")
        .await;
    let mut b = app.ws(Some(&app.register("bob").await)).await;
    assert_eq!(b.call(bet(1_000, None)).await["code"], "betting_closed");
    assert_eq!(balance_of(&app, &alice).await, 100_000 - 1_000);
    let mut watcher = app.ws(None).await;
    assert_eq!(watcher.call(bet(1_000, None)).await["code"], "unauthorized");
    app.assert_rounds_settled().await;
}

#[tokio::test]
async fn a_retry_racing_its_refused_original_is_placed_once_and_answered_in_later_rounds() {
    let (app, _) = start(101..=125).await;
    let alice = app.register("alice").await;
    let mut a = app.ws(Some(&alice)).await;
    let round = round_two_betting(&mut a).await;
    // The same key twice, back to back: first for more than the balance, then a small stake.
    let key = format!("race-{}", rand_suffix());
    let command = |cents: i64| json!({ "type": "crash_bet", "idem": key, "amount": cents, "auto_cashout_x100": null });
    let first = a.send(command(200_000)).await;
    let retry = a.send(command(1_000)).await;
    assert_eq!(a.reply(first).await["code"], "insufficient_funds");
    let placed = a.reply(retry).await;
    assert_eq!(placed["result"]["round"], round, "{placed}");
    assert_eq!(placed["result"]["status"], "open");
    assert_eq!(placed["result"]["balance"], 100_000 - 1_000);
    // The bet the player was told about is the one everyone sees.
    let seen = a
        .until(|f| f["type"] == "crash_bet" && f["bet"]["username"] == "alice")
        .await;
    assert_eq!(seen["round"], round);
    assert_eq!(seen["bet"]["amount"], 1_000);

    // Resent while the round runs (say, after a reconnect): the original answer.
    a.until(|f| f["type"] == "crash_round" && f["round"]["phase"] == "running")
        .await;
    assert_eq!(a.call(command(1_000)).await["result"], placed["result"]);
    // Resent in the next round: the original bet, now lost, and nothing new is held.
    a.until(|f| f["type"] == "crash_round" && f["round"]["number"] == 3)
        .await;
    let later = a.call(command(1_000)).await;
    assert_eq!(later["result"]["round"], round, "{later}");
    assert_eq!(later["result"]["status"], "lost");
    assert_eq!(later["result"]["payout"], 0);
    assert_eq!(a.call(command(2_000)).await["code"], "idempotency_conflict");
    assert_eq!(balance_of(&app, &alice).await, 100_000 - 1_000);
    app.assert_rounds_settled().await;
}

fn unix_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

#[tokio::test]
async fn every_event_carries_the_time_the_server_published_it() {
    let (app, _) = start(130..=200).await;
    let before = unix_ms();
    let mut watcher = app.ws(None).await;
    let state = watcher.until(|f| f["type"] == "crash_state").await;
    let first = watcher.until(|f| f["type"] == "crash_tick").await;
    let second = watcher.until(|f| f["type"] == "crash_tick").await;
    let after = unix_ms();
    let at = |frame: &Value| frame["at_ms"].as_i64().expect("at_ms on every event");
    assert!(
        before <= at(&state) && at(&state) <= at(&first),
        "{state} {first}"
    );
    assert!(
        at(&first) <= at(&second) && at(&second) <= after,
        "{first} {second}"
    );
    assert!(second["seq"].as_u64() > first["seq"].as_u64());
    app.assert_rounds_settled().await;
}
