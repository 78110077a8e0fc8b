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

/// Registers `name` from `browser` (a client keeping cookies); returns the response.
async fn register_in(app: &TestApp, browser: &reqwest::Client, name: &str) -> reqwest::Response {
    let response = app
        .auth_from(browser, "register", (name, "password1"))
        .await;
    assert_eq!(response.status(), 200);
    response
}

fn device_cookie(response: &reqwest::Response) -> String {
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("zl_device="))
        .expect("a device cookie is set");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=34560000"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    cookie["zl_device=".len()..cookie.find(';').unwrap()].to_owned()
}

/// Waits for the first alert of `rule`.
async fn alert_of(app: &TestApp, rule: &str) -> engine::risk::Alert {
    let deadline = tokio::time::Instant::now() + FLAGGED_WITHIN;
    loop {
        let alerts = app.running.engine.risk().alerts(50).await.unwrap();
        if let Some(alert) = alerts.into_iter().find(|alert| alert.rule == rule) {
            return alert;
        }
        assert!(tokio::time::Instant::now() < deadline, "no {rule} alert");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn three_accounts_registered_in_one_browser_are_linked_by_its_device_cookie() {
    let app = TestApp::spawn().await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut ids = Vec::new();
    let mut devices = Vec::new();
    for name in ["anna", "bert", "cleo"] {
        let response = register_in(&app, &browser, name).await;
        devices.push(device_cookie(&response));
        let body: serde_json::Value = response.json().await.unwrap();
        ids.push(PlayerId(body["player"]["id"].as_i64().unwrap()));
    }
    assert_eq!(devices[0].len(), 32);
    assert!(
        devices.iter().all(|device| *device == devices[0]),
        "one browser, one device cookie"
    );
    let alert = alert_of(&app, "multi_accounting").await;
    ids.reverse();
    assert_eq!(alert.players, ids);
    assert!(
        alert.evidence.contains(&devices[0][..8]),
        "{}",
        alert.evidence
    );

    // A cookie the server could not have set is replaced, and links nothing.
    let other = app.http();
    let response = other
        .post(app.url("/auth/register"))
        .header("accept", "application/json")
        .header("cookie", format!("zl_device={}", devices[0].to_uppercase()))
        .form(&[("username", "dora"), ("password", "password1")])
        .send()
        .await
        .unwrap();
    let fresh = device_cookie(&response);
    assert_ne!(fresh, devices[0]);
    let pool = app.running.engine.store().pool();
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT device_id FROM sessions ORDER BY created_at")
            .fetch_all(pool)
            .await
            .unwrap();
    let expected = [&devices[0], &devices[0], &devices[0], &fresh].map(String::clone);
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn a_bot_betting_the_moment_wheel_rounds_open_is_flagged_for_reaction_time() {
    let app = TestApp::spawn().await;
    let token = app.register("quick").await;
    let mut bot = app.ws(Some(&token)).await;
    let player = bot.player();
    let mut last_round = serde_json::Value::Null;
    let rules = engine::risk::rules::REACTION_BETS;
    for placed in 0..rules {
        // The moment a round opens (not a state read mid-round on joining).
        let opened = bot
            .until(|f| {
                f["type"] == "wheel_round"
                    && f["round"]["phase"] == "betting"
                    && f["round"]["id"] != last_round
            })
            .await;
        last_round = opened["round"]["id"].clone();
        let bet = serde_json::json!({
            "type": "wheel_bet", "idem": format!("q{placed}"), "amount": 100, "segment": "blue"
        });
        assert_eq!(bot.call(bet).await["type"], "ack");
    }
    let alert = alert_of(&app, "reaction_time").await;
    assert_eq!(alert.players, [player]);
    // Risk actions are off on this test server: the alert says what it would have done.
    assert_eq!(alert.action, "alert");
}
