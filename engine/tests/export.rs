//! The export to Kafka against a real Kafka-compatible broker (tansu, started by each test on a
//! port of its own), on a fresh SQLite file and a fresh PostgreSQL database; the last test runs
//! two engines (two nodes) on one PostgreSQL database.

mod common;

use common::{database, player, Db};
use engine::ledger::LedgerError;
use engine::testing::{consume, export_config, KafkaBroker};
use engine::{Engine, EngineConfig};
use protocol::limits::SIGNUP_GRANT_CENTS;
use protocol::{Cents, PlayerId};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// How long a test waits for messages it expects (the relay polls every 100 ms).
const WAIT_MS: u64 = 30_000;

async fn exporting_engine(url: &str, export: engine::export::ExportConfig) -> Engine {
    Engine::start_with(EngineConfig {
        database_url: url.to_owned(),
        export: Some(export),
        ..EngineConfig::default()
    })
    .await
    .unwrap()
}

/// Places `count` small dice bets; returns their ids.
async fn bets(engine: &Engine, player: PlayerId, tag: &str, count: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..count {
        let receipt = engine
            .ledger()
            .dice_bet(player, &format!("{tag}-{i}"), Cents(100), 5_000)
            .await
            .unwrap();
        ids.push(receipt.bet.id.0);
    }
    ids
}

/// The dice bets read from the bets topic, each counted once per distinct `event_id`.
fn dice_bets_once(messages: &[Value]) -> HashMap<i64, usize> {
    let mut events = HashSet::new();
    let mut bets = HashMap::new();
    for message in messages {
        let event_id = message["event_id"].as_i64().expect("an event_id");
        if message["type"] == "dice_bet" && events.insert(event_id) {
            *bets
                .entry(message["bet"]["id"].as_i64().unwrap())
                .or_default() += 1;
        }
    }
    bets
}

async fn read_dice_bets(
    broker: &KafkaBroker,
    export: &engine::export::ExportConfig,
    count: usize,
) -> HashMap<i64, usize> {
    let topic = format!("{}bets", export.topic_prefix);
    let messages = consume(&broker.address(), &topic, WAIT_MS, |read| {
        dice_bets_once(read).len() >= count
    })
    .await;
    dice_bets_once(&messages)
}

fn assert_each_once(exported: &HashMap<i64, usize>, placed: &[i64]) {
    assert_eq!(exported.len(), placed.len(), "every bet, nothing else");
    for bet in placed {
        assert_eq!(exported.get(bet), Some(&1), "bet {bet} exactly once");
    }
}

async fn every_committed_bet_is_exported_once_with_its_ledger_transactions(db: Db) {
    let broker = KafkaBroker::started().await;
    let export = export_config(&broker);
    let (url, _dir) = database(db).await;
    let engine = exporting_engine(&url, export.clone()).await;
    let alice = player(&engine, "alice").await;
    let placed = bets(&engine, alice, "bet", 25).await;
    // A refused bet commits nothing, so nothing of it is exported.
    let refused = engine
        .ledger()
        .dice_bet(alice, "too-much", Cents(SIGNUP_GRANT_CENTS.0 * 10), 5_000)
        .await;
    assert!(matches!(
        refused,
        Err(LedgerError::InsufficientFunds { .. })
    ));

    let got = read_dice_bets(&broker, &export, placed.len()).await;
    assert_each_once(&got, &placed);

    // The ledger topic: every transaction the ledger holds (the grant, then the bets'), in
    // order (one player: one key), every one balanced.
    let stored = engine.history().transactions(alice).await.unwrap();
    let topic = format!("{}ledger", export.topic_prefix);
    let txs = consume(&broker.address(), &topic, WAIT_MS, |read| {
        read.len() >= stored.len()
    })
    .await;
    let ids: Vec<i64> = txs.iter().map(|tx| tx["tx"].as_i64().unwrap()).collect();
    let mut stored_ids: Vec<i64> = stored.iter().map(|tx| tx.id).collect();
    stored_ids.sort_unstable();
    assert_eq!(ids, stored_ids);
    assert_eq!(txs[0]["kind"], "grant");
    for tx in &txs {
        assert_eq!(tx["player"], alice.0);
        let entries = tx["entries"].as_array().unwrap();
        let sum: i64 = entries.iter().map(|e| e["amount"].as_i64().unwrap()).sum();
        assert_eq!(sum, 0, "balanced: {tx}");
    }
    wait_until_sent(&engine).await;
}

async fn events_wait_in_the_outbox_while_the_broker_is_down(db: Db) {
    let mut broker = KafkaBroker::reserve();
    let export = export_config(&broker);
    let (url, _dir) = database(db).await;
    let engine = exporting_engine(&url, export.clone()).await;
    let alice = player(&engine, "alice").await;
    // No broker: bets go on, their events wait in the outbox, and the count says so.
    let placed = bets(&engine, alice, "offline", 20).await;
    let waiting = placed.len() as u64 * 2;
    let exporting = engine.export().unwrap();
    for _ in 0..100 {
        if exporting
            .pending()
            .is_some_and(|pending| pending >= waiting)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(exporting.pending().unwrap() >= waiting);
    assert_eq!(exporting.sent(), 0);

    broker.start().await;
    assert_each_once(
        &read_dice_bets(&broker, &export, placed.len()).await,
        &placed,
    );
    wait_until_sent(&engine).await;
}

/// Waits until the outbox is empty: everything was acknowledged and deleted.
async fn wait_until_sent(engine: &Engine) {
    let export = engine.export().unwrap();
    for _ in 0..200 {
        if export.pending() == Some(0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox still holds {:?} events", export.pending());
}

on_each_database!(
    every_committed_bet_is_exported_once_with_its_ledger_transactions,
    events_wait_in_the_outbox_while_the_broker_is_down,
);

#[tokio::test]
async fn two_nodes_export_every_bet_once_through_one_relay() {
    let broker = KafkaBroker::started().await;
    let export = export_config(&broker);
    let (url, _) = database(Db::Postgres).await;
    let a = exporting_engine(&url, export.clone()).await;
    let b = exporting_engine(&url, export.clone()).await;
    let alice = player(&a, "alice").await;
    let mut placed = bets(&a, alice, "on-a", 15).await;
    placed.extend(bets(&b, alice, "on-b", 15).await);

    assert_each_once(
        &read_dice_bets(&broker, &export, placed.len()).await,
        &placed,
    );
    let relaying = [&a, &b].map(|node| node.export().unwrap().relaying());
    assert_eq!(relaying.iter().filter(|r| **r).count(), 1, "one relay");
}
