//! Notifications over the WebSocket against the real server: a new player's first connection
//! gets the signup grant once, every tab of a player gets one notification per settled bet, a big
//! win and a moderator's broadcast reach everyone (a visitor too), and the inbox keeps what it
//! should with its unread count.

mod common;

use common::{dice_bet, TestApp, Ws};
use engine::chat::{grant_role, Role};
use serde_json::{json, Value};

fn is_notification(frame: &Value, kind: &str) -> bool {
    frame["type"] == "notification" && frame["notification"]["kind"] == kind
}

/// The notifications of `kind` a connection received until it answered a `ping` sent now.
async fn received(ws: &mut Ws, kind: &str) -> Vec<Value> {
    let req = ws.send(json!({"type": "ping"})).await;
    let mut found: Vec<Value> = Vec::new();
    loop {
        let frame = ws.next().await;
        if is_notification(&frame, kind) {
            found.push(frame["notification"].clone());
        } else if frame["type"] == "ack" && frame["req"] == req {
            return found;
        }
    }
}

/// The first `count` bet notifications of a connection, and a check that no more follow.
async fn bet_notifications(ws: &mut Ws, count: usize) -> Vec<Value> {
    let settled = |f: &Value| is_notification(f, "bet_settled");
    let mut found = Vec::new();
    for _ in 0..count {
        found.push(ws.until(settled).await["notification"].clone());
    }
    // A second copy would have been published with the first, before this ping is answered.
    let extra = received(ws, "bet_settled").await.len() + ws.claim_all(settled).len();
    assert_eq!(extra, 0, "a notification came twice");
    found
}

#[tokio::test]
async fn a_players_tabs_each_get_one_notification_per_settled_bet_and_the_grant_once() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let mut first = app.ws(Some(&alice)).await;
    let grant = first.until(|f| is_notification(f, "signup_grant")).await;
    assert_eq!(
        grant["topic"],
        format!("player:{}", first.welcome["player"]["id"])
    );
    let grant = &grant["notification"];
    assert_eq!(grant["amount"], 100_000);
    assert!(grant["text"].as_str().unwrap().contains("alice"), "{grant}");
    assert!(grant["id"].is_i64());
    let mut second = app.ws(Some(&alice)).await;

    let mut outcomes = Vec::new();
    for i in 0..2 {
        let ack = first.call(dice_bet(&format!("n{i}"), 1_000, 5_000)).await;
        let payout = ack["result"]["bet"]["payout"].as_i64().unwrap();
        outcomes.push(payout - 1_000);
    }
    for ws in [&mut first, &mut second] {
        let settled = bet_notifications(ws, 2).await;
        for (notification, profit) in settled.iter().zip(&outcomes) {
            let (verb, amount) = if *profit > 0 {
                ("won", *profit)
            } else {
                ("lost", -profit)
            };
            assert_eq!(notification["amount"], amount);
            assert_eq!(notification["game"], "dice");
            let text = notification["text"].as_str().unwrap();
            assert!(text.starts_with(&format!("You {verb} ")), "{text}");
            assert!(notification["id"].is_null());
        }
    }
    assert!(received(&mut second, "signup_grant").await.is_empty());

    let player = first.player();
    let notices = app.running.engine.notices();
    let inbox = notices.inbox(player).await.unwrap();
    assert_eq!((inbox.items.len(), inbox.unread), (1, 1));
    notices
        .mark_read(player, inbox.items[0].id.unwrap())
        .await
        .unwrap();
    assert_eq!(notices.inbox(player).await.unwrap().unread, 0);
}

#[tokio::test]
async fn big_wins_and_broadcasts_reach_everyone_and_stay_in_the_inbox() {
    let app = TestApp::spawn_with_big_win(1).await;
    let (bob, mia) = (app.register("bob").await, app.register("mia").await);
    let mut visitor = app.ws(None).await;
    let mut bob_ws = app.ws(Some(&bob)).await;

    // A 98% chance: bob wins within a few rolls, each win over the 0.01 threshold.
    let mut won = None;
    for i in 0..20 {
        let ack = bob_ws.call(dice_bet(&format!("w{i}"), 10_000, 9_800)).await;
        let payout = ack["result"]["bet"]["payout"].as_i64().unwrap();
        if payout > 10_000 {
            won = Some(payout - 10_000);
            break;
        }
    }
    let profit = won.expect("a win in 20 rolls at 98%");
    let big = visitor.until(|f| is_notification(f, "big_win")).await;
    assert_eq!(big["topic"], "notices");
    assert_eq!(big["notification"]["username"], "bob");
    assert_eq!(big["notification"]["amount"], profit);
    assert_eq!(
        big["notification"]["text"],
        format!("bob won {} on dice", protocol::Cents(profit))
    );

    let broadcast = json!({"type": "broadcast", "body": "  maintenance at noon  "});
    let mut mia_ws = app.ws(Some(&mia)).await;
    assert_eq!(mia_ws.call(broadcast.clone()).await["code"], "forbidden");
    let pool = app.running.engine.store().pool();
    grant_role(pool, "mia", Role::Moderator).await.unwrap();
    let ack = mia_ws.call(broadcast).await;
    assert_eq!(ack["result"]["kind"], "broadcast", "{ack}");
    assert_eq!(ack["result"]["text"], "maintenance at noon");
    let seen = visitor.until(|f| is_notification(f, "broadcast")).await;
    assert_eq!(seen["notification"]["id"], ack["result"]["id"]);
    assert_eq!(seen["notification"]["username"], "mia");
    let empty = json!({"type": "broadcast", "body": "   "});
    assert_eq!(mia_ws.call(empty).await["code"], "invalid_message");

    // Bob's inbox: his grant, his big win, the broadcast; newest first.
    let player = bob_ws.player();
    let inbox = app.running.engine.notices().inbox(player).await.unwrap();
    let kinds: Vec<&str> = inbox.items.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["broadcast", "big_win", "signup_grant"]);
    assert_eq!(inbox.unread, 3);
    assert!(!inbox.can_broadcast);
}
