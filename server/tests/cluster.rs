//! Two nodes on one PostgreSQL database and one Redis, as a cluster runs them: a player's events
//! reach their tabs on either node, and the dice feed is one stream with the same `seq` on both.

mod common;

use common::{dice_bet, TestApp};

async fn two_nodes() -> (TestApp, TestApp) {
    let database = engine::testing::postgres_database().await;
    let (redis, prefix) = engine::testing::redis();
    let a = TestApp::spawn_node(&database, &redis, &prefix).await;
    let b = TestApp::spawn_node(&database, &redis, &prefix).await;
    (a, b)
}

#[tokio::test]
async fn a_bet_on_one_node_reaches_the_players_tab_on_the_other() {
    let (a, b) = two_nodes().await;
    let token = a.register("alice").await;
    let mut on_a = a.ws(Some(&token)).await;
    let mut on_b = b.ws(Some(&token)).await;
    assert_eq!(
        on_a.welcome["epoch"], on_b.welcome["epoch"],
        "one cluster, one epoch"
    );

    let ack = on_a.call(dice_bet("cross", 1_000, 5_000)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let balance = ack["result"]["balance"].clone();
    let pushed = on_b.until(|f| f["type"] == "balance").await;
    assert_eq!(pushed["balance"], balance);
    let seen_on_a = on_a.until(|f| f["type"] == "balance").await;
    assert_eq!(seen_on_a["seq"], pushed["seq"]);

    // The other way round, and the balance the second node reads is the database's.
    let ack = on_b.call(dice_bet("back", 500, 5_000)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let pushed = on_a
        .until(|f| f["type"] == "balance" && f["balance"] == ack["result"]["balance"])
        .await;
    assert!(pushed["seq"].as_u64() > seen_on_a["seq"].as_u64());
}

#[tokio::test]
async fn both_nodes_carry_one_dice_feed_with_the_same_seq() {
    let (a, b) = two_nodes().await;
    let (alice, bob) = (a.register("alice").await, b.register("bob").await);
    let mut alice_ws = a.ws(Some(&alice)).await;
    let mut bob_ws = b.ws(Some(&bob)).await;
    let mut watch_a = a.ws(None).await;
    let mut watch_b = b.ws(None).await;
    for i in 0..3 {
        let on_a = alice_ws.call(dice_bet(&format!("a{i}"), 100, 5_000)).await;
        let on_b = bob_ws.call(dice_bet(&format!("b{i}"), 100, 5_000)).await;
        assert_eq!(
            (on_a["type"].as_str(), on_b["type"].as_str()),
            (Some("ack"), Some("ack"))
        );
    }
    let mut feeds = Vec::new();
    for watcher in [&mut watch_a, &mut watch_b] {
        let mut feed = Vec::new();
        while feed.len() < 6 {
            let event = watcher.until(|f| f["type"] == "dice_feed").await;
            feed.push((event["seq"].as_u64().unwrap(), event["bet"]["id"].clone()));
        }
        feeds.push(feed);
    }
    assert_eq!(
        feeds[0], feeds[1],
        "the same events with the same seq on both nodes"
    );
    let seqs: Vec<u64> = feeds[0].iter().map(|(seq, _)| *seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "no gaps: {seqs:?}"
    );
}

#[tokio::test]
async fn a_logout_on_one_node_closes_the_sessions_tabs_on_the_other() {
    let (a, b) = two_nodes().await;
    let token = a.register("carol").await;
    let mut on_b = b.ws(Some(&token)).await;
    let response = a
        .http()
        .post(a.url("/auth/logout"))
        .header("cookie", format!("zl_session={token}"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(on_b.closed().await, Some(4001));
}
