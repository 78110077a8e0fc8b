//! The export to Kafka through the real server (`--kafka-brokers`), with the broker away at
//! first: bets over the WebSocket go on, `/metrics` says how many events wait, and everything
//! reaches the topics once the broker is up. Its own test binary: the metrics recorder is one
//! per process.

mod common;

use common::{dice_bet, TestApp};
use engine::testing::{consume, export_config, KafkaBroker};
use serde_json::json;
use std::time::Duration;

/// How long the test waits for what it expects.
const WAIT_MS: u64 = 30_000;

/// The value of an unlabelled metric in `/metrics`.
async fn metric(app: &TestApp, name: &str) -> Option<f64> {
    let text = app.metrics_text().await;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

async fn wait_for_metric(app: &TestApp, name: &str, want: impl Fn(f64) -> bool) -> f64 {
    for _ in 0..(WAIT_MS / 100) {
        if let Some(value) = metric(app, name).await.filter(|value| want(*value)) {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{name} never reached the value wanted: {:?}",
        metric(app, name).await
    );
}

#[tokio::test]
async fn bets_go_on_while_the_broker_is_down_and_reach_kafka_when_it_is_back() {
    let mut broker = KafkaBroker::reserve();
    let export = export_config(&broker);
    let app = TestApp::spawn_exporting(export.clone()).await;
    let token = app.register("alice").await;
    let mut ws = app.ws(Some(&token)).await;
    let mut bets = Vec::new();
    for i in 0..5 {
        let ack = ws.call(dice_bet(&format!("bet-{i}"), 100, 5_000)).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        bets.push(ack["result"]["bet"]["id"].as_i64().unwrap());
    }
    // The grant, and for each bet its event and its transactions, wait in the outbox.
    let waiting = wait_for_metric(&app, "zerolag_export_outbox_pending", |v| v >= 11.0).await;
    assert!(waiting >= 11.0);

    broker.start().await;
    let topic = format!("{}bets", export.topic_prefix);
    let read = consume(&broker.address(), &topic, WAIT_MS, |read| {
        read.len() >= bets.len()
    })
    .await;
    let exported: Vec<i64> = read
        .iter()
        .map(|message| message["bet"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(exported, bets, "each bet once, in the order placed");
    assert!(read.iter().all(|message| message["event_id"].is_i64()));
    wait_for_metric(&app, "zerolag_export_outbox_pending", |v| v == 0.0).await;
    assert_eq!(metric(&app, "zerolag_export_relaying").await, Some(1.0));

    // The round games' rounds are exported too (the server runs crash and the wheel).
    let topic = format!("{}rounds", export.topic_prefix);
    let rounds = consume(&broker.address(), &topic, WAIT_MS, |read| {
        ["crash", "wheel"].iter().all(|game| {
            read.iter()
                .any(|m| m["type"] == "round_opened" && m["game"] == *game)
        })
    })
    .await;
    let opened = |game: &str| {
        rounds
            .iter()
            .any(|m| m["type"] == "round_opened" && m["game"] == game)
    };
    assert!(opened("crash") && opened("wheel"), "{rounds:?}");

    // So are the risk engine's alerts: five sign-ups from one address.
    for name in ["farm2", "farm3", "farm4", "farm5"] {
        app.register(name).await;
    }
    let topic = format!("{}risk", export.topic_prefix);
    let alerts = consume(&broker.address(), &topic, WAIT_MS, |read| !read.is_empty()).await;
    let alert = &alerts[0];
    assert_eq!(
        (&alert["type"], &alert["rule"]),
        (&json!("risk_alert"), &json!("signup_farming")),
        "{alert}"
    );
    assert_eq!(alert["players"].as_array().unwrap().len(), 5);
    assert_eq!(alert["evidence"]["ip"], "127.0.0.1");
    assert!(alert["event_id"].is_i64());
}
