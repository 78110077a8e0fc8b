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
