//! The WebSocket protocol against the real server: dice end to end, idempotency, limits and
//! bad input.

mod common;

use common::{dice_bet, Db, TestApp};
use serde_json::json;

#[tokio::test]
async fn a_dice_bet_is_acknowledged_and_the_balance_reaches_every_tab() {
    a_dice_bet_reaches_every_tab(Db::Sqlite).await;
}

#[tokio::test]
async fn a_dice_bet_is_acknowledged_and_the_balance_reaches_every_tab_on_postgres() {
    a_dice_bet_reaches_every_tab(Db::Postgres).await;
}

async fn a_dice_bet_reaches_every_tab(db: Db) {
    let app = TestApp::spawn_on(db, None, None).await;
    let token = app.register("alice").await;
    let mut tab1 = app.ws(Some(&token)).await;
    let mut tab2 = app.ws(Some(&token)).await;
    let mut watcher = app.ws(None).await;

    let ack = tab1.call(dice_bet("bet-1", 1_000, 5_000)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let bet = &ack["result"]["bet"];
    let payout = bet["payout"].as_i64().unwrap();
    let expected = 100_000 - 1_000 + payout;
    assert_eq!(ack["result"]["balance"], expected);
    assert_eq!(
        payout,
        if bet["roll"].as_u64().unwrap() < 5_000 {
            1_980
        } else {
            0
        }
    );

    let pushed = tab2.until(|f| f["type"] == "balance").await;
    assert_eq!(pushed["balance"], expected);
    assert_eq!(
        pushed["topic"],
        format!("player:{}", tab2.welcome["player"]["id"])
    );
    assert!(pushed["seq"].as_u64().unwrap() >= 1);

    // Everyone watching sees the bet in the public feed, the same frame for all.
    let feed = watcher.until(|f| f["type"] == "dice_feed").await;
    assert_eq!(feed["bet"]["username"], "alice");
    assert_eq!(feed["bet"]["id"], bet["id"]);
}

#[tokio::test]
async fn a_retried_bet_returns_the_original_result_and_moves_money_once() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let mut ws = app.ws(Some(&token)).await;
    let first = ws.call(dice_bet("same-key", 700, 3_000)).await;
    let again = ws.call(dice_bet("same-key", 700, 3_000)).await;
    assert_eq!(first["result"], again["result"]);
    let conflict = ws.call(dice_bet("same-key", 800, 3_000)).await;
    assert_eq!(conflict["code"], "idempotency_conflict");
    // A fresh connection (say, after a reconnect) gets the same answer too.
    let mut other = app.ws(Some(&token)).await;
    assert_eq!(
        other.call(dice_bet("same-key", 700, 3_000)).await["result"],
        first["result"]
    );
    assert_eq!(other.welcome["balance"], first["result"]["balance"]);
}

#[tokio::test]
async fn insufficient_funds_and_out_of_range_bets_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let mut ws = app.ws(Some(&token)).await;
    for (amount, target, code) in [
        (100_001, 5_000, "insufficient_funds"),
        (0, 5_000, "bet_too_small"),
        (-500, 5_000, "bet_too_small"),
        (1_000_001, 5_000, "bet_too_large"),
        (100, 99, "invalid_target"),
        (100, 9_801, "invalid_target"),
    ] {
        let reply = ws
            .call(dice_bet(&format!("k{amount}-{target}"), amount, target))
            .await;
        assert_eq!(reply["type"], "error");
        assert_eq!(reply["code"], code, "{reply}");
    }
    let mut fresh = app.ws(Some(&token)).await;
    assert_eq!(fresh.welcome["balance"], 100_000);
    assert_eq!(fresh.welcome["seed"]["next_nonce"], 0);
    assert_eq!(
        fresh.call(json!({"type": "ping"})).await["result"]["kind"],
        "pong"
    );
}

#[tokio::test]
async fn of_100_concurrent_all_in_bets_exactly_one_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let mut ws = app.ws(Some(&token)).await;
    // 1% chance: the accepted bet loses unless the seed says otherwise; a win is checked below.
    for i in 0..100 {
        ws.send(dice_bet(&format!("all-in-{i}"), 100_000, 100))
            .await;
    }
    let mut accepted = Vec::new();
    for req in 1..=100 {
        let reply = ws.reply(req).await;
        match reply["type"].as_str() {
            Some("ack") => accepted.push(reply["result"].clone()),
            _ => assert_eq!(reply["code"], "insufficient_funds", "{reply}"),
        }
    }
    assert!(!accepted.is_empty());
    if accepted.iter().all(|r| r["bet"]["payout"] == 0) {
        assert_eq!(accepted.len(), 1);
    }
    let fresh = app.ws(Some(&token)).await;
    let history = app.running.engine.history();
    assert_eq!(history.ledger_sum().await.unwrap(), 0);
    assert_eq!(
        fresh.welcome["balance"],
        accepted.last().unwrap()["balance"]
    );
}

#[tokio::test]
async fn a_cross_origin_upgrade_is_refused_with_403() {
    let app = TestApp::spawn().await;
    let refused = app.ws_with_origin(None, Some("http://evil.example")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    // Non-browser clients send no Origin and are allowed.
    assert!(app.ws_with_origin(None, None).await.is_ok());
}

#[tokio::test]
async fn an_oversized_frame_gets_an_error_and_the_connection_goes_on() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let mut ws = app.ws(Some(&token)).await;
    let padding = "x".repeat(20 * 1024);
    ws.send_text(json!({"type": "ping", "req": 1, "pad": padding}).to_string())
        .await;
    let error = ws.until(|f| f["type"] == "error").await;
    assert_eq!(error["code"], "too_large");
    assert_eq!(ws.call(json!({"type": "ping"})).await["type"], "ack");
}

#[tokio::test]
async fn a_frame_over_the_hard_limit_closes_the_connection_with_1009() {
    let app = TestApp::spawn().await;
    let mut ws = app.ws(None).await;
    ws.send_text("x".repeat(100 * 1024)).await;
    let code = ws.closed().await;
    assert!(code.is_none() || code == Some(1009), "{code:?}");
}

#[tokio::test]
async fn malformed_and_unauthorised_commands_get_clear_errors() {
    let app = TestApp::spawn().await;
    let mut ws = app.ws(None).await;
    ws.send_text("{not json".into()).await;
    assert_eq!(
        ws.until(|f| f["type"] == "error").await["code"],
        "bad_request"
    );
    assert_eq!(
        ws.call(json!({"type": "withdraw_all"})).await["code"],
        "unknown_type"
    );
    assert_eq!(
        ws.call(json!({"type": "dice_bet", "idem": "k", "amount": "100", "target": 5000}))
            .await["code"],
        "bad_request"
    );
    assert_eq!(
        ws.call(json!({"type": "dice_bet", "idem": "k", "amount": 1.5, "target": 5000}))
            .await["code"],
        "bad_request"
    );
    let logged_out = ws.call(dice_bet("k", 100, 5_000)).await;
    assert_eq!(logged_out["code"], "unauthorized");
    assert!(logged_out["message"].as_str().unwrap().len() > 5);
}

#[tokio::test]
async fn seed_rotation_reveals_a_seed_that_reproduces_the_rolls() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let mut ws = app.ws(Some(&token)).await;
    let commitment = ws.welcome["seed"]["commitment"]
        .as_str()
        .unwrap()
        .to_owned();
    let set = ws
        .call(json!({"type": "set_client_seed", "client_seed": "my lucky seed"}))
        .await;
    assert_eq!(set["result"]["seed"]["client_seed"], "my lucky seed");
    let bad = ws
        .call(json!({"type": "set_client_seed", "client_seed": ""}))
        .await;
    assert_eq!(bad["code"], "invalid_seed");
    let bet = ws.call(dice_bet("v1", 100, 5_000)).await["result"]["bet"].clone();
    let rotated = ws.call(json!({"type": "rotate_seed"})).await;
    let revealed = &rotated["result"]["revealed"];
    assert_eq!(revealed["commitment"], commitment);
    let server_seed = revealed["server_seed"].as_str().unwrap();
    let roll = protocol::dice::verify(
        server_seed,
        &commitment,
        "my lucky seed",
        0,
        bet["roll"].as_u64().unwrap() as u32,
    );
    assert!(roll.is_ok(), "{roll:?}");
    assert_ne!(rotated["result"]["seed"]["commitment"], commitment);
}

#[tokio::test]
async fn commands_beyond_the_rate_limit_are_refused() {
    let app = TestApp::spawn().await;
    let mut ws = app.ws(None).await;
    let burst = 250;
    for _ in 0..burst {
        ws.send(json!({"type": "ping"})).await;
    }
    let mut limited = 0;
    for req in 1..=burst {
        let reply = ws.reply(req).await;
        if reply["code"] == "rate_limited" {
            limited += 1;
        }
    }
    assert!(limited > 0);
}

#[tokio::test]
async fn a_reconnecting_client_receives_exactly_the_feed_events_it_missed() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let mut player = app.ws(Some(&token)).await;
    let mut watcher = app.ws(None).await;
    let epoch = watcher.welcome["epoch"].as_u64().unwrap();
    let mut bet_ids = Vec::new();
    for i in 0..3 {
        let ack = player
            .call(dice_bet(&format!("feed-{i}"), 100, 5_000))
            .await;
        bet_ids.push(ack["result"]["bet"]["id"].clone());
    }
    let first = watcher.until(|f| f["type"] == "dice_feed").await;
    let seen_seq = first["seq"].as_u64().unwrap();

    // Resume after the first event: only the two later bets arrive, then live events.
    let mut resumed = app
        .ws_at(&format!("/ws?epoch={epoch}&dice={seen_seq}"), None, None)
        .await
        .unwrap();
    for expected in &bet_ids[1..] {
        let event = resumed.until(|f| f["type"] == "dice_feed").await;
        assert_eq!(&event["bet"]["id"], expected);
    }
    let live = player.call(dice_bet("feed-live", 100, 5_000)).await;
    let event = resumed.until(|f| f["type"] == "dice_feed").await;
    assert_eq!(event["bet"]["id"], live["result"]["bet"]["id"]);

    // A client from another server run (unknown epoch) gets the kept events as a snapshot.
    let mut stranger = app
        .ws_at(&format!("/ws?epoch={}&dice=2", epoch + 1), None, None)
        .await
        .unwrap();
    let snapshot_first = stranger.until(|f| f["type"] == "dice_feed").await;
    assert_eq!(snapshot_first["bet"]["id"], bet_ids[0]);
}

type RawWs =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Upgrades with the session cookie; `None` if the server refused.
async fn upgrade_racing(addr: std::net::SocketAddr, token: String) -> Option<RawWs> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", format!("zl_session={token}").parse().unwrap());
    Some(tokio_tungstenite::connect_async(request).await.ok()?.0)
}

/// Sends a bet on a socket upgraded around a logout, once the logout returned; panics if the
/// bet is accepted. Refused (`unauthorized`) and closed are both fine.
async fn bet_after_logout(mut stream: RawWs) {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let frame = json!({"type": "dice_bet", "req": 1, "idem": "after-logout", "amount": 100, "target": 5_000});
    if stream.send(Message::text(frame.to_string())).await.is_err() {
        return;
    }
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(20), stream.next())
            .await
            .expect("a reply or the close arrives");
        let text = match next {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
            Some(Ok(_)) => continue,
        };
        let reply: serde_json::Value = serde_json::from_str(&text).unwrap();
        if reply["req"] == 1 && (reply["type"] == "ack" || reply["type"] == "error") {
            assert_eq!(
                reply["type"], "error",
                "a socket acted after logout: {reply}"
            );
            assert_eq!(reply["code"], "unauthorized", "{reply}");
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_socket_upgraded_while_its_session_logs_out_can_act_after_the_logout_returned() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    // Each round, chains of back-to-back upgrades run from before the logout starts until
    // after it returned, so upgrades are in flight at every moment of the logout.
    const ROUNDS: usize = 19;
    const CHAINS: usize = 16;
    const CHAIN_UPGRADES_MAX: usize = 100;
    let app = TestApp::spawn().await;
    let addr = app.running.addr;
    for round in 0..ROUNDS {
        let token = app.register(&format!("racer_{round}")).await;
        let logged_out = Arc::new(AtomicBool::new(false));
        let mut chains = tokio::task::JoinSet::new();
        for _ in 0..CHAINS {
            let (token, logged_out) = (token.clone(), logged_out.clone());
            chains.spawn(async move {
                let mut sockets = Vec::new();
                for _ in 0..CHAIN_UPGRADES_MAX {
                    let last = logged_out.load(Ordering::SeqCst);
                    sockets.extend(upgrade_racing(addr, token.clone()).await);
                    if last {
                        break;
                    }
                }
                sockets
            });
        }
        let logout = app
            .http()
            .post(app.url("/auth/logout"))
            .header("accept", "application/json")
            .header("cookie", format!("zl_session={token}"))
            .send()
            .await
            .unwrap();
        logged_out.store(true, Ordering::SeqCst);
        assert_eq!(logout.status(), 204);

        // Every socket, whenever it was upgraded, now tries to bet.
        let mut outcomes = tokio::task::JoinSet::new();
        for ws in chains.join_all().await.into_iter().flatten() {
            outcomes.spawn(bet_after_logout(ws));
        }
        outcomes.join_all().await;
    }
    let bets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dice_bets")
        .fetch_one(app.running.engine.store().pool())
        .await
        .unwrap();
    assert_eq!(bets, 0, "bets were placed after logout");
}

#[tokio::test]
async fn a_client_close_is_answered_with_a_close_of_the_same_code() {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::spawn().await;
    let mut ws = app.ws(None).await;
    ws.stream
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        })))
        .await
        .unwrap();
    // `closed` gives the code of the Close frame received, or None when the connection was
    // dropped without one.
    assert_eq!(ws.closed().await, Some(1000));
}

#[tokio::test]
async fn malformed_frames_count_against_the_rate_limit() {
    use zerolag::limits::WS_COMMANDS_BURST;
    let app = TestApp::spawn().await;
    let mut ws = app.ws(None).await;
    let frames = 250;
    for _ in 0..frames {
        ws.send_text("{not json".into()).await;
    }
    let (mut refused, mut limited) = (0, 0);
    for _ in 0..frames {
        let error = ws.until(|f| f["type"] == "error").await;
        match error["code"].as_str() {
            Some("bad_request") => refused += 1,
            Some("rate_limited") => limited += 1,
            _ => panic!("unexpected reply {error}"),
        }
    }
    // The burst is decoded and refused as malformed; beyond it, frames are limited unread.
    assert!(refused >= WS_COMMANDS_BURST, "{refused}");
    assert!(limited > 0, "no malformed frame was rate limited");
}

#[tokio::test]
async fn the_accept_loop_turns_nagle_off_on_every_socket() {
    let listener = zerolag::listener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    // Sockets start with Nagle's algorithm on: the check below could fail.
    assert!(!client.nodelay().unwrap());
    let (mut accepted, peer) = listener.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    // What `zerolag::serve` does with every socket it accepts.
    zerolag::listener::configure_accepted(&mut accepted);
    assert!(accepted.nodelay().unwrap());
}
