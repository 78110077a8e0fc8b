//! PostgreSQL stopping under a node: commands fail with a clear error and change nothing (never
//! a false success), `/readyz` says so, and once the database is back the same command, sent
//! again with the same key, is applied once. (Its own test binary: it stops the PostgreSQL
//! server other tests share.)

mod common;

use common::{dice_bet, Db, TestApp};

#[tokio::test]
async fn while_postgres_is_down_bets_fail_cleanly_and_a_retry_after_applies_once() {
    let app = TestApp::spawn_on(Db::Postgres, None, None).await;
    let token = app.register("grace").await;
    let mut ws = app.ws(Some(&token)).await;
    let first = ws.call(dice_bet("before", 1_000, 5_000)).await;
    assert_eq!(first["type"], "ack", "{first}");
    let balance = first["result"]["balance"].clone();

    engine::testing::stop_postgres();
    let refused = ws.call(dice_bet("during", 1_000, 5_000)).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "internal");
    let ready = app.http().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.text().await.unwrap(), "database unreachable");

    engine::testing::start_postgres();
    // The writer connects again on its next batch; the retry is applied once.
    let mut retried = ws.call(dice_bet("during", 1_000, 5_000)).await;
    for _ in 0..20 {
        if retried["type"] == "ack" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        retried = ws.call(dice_bet("during", 1_000, 5_000)).await;
    }
    assert_eq!(retried["type"], "ack", "{retried}");
    let again = ws.call(dice_bet("during", 1_000, 5_000)).await;
    assert_eq!(again["result"]["bet"]["id"], retried["result"]["bet"]["id"]);
    assert_eq!(app.running.engine.history().bet_count().await.unwrap(), 2);
    let payout = retried["result"]["bet"]["payout"].as_i64().unwrap();
    assert_eq!(
        retried["result"]["balance"].as_i64().unwrap(),
        balance.as_i64().unwrap() - 1_000 + payout
    );
    assert_eq!(app.running.engine.history().ledger_sum().await.unwrap(), 0);
}
