//! Chat and presence over the WebSocket against the real server: a message reaches every
//! connection (a visitor's too) with its author's name, refusals carry their codes, a
//! moderator's mute is explained to the muted player, on two nodes a message reaches the other
//! node's clients; presence counts a player's tabs once and follows the game pages shown.

mod common;

use common::{admin, TestApp};
use serde_json::{json, Value};

fn send(room: &str, body: &str) -> Value {
    json!({"type": "chat_send", "room": room, "body": body})
}

#[tokio::test]
async fn a_message_reaches_every_connection_with_its_authors_name() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let mut alice_ws = app.ws(Some(&alice)).await;
    let mut bob_ws = app.ws(Some(&bob)).await;
    let mut visitor = app.ws(None).await;

    let ack = alice_ws.call(send("global", "  hello <i>all</i> ")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["result"]["kind"], "chat_message");
    assert_eq!(ack["result"]["body"], "hello <i>all</i>");
    for ws in [&mut bob_ws, &mut visitor] {
        let event = ws.until(|f| f["type"] == "chat_message").await;
        assert_eq!(event["topic"], "chat:global");
        assert_eq!(event["message"]["username"], "alice");
        assert_eq!(event["message"]["body"], "hello <i>all</i>");
        assert_eq!(event["message"]["id"], ack["result"]["id"]);
    }

    let refused = visitor.call(send("global", "hi")).await;
    assert_eq!(refused["code"], "unauthorized");
    let refused = bob_ws.call(send("lounge", "hi")).await;
    assert_eq!(refused["code"], "unknown_room");
    let refused = bob_ws.call(send("global", &"x".repeat(281))).await;
    assert_eq!(refused["code"], "invalid_message");
}

#[tokio::test]
async fn a_muted_player_is_told_why_and_only_moderators_mute() {
    let app = TestApp::spawn().await;
    let (moderator, bob) = (app.register("mia").await, app.register("bob").await);
    let mut mod_ws = app.ws(Some(&moderator)).await;
    let mut bob_ws = app.ws(Some(&bob)).await;
    let mute = json!({"type": "chat_mute", "username": "bob", "minutes": 5, "reason": "flooding"});

    let refused = mod_ws.call(mute.clone()).await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let pool = app.running.engine.store().pool();
    engine::chat::grant_role(pool, "mia", engine::chat::Role::Moderator)
        .await
        .unwrap();
    let ack = mod_ws.call(mute).await;
    assert_eq!(ack["result"]["kind"], "chat_standing", "{ack}");
    assert_eq!(ack["result"]["username"], "bob");
    assert!(ack["result"]["muted_until_ms"].is_i64());

    let refused = bob_ws.call(send("global", "let me talk")).await;
    assert_eq!(refused["code"], "muted");
    assert!(refused["message"].as_str().unwrap().contains("flooding"));
    let lift = json!({"type": "chat_lift", "username": "bob"});
    assert_eq!(
        mod_ws.call(lift).await["result"]["muted_until_ms"],
        Value::Null
    );
    assert_eq!(bob_ws.call(send("global", "thanks")).await["type"], "ack");
}

#[tokio::test]
async fn a_message_sent_on_one_node_reaches_the_other_nodes_clients() {
    let database = engine::testing::postgres_database().await;
    let (redis, prefix) = engine::testing::redis();
    let a = TestApp::spawn_node(&database, &redis, &prefix).await;
    let b = TestApp::spawn_node(&database, &redis, &prefix).await;
    let alice = a.register("alice").await;
    let mut on_a = a.ws(Some(&alice)).await;
    let mut on_b = b.ws(None).await;
    let ack = on_a.call(send("wheel", "spin it")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let event = on_b.until(|f| f["type"] == "chat_message").await;
    assert_eq!(event["message"]["body"], "spin it");
    assert_eq!(event["topic"], "chat:wheel");
    assert_eq!(
        b.running
            .engine
            .chat()
            .history("wheel")
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_admin_command_grants_a_role_that_lets_a_player_moderate() {
    let app = TestApp::spawn().await;
    let old_session = app.register("olga").await;
    let unknown = admin(&app, &["grant", "nobody", "moderator"], false);
    assert!(unknown.contains("no player is called"), "{unknown}");
    let granted = admin(&app, &["grant", "olga", "moderator"], true);
    assert_eq!(
        granted.trim(),
        "olga is now moderator; their sessions ended: they log in again"
    );
    let again = admin(&app, &["grant", "olga", "moderator"], true);
    assert_eq!(again.trim(), "olga is already moderator");
    // The old session signs nobody in any more: a new privilege starts with a new session.
    let visitor = app.ws(Some(&old_session)).await;
    assert!(visitor.welcome["player"].is_null(), "{}", visitor.welcome);

    let token = app.log_in("olga").await;
    let mut ws = app.ws(Some(&token)).await;
    let ban = json!({"type": "chat_ban", "username": "olga", "reason": "testing myself"});
    assert_eq!(ws.call(ban).await["result"]["banned"], true);
}

#[tokio::test]
async fn presence_counts_a_players_tabs_once_and_follows_the_pages_they_show() {
    let app = TestApp::spawn().await;
    let token = app.register("pia").await;
    let mut tab1 = app.ws(Some(&token)).await;
    let mut tab2 = app.ws(Some(&token)).await;
    let mut visitor = app.ws(None).await;
    let counts = |f: &Value, room: &str| f["counts"][room].as_u64();
    let first = visitor.until(|f| f["type"] == "presence").await;
    assert_eq!(first["topic"], "presence");
    visitor
        .until(|f| f["type"] == "presence" && counts(f, "global") == Some(2))
        .await;

    let ack = tab1
        .call(json!({"type": "presence", "room": "crash"}))
        .await;
    assert_eq!(ack["result"]["kind"], "presence", "{ack}");
    tab2.call(json!({"type": "presence", "room": "crash"}))
        .await;
    visitor
        .until(|f| f["type"] == "presence" && counts(f, "crash") == Some(1))
        .await;
    let refused = visitor
        .call(json!({"type": "presence", "room": "lounge"}))
        .await;
    assert_eq!(refused["code"], "unknown_room");

    drop(tab1);
    drop(tab2);
    let left = visitor
        .until(|f| f["type"] == "presence" && counts(f, "global") == Some(1))
        .await;
    assert_eq!(counts(&left, "crash"), Some(0));
}

#[tokio::test]
async fn a_profile_page_is_rendered_on_the_server_and_an_unknown_player_is_404() {
    let app = TestApp::spawn().await;
    app.register("quinn").await;
    let page = app.http().get(app.url("/u/Quinn")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>quinn</h1>"), "{html}");
    assert!(html.contains("Member since"));
    assert!(html.contains("Wagered"));
    let missing = app.http().get(app.url("/u/nobody")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("No player is called"));
}
