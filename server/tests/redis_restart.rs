//! Redis restarting under a cluster: every node's clients are asked to reconnect (close 1012)
//! and get fresh snapshots under a new epoch; nothing in the ledger changes; events flow again.
//! (Its own test binary: it restarts the Redis server other tests share.)

mod common;

use common::{dice_bet, TestApp};

#[tokio::test]
async fn after_a_redis_restart_clients_resync_and_the_ledger_is_unaffected() {
    let database = engine::testing::postgres_database().await;
    let (redis, prefix) = engine::testing::redis();
    let a = TestApp::spawn_node(&database, &redis, &prefix).await;
    let b = TestApp::spawn_node(&database, &redis, &prefix).await;
    let token = a.register("dave").await;
    let mut on_a = a.ws(Some(&token)).await;
    let mut on_b = b.ws(Some(&token)).await;
    let ack = on_a.call(dice_bet("before", 1_000, 5_000)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let balance = ack["result"]["balance"].clone();
    let epoch = on_a.welcome["epoch"].clone();

    engine::testing::restart_redis();
    assert_eq!(on_a.closed().await, Some(1012));
    assert_eq!(on_b.closed().await, Some(1012));

    // Reconnected: a new epoch for the whole cluster, the balance as the ledger has it.
    let mut on_a = a.ws(Some(&token)).await;
    let mut on_b = b.ws(Some(&token)).await;
    assert_ne!(on_a.welcome["epoch"], epoch);
    assert_eq!(on_a.welcome["epoch"], on_b.welcome["epoch"]);
    assert_eq!(on_b.welcome["balance"], balance);
    assert_eq!(a.running.engine.history().bet_count().await.unwrap(), 1);

    // Events cross nodes again.
    let ack = on_a.call(dice_bet("after", 1_000, 5_000)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let pushed = on_b.until(|f| f["type"] == "balance").await;
    assert_eq!(pushed["balance"], ack["result"]["balance"]);
    assert_eq!(a.running.engine.history().ledger_sum().await.unwrap(), 0);
}
