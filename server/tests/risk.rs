//! The risk engine against the real server: a scripted bot betting at a fixed pace over the
//! WebSocket is flagged and suspended within seconds, after which its bets are refused with
//! `account_suspended` and change nothing; lifting the suspension lets it bet again.

mod common;

use common::{admin, dice_bet, TestApp};
use protocol::PlayerId;
use std::time::Duration;

/// How long the bot may play before it must be flagged (its 20th bet comes after 3.8 s).
const FLAGGED_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_bot_is_flagged_and_suspended_and_its_next_bet_is_refused() {
    let app = TestApp::spawn_suspending().await;
    let token = app.register("botty").await;
    let mut bot = app.ws(Some(&token)).await;
    let player = bot.player();
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

/// Waits until the running server sees the player's suspension as `suspended`.
async fn until_suspended(app: &TestApp, player: PlayerId, suspended: bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while app.running.engine.risk().is_suspended(player) != suspended {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server never took it in"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_operator_suspends_and_lifts_from_the_command_line_and_lists_alerts() {
    let app = TestApp::spawn().await;
    let token = app.register("cleo").await;
    let mut ws = app.ws(Some(&token)).await;
    let player = ws.player();
    assert_eq!(admin(&app, &["alerts"], true).trim(), "no alerts");
    assert!(admin(&app, &["suspend", "nobody"], false).contains("cannot find nobody"));

    let said = admin(&app, &["suspend", "CLEO"], true);
    assert!(said.starts_with("cleo is suspended"), "{said}");
    until_suspended(&app, player, true).await;
    let refused = ws.call(dice_bet("cli-1", 100, 5_000)).await;
    assert_eq!(refused["code"], "account_suspended", "{refused}");

    admin(&app, &["unsuspend", "cleo"], true);
    until_suspended(&app, player, false).await;
    assert_eq!(ws.call(dice_bet("cli-2", 100, 5_000)).await["type"], "ack");

    // Both are in the audit log, done on the command line (no operator account).
    let pool = app.running.engine.store().pool();
    let logged: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, after_state FROM audit_log WHERE actor_id IS NULL AND target = 'player cleo' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        logged,
        [
            ("suspend".to_owned(), "suspended: yes".to_owned()),
            ("unsuspend".to_owned(), "suspended: no".to_owned())
        ]
    );
}
