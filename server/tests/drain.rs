//! A node asked to stop drains: it turns unready, answers every command it has read, tells its
//! WebSocket clients to connect again (close 1012), refuses new ones, then stops.

mod common;

use common::{dice_bet, TestApp};
use futures::StreamExt;
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn status(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.http().get(app.url(path)).send().await.unwrap();
    let code = response.status().as_u16();
    (code, response.text().await.unwrap())
}

#[tokio::test]
async fn a_draining_node_answers_what_it_read_then_asks_its_clients_to_reconnect() {
    let app = TestApp::spawn().await;
    assert_eq!(status(&app, "/healthz").await, (200, "ok".to_owned()));
    assert_eq!(status(&app, "/readyz").await, (200, "ready".to_owned()));
    let token = app.register("alice").await;
    let mut ws = app.ws(Some(&token)).await;
    let before = ws.call(dice_bet("before", 100, 5_000)).await;
    assert_eq!(before["type"], "ack", "{before}");

    // A bet sent as the node starts draining: it is answered before the Close, or never read.
    let racing = ws.send(dice_bet("racing", 100, 5_000)).await;
    app.running.start_draining();
    let mut answered = None;
    let code = loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), ws.stream.next())
            .await
            .expect("the node closes the connection")
            .expect("a Close frame, not a dropped connection")
            .unwrap();
        match frame {
            Message::Text(text) => {
                let frame: Value = serde_json::from_str(&text).unwrap();
                if frame["req"] == racing {
                    answered = Some(frame);
                }
            }
            Message::Close(close) => break close.map(|close| u16::from(close.code)),
            _ => {}
        }
    };
    assert_eq!(code, Some(1012));
    let stored = app.running.engine.history().bet_count().await.unwrap();
    match answered {
        Some(reply) => {
            assert_eq!(reply["type"], "ack", "{reply}");
            assert_eq!(stored, 2);
        }
        None => assert_eq!(stored, 1, "a command never answered was never applied"),
    }

    // Unready, and no new WebSocket; pages are still served until the node stops.
    assert_eq!(status(&app, "/readyz").await, (503, "draining".to_owned()));
    let refused = app
        .http()
        .get(app.url("/ws"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 503);
    assert_eq!(status(&app, "/healthz").await.0, 200);
}

#[tokio::test]
async fn drain_returns_once_the_connections_have_closed_and_the_node_stops_listening() {
    let app = TestApp::spawn().await;
    let token = app.register("bob").await;
    let mut ws = app.ws(Some(&token)).await;
    let addr = app.running.addr;
    let TestApp { running, .. } = app;
    let drained = tokio::spawn(running.drain());
    assert_eq!(ws.closed().await, Some(1012));
    tokio::time::timeout(Duration::from_secs(20), drained)
        .await
        .expect("drain ends well before its timeout")
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
