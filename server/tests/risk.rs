//! The risk engine against the real server: a scripted bot betting at a fixed pace over the
//! WebSocket is flagged and suspended within seconds, after which its bets are refused with
//! `account_suspended` and change nothing; lifting the suspension lets it bet again.

mod common;

use common::{dice_bet, TestApp};
use protocol::PlayerId;
use std::time::Duration;

/// How long the bot may play before it must be flagged (its 20th bet comes after 3.8 s).
const FLAGGED_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_bot_is_flagged_and_suspended_and_its_next_bet_is_refused() {
    let app = TestApp::spawn_suspending().await;
    let token = app.register("botty").await;
    let mut bot = app.ws(Some(&token)).await;
    let player = PlayerId(bot.welcome["player"]["id"].as_i64().unwrap());
    let risk = app.running.engine.risk();

    let started = tokio::time::Instant::now();
    let mut every = tokio::time::interval(Duration::from_millis(200));
    let mut placed = 0;
    while !risk.is_suspended(player) {
        assert!(
            started.elapsed() < FLAGGED_WITHIN,
            "not flagged after {placed} bets"
        );
        every.tick().await;
        let ack = bot.call(dice_bet(&format!("b{placed}"), 100, 5_000)).await;
        if ack["type"] == "error" {
            assert_eq!(ack["code"], "account_suspended", "{ack}");
            break;
        }
        placed += 1;
    }
    let alerts = risk.alerts(10).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].rule, "bot_regularity");
    assert_eq!(alerts[0].action, "suspend");
    assert_eq!(alerts[0].players, [player]);

    // Refused, and nothing changes.
    let ledger = app.running.engine.ledger();
    let balance = ledger.snapshot(player).await.unwrap().balance;
    let refused = bot.call(dice_bet("after", 100, 5_000)).await;
    assert_eq!(refused["code"], "account_suspended", "{refused}");
    assert_eq!(ledger.snapshot(player).await.unwrap().balance, balance);

    risk.set_suspended(player, false).await.unwrap();
    let ack = bot.call(dice_bet("lifted", 100, 5_000)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
}
