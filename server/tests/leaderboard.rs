//! Leaderboards over the WebSocket and on the page, against the real server: a watcher gets
//! the scope's boards, then each change of their tops as a diff; an unknown scope is refused;
//! `/leaderboard` and profiles show the ranks, rendered on the server.

mod common;

use common::{dice_bet, TestApp, Ws};
use serde_json::{json, Value};

fn watch(scope: &str) -> Value {
    json!({"type": "leaderboard_watch", "scope": scope})
}

/// The change of one board in a `leaderboard` frame, if the frame has one.
fn change<'f>(frame: &'f Value, period: &str, metric: &str) -> Option<&'f Value> {
    frame["changes"]
        .as_array()?
        .iter()
        .find(|change| change["key"]["period"] == period && change["key"]["metric"] == metric)
}

/// The next `leaderboard` frame that changes `period`'s `metric` board.
async fn next_change(ws: &mut Ws, period: &str, metric: &str) -> Value {
    let frame = ws
        .until(|f| f["type"] == "leaderboard" && change(f, period, metric).is_some())
        .await;
    change(&frame, period, metric).unwrap().clone()
}

#[tokio::test]
async fn a_watcher_gets_the_boards_then_each_change_of_their_tops() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut visitor = app.ws(None).await;
    let ack = visitor.call(watch("dice")).await;
    assert_eq!(ack["result"]["kind"], "leaderboard_watch", "{ack}");
    let snapshot = visitor.until(|f| f["type"] == "leaderboard").await;
    assert_eq!(snapshot["topic"], "leaderboard:dice");
    assert_eq!(
        snapshot["changes"].as_array().unwrap().len(),
        6,
        "{snapshot}"
    );

    // A bet past the profit minimum: alice tops both of today's dice boards.
    let mut alice_ws = app.ws(Some(&alice)).await;
    let bet = alice_ws.call(dice_bet("a1", 20_000, 5_000)).await;
    let profit = bet["result"]["bet"]["payout"].as_i64().unwrap() - 20_000;
    let frame = visitor
        .until(|f| f["type"] == "leaderboard" && change(f, "day", "profit").is_some())
        .await;
    let wagered = change(&frame, "day", "wagered").unwrap();
    assert_eq!(wagered["len"], 1);
    assert_eq!(
        wagered["rows"],
        json!([{"rank": 1, "username": "alice", "score": 20_000}])
    );
    let profits = change(&frame, "day", "profit").unwrap();
    assert_eq!(
        profits["rows"],
        json!([{"rank": 1, "username": "alice", "score": profit}])
    );
    visitor.forget_unclaimed();

    // Bob wagers more: only the rows that moved are sent.
    let mut bob_ws = app.ws(Some(&bob)).await;
    bob_ws.call(dice_bet("b1", 30_000, 9_000)).await;
    let wagered = next_change(&mut visitor, "all", "wagered").await;
    assert_eq!(wagered["len"], 2);
    assert_eq!(
        wagered["rows"],
        json!([
            {"rank": 1, "username": "bob", "score": 30_000},
            {"rank": 2, "username": "alice", "score": 20_000},
        ])
    );

    // The page and the profile show the same, rendered on the server.
    let page = app
        .http()
        .get(app.url("/leaderboard?scope=dice&metric=wagered"));
    let html = page.send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<h1>Leaderboard</h1>"), "{html}");
    for title in ["Today", "This week", "All time"] {
        assert!(html.contains(&format!("aria-label=\"{title}\"")), "{title}");
    }
    assert!(html.contains("/u/bob"));
    let profile = app.http().get(app.url("/u/alice")).send().await.unwrap();
    let html = profile.text().await.unwrap();
    assert!(html.contains("#2 All time by wagered"), "{html}");
}

#[tokio::test]
async fn an_unknown_scope_is_refused() {
    let app = TestApp::spawn().await;
    let mut visitor = app.ws(None).await;
    let refused = visitor.call(watch("poker")).await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "unknown_scope");
}
