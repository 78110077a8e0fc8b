//! Suspensions against real databases: they survive a restart, and with several nodes a
//! suspension on one reaches the others.

mod common;

use common::{database, player, Db};
use engine::{Engine, EngineConfig};
use std::time::Duration;

async fn a_suspension_is_kept_across_a_restart(db: Db) {
    let (url, _dir) = database(db).await;
    let engine = Engine::start(&url).await.unwrap();
    let zed = player(&engine, "zed").await;
    assert!(!engine.risk().is_suspended(zed));
    engine.risk().set_suspended(zed, true).await.unwrap();
    assert!(engine.risk().is_suspended(zed));
    drop(engine);
    let engine = Engine::start(&url).await.unwrap();
    assert!(engine.risk().is_suspended(zed));
    engine.risk().set_suspended(zed, false).await.unwrap();
    assert!(!engine.risk().is_suspended(zed));
}

on_each_database!(a_suspension_is_kept_across_a_restart);

/// A flood of signals past the scorer's queue is dropped and counted; observing never waits, and
/// bets go on.
#[tokio::test]
async fn a_flooded_scorer_drops_signals_and_bets_go_on() {
    let (url, _dir) = database(Db::Sqlite).await;
    let engine = Engine::start(&url).await.unwrap();
    let flo = player(&engine, "flo").await;
    let flood = engine::limits::RISK_QUEUE_SIGNALS_MAX as u64 + 10_000;
    // On this test's single thread the scorer cannot run during the loop: the queue fills.
    // Bets of varied stakes at scattered times: no rule fires on them.
    for i in 0..flood as i64 {
        engine.risk().observe(engine::risk::Signal::Bet {
            player: flo,
            amount: i % 7 + 1,
            at_ms: i * 7_919 % 1_000_003,
        });
    }
    assert!(
        engine.risk().dropped() >= 10_000,
        "{}",
        engine.risk().dropped()
    );
    let receipt = engine
        .ledger()
        .dice_bet(flo, "during-flood", protocol::Cents(100), 5_000)
        .await
        .unwrap();
    assert_eq!(receipt.bet.amount, protocol::Cents(100));
}

#[tokio::test]
async fn a_suspension_on_one_node_reaches_the_other() {
    let url = engine::testing::postgres_database().await;
    let (redis, prefix) = engine::testing::redis();
    let node = || {
        Engine::start_with(EngineConfig {
            database_url: url.clone(),
            redis_url: Some(redis.clone()),
            redis_prefix: prefix.clone(),
            ..EngineConfig::default()
        })
    };
    let (a, b) = (node().await.unwrap(), node().await.unwrap());
    let zed = player(&a, "zed").await;
    a.risk().set_suspended(zed, true).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !b.risk().is_suspended(zed) {
        assert!(tokio::time::Instant::now() < deadline, "node b never heard");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
