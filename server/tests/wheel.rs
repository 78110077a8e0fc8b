//! The wheel against the real server: two players in one round, one winning segment, the same
//! result for everyone, and refusals. The chain's seed is the test's, so every slot is known.

mod common;

use common::{is_wheel_betting, TestApp};
use engine::rounds::KNOWN_CHAIN_SALT;
use protocol::chain;
use protocol::wheel::{self, Segment};
use serde_json::{json, Value};

const CHAIN_ROUNDS: usize = 16;
const SEED: [u8; 32] = [11u8; 32];

fn landed(number: i64) -> (u32, Segment) {
    let (hashes, _) = chain::build(SEED, CHAIN_ROUNDS);
    let slot = wheel::slot(KNOWN_CHAIN_SALT, &hashes[(number - 1) as usize]);
    (slot, wheel::layout()[slot as usize])
}

fn bet(idem: &str, cents: i64, segment: Segment) -> Value {
    json!({ "type": "wheel_bet", "idem": idem, "amount": cents, "segment": segment })
}

/// Each bet's player and payout in a `spinning` round.
fn payouts(spin: &Value) -> Vec<(String, i64)> {
    let bets = spin["bets"].as_array().unwrap().iter();
    bets.map(|b| {
        let username = b["username"].as_str().unwrap().to_owned();
        (username, b["payout"].as_i64().unwrap())
    })
    .collect()
}

#[tokio::test]
async fn everyone_sees_the_same_slot_and_only_the_right_segment_wins() {
    let app = TestApp::spawn_with_chains(None, Some((SEED, CHAIN_ROUNDS))).await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let (mut a, mut b) = (app.ws(Some(&alice)).await, app.ws(Some(&bob)).await);
    let betting = a.until(is_wheel_betting).await;
    let round = betting["round"]["id"].clone();
    let (slot, segment) = landed(betting["round"]["number"].as_i64().unwrap());
    let other = Segment::ALL.into_iter().find(|s| *s != segment).unwrap();

    assert_eq!(a.call(bet("a", 1_000, segment)).await["type"], "ack");
    let placed = b.call(bet("b", 2_000, other)).await;
    assert_eq!(placed["result"]["balance"], 100_000 - 2_000);
    assert_eq!(
        b.call(bet("b2", 2_000, segment)).await["code"],
        "already_bet"
    );
    // A retry of the same bet (say, after a reconnect) gets the original answer.
    assert_eq!(
        b.call(bet("b", 2_000, other)).await["result"],
        placed["result"]
    );
    assert_eq!(
        b.call(bet("b", 2_500, other)).await["code"],
        "idempotency_conflict"
    );

    let mut results = Vec::new();
    for ws in [&mut a, &mut b] {
        let spin = ws
            .until(|f| {
                f["type"] == "wheel_round"
                    && f["round"]["id"] == round
                    && f["round"]["phase"] == "spinning"
            })
            .await;
        results.push(spin);
    }
    assert_eq!(
        results[0], results[1],
        "one encoding, the same result for everyone"
    );
    let spin = &results[0];
    assert_eq!(spin["round"]["slot"].as_u64(), Some(u64::from(slot)));
    let hash = chain::parse_hash(spin["round"]["hash"].as_str().unwrap()).unwrap();
    let previous = chain::parse_hash(spin["round"]["previous_hash"].as_str().unwrap()).unwrap();
    assert!(chain::links_to(&hash, &previous));
    let win = 1_000 * segment.multiplier_x100() as i64 / 100;
    let payouts = payouts(spin);
    assert!(payouts.contains(&("alice".to_owned(), win)), "{payouts:?}");
    assert!(payouts.contains(&("bob".to_owned(), 0)), "{payouts:?}");

    assert_eq!(
        app.ws(Some(&alice)).await.welcome["balance"],
        100_000 - 1_000 + win
    );
    assert_eq!(app.ws(Some(&bob)).await.welcome["balance"], 100_000 - 2_000);
    app.assert_rounds_settled().await;
}

#[tokio::test]
async fn a_wheel_retry_racing_its_refused_original_is_placed_once_settled_and_replayed_later() {
    let app = TestApp::spawn_with_chains(None, Some((SEED, CHAIN_ROUNDS))).await;
    let alice = app.register("alice").await;
    let mut a = app.ws(Some(&alice)).await;
    let betting = a.until(is_wheel_betting).await;
    a.forget_unclaimed();
    let round = betting["round"]["id"].clone();
    let (_, segment) = landed(betting["round"]["number"].as_i64().unwrap());
    // The same key twice, back to back: first for more than the balance, then a small stake.
    let first = a.send(bet("race", 200_000, segment)).await;
    let retry = a.send(bet("race", 1_000, segment)).await;
    assert_eq!(a.reply(first).await["code"], "insufficient_funds");
    let placed = a.reply(retry).await;
    assert_eq!(placed["result"]["round"], round, "{placed}");
    assert_eq!(placed["result"]["status"], "open");
    assert_eq!(placed["result"]["balance"], 100_000 - 1_000);
    let seen = a
        .until(|f| f["type"] == "wheel_bet" && f["bet"]["username"] == "alice")
        .await;
    assert_eq!(seen["bet"]["amount"], 1_000);

    let spin = a
        .until(|f| {
            f["type"] == "wheel_round"
                && f["round"]["id"] == round
                && f["round"]["phase"] == "spinning"
        })
        .await;
    let win = 1_000 * segment.multiplier_x100() as i64 / 100;
    assert_eq!(spin["bets"][0]["payout"], win, "{spin}");
    // Resent in a later round: the original bet and its result; nothing new is held.
    a.until(|f| f["type"] == "wheel_round" && f["round"]["phase"] == "betting")
        .await;
    let later = a.call(bet("race", 1_000, segment)).await;
    assert_eq!(later["result"]["round"], round, "{later}");
    assert_eq!(later["result"]["status"], "won");
    assert_eq!(later["result"]["payout"], win);
    assert_eq!(
        a.call(bet("nothing", 0, segment)).await["code"],
        "bet_too_small"
    );
    assert_eq!(
        app.ws(Some(&alice)).await.welcome["balance"],
        100_000 - 1_000 + win
    );
    app.assert_rounds_settled().await;
}

#[tokio::test]
async fn chains_and_ended_rounds_are_published_as_json() {
    let app = TestApp::spawn_with_chains(None, Some((SEED, CHAIN_ROUNDS))).await;
    let mut watcher = app.ws(None).await;
    let spin = watcher
        .until(|f| f["type"] == "wheel_round" && f["round"]["phase"] == "spinning")
        .await;
    let http = app.http();
    let chains: Value = http
        .get(app.url("/api/chains"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, terminal) = chain::build(SEED, CHAIN_ROUNDS);
    let wheel_chain = chains
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["game"] == "wheel")
        .expect("the wheel's chain is published");
    assert_eq!(wheel_chain["terminal_hash"], hex::encode(terminal));
    assert_eq!(wheel_chain["salt"], KNOWN_CHAIN_SALT);
    assert_eq!(wheel_chain["rounds"], CHAIN_ROUNDS);
    let rounds: Value = http
        .get(app.url("/api/rounds/wheel"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let latest = &rounds[0];
    assert_eq!(latest["id"], spin["round"]["id"]);
    assert_eq!(latest["hash"], spin["round"]["hash"]);
    assert_eq!(latest["outcome"], spin["round"]["slot"]);
    let unknown = http
        .get(app.url("/api/rounds/plinko"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["code"], "unknown_game");
    // The same commitment is on /fair, in the server-rendered page.
    let fair = http.get(app.url("/fair")).send().await.unwrap();
    let fair = fair.text().await.unwrap();
    assert!(
        fair.contains(&hex::encode(terminal)),
        "terminal hash on /fair"
    );
    assert!(fair.contains(KNOWN_CHAIN_SALT));
    app.assert_rounds_settled().await;
}
