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

/// The next `crash_bet` event for the player `name`.
async fn bet_event(ws: &mut common::Ws, name: &str) -> serde_json::Value {
    ws.until(|f| f["type"] == "crash_bet" && f["bet"]["username"] == name)
        .await
}

/// The first crash round in its betting window that both connections see; returns its id.
async fn shared_betting_round(
    first: &mut common::Ws,
    second: &mut common::Ws,
) -> serde_json::Value {
    let betting = |f: &serde_json::Value| {
        (f["type"] == "crash_round" || f["type"] == "crash_state")
            && f["round"]["phase"] == "betting"
    };
    loop {
        let round = first.until(betting).await["round"]["id"].clone();
        let seen = second.until(|f| betting(f) && f["round"]["id"] == round);
        if tokio::time::timeout(std::time::Duration::from_secs(5), seen)
            .await
            .is_ok()
        {
            return round;
        }
    }
}

#[tokio::test]
async fn players_on_both_nodes_bet_in_one_crash_round_and_see_the_same_stream() {
    let (a, b) = two_nodes().await;
    let (alice, bob) = (a.register("alice").await, b.register("bob").await);
    let mut on_a = a.ws(Some(&alice)).await;
    let mut on_b = b.ws(Some(&bob)).await;
    let round = shared_betting_round(&mut on_a, &mut on_b).await;
    let bet = |idem: &str| serde_json::json!({"type": "crash_bet", "idem": idem, "amount": 1_000, "auto_cashout_x100": null});
    let from_a = on_a.call(bet("a-crash")).await;
    let from_b = on_b.call(bet("b-crash")).await;
    assert_eq!(from_a["type"], "ack", "{from_a}");
    assert_eq!(from_b["type"], "ack", "{from_b}");
    assert_eq!(from_a["result"]["round"], round);
    assert_eq!(from_b["result"]["round"], round);
    // Each node's client sees both bets, as the same events with the same seq.
    let (bob_on_a, bob_on_b) = (
        bet_event(&mut on_a, "bob").await,
        bet_event(&mut on_b, "bob").await,
    );
    assert_eq!(bob_on_a["seq"], bob_on_b["seq"]);
    let alice_on_b = bet_event(&mut on_b, "alice").await;
    assert_eq!(alice_on_b["round"], round);
    // A cash-out from either node gets a real answer (paid, or the round crashed first).
    on_b.until(|f| f["type"] == "crash_round" && f["round"]["phase"] == "running")
        .await;
    let cashed = on_b
        .call(serde_json::json!({"type": "crash_cash_out"}))
        .await;
    assert!(
        cashed["type"] == "ack" || cashed["code"] == "round_crashed",
        "{cashed}"
    );
    // The round ends at the same point on both nodes. Both clients are read together: a round
    // may outlast WS_IDLE_TIMEOUT_MS, and a client left unread meanwhile answers no Ping.
    let crashed =
        |f: &serde_json::Value| f["type"] == "crash_round" && f["round"]["phase"] == "crashed";
    let (end_a, end_b) = tokio::join!(on_a.until(crashed), on_b.until(crashed));
    assert_eq!(end_a["round"]["id"], round);
    assert_eq!(end_a["round"]["crash_x100"], end_b["round"]["crash_x100"]);
    assert_eq!(end_a["seq"], end_b["seq"]);
    a.assert_rounds_settled().await;
}

#[tokio::test]
async fn wrong_passwords_spread_over_the_nodes_are_counted_together() {
    let (a, b) = two_nodes().await;
    a.register("heidi").await;
    // The burst per (account, address) is 5: alternating nodes gains an attacker nothing.
    let mut statuses = Vec::new();
    for attempt in 0..7 {
        let node = if attempt % 2 == 0 { &a } else { &b };
        statuses.push(node.auth("login", "heidi", "guess-guess").await.0);
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert_eq!(&statuses[5..], &[429, 429]);
}

#[tokio::test]
async fn a_client_that_reconnects_to_the_other_node_resumes_its_feed_without_gaps_or_repeats() {
    let (a, b) = two_nodes().await;
    let token = a.register("dave").await;
    let mut player = a.ws(Some(&token)).await;
    let mut watcher = a.ws(None).await;
    let epoch = watcher.welcome["epoch"].as_u64().unwrap();
    let mut bets = Vec::new();
    for i in 0..3 {
        let ack = player.call(dice_bet(&format!("r{i}"), 100, 5_000)).await;
        bets.push(ack["result"]["bet"]["id"].clone());
    }
    let first = watcher.until(|f| f["type"] == "dice_feed").await;
    let seen = first["seq"].as_u64().unwrap();
    drop(watcher);

    // On node b, from the seq seen on node a: the two missed events with their seqs, then live.
    let mut resumed = b
        .ws_at(&format!("/ws?epoch={epoch}&dice={seen}"), None, None)
        .await
        .unwrap();
    assert_eq!(resumed.welcome["epoch"].as_u64(), Some(epoch));
    for (n, expected) in bets[1..].iter().enumerate() {
        let event = resumed.until(|f| f["type"] == "dice_feed").await;
        assert_eq!(&event["bet"]["id"], expected);
        assert_eq!(event["seq"].as_u64(), Some(seen + 1 + n as u64));
    }
    let live = player.call(dice_bet("r-live", 100, 5_000)).await;
    let event = resumed.until(|f| f["type"] == "dice_feed").await;
    assert_eq!(event["bet"]["id"], live["result"]["bet"]["id"]);
    assert_eq!(event["seq"].as_u64(), Some(seen + 3));
}
