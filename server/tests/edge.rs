//! Every state-changing endpoint and command, refused at the edge as docs/protocol.md says: from
//! another site, without a session, and oversized; each with its documented answer, and nothing
//! changed in the database.

mod common;

use common::{TestApp, Ws};
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};

/// The state-changing HTTP endpoints, each with a well-formed body.
fn endpoints() -> Vec<(&'static str, String)> {
    let form = |pairs: &[(&str, &str)]| {
        let encoded: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        encoded.join("&")
    };
    vec![
        (
            "/auth/register",
            form(&[("username", "eve"), ("password", "password1")]),
        ),
        (
            "/auth/login",
            form(&[("username", "ada"), ("password", "password1")]),
        ),
        ("/auth/logout", String::new()),
        ("/auth/confirm", form(&[("password", "password1")])),
        (
            app::api::MarkNotificationsRead::PATH,
            form(&[("upto", "1")]),
        ),
        (app::api::SetStatsHidden::PATH, form(&[("hidden", "true")])),
        (
            app::api::console::AdminAdjustCredit::PATH,
            form(&[
                ("username", "ada"),
                ("amount", "100"),
                ("idempotency_key", "k"),
                ("reason", "why"),
            ]),
        ),
        (
            app::api::console::AdminCreateApiKey::PATH,
            form(&[("name", "shop")]),
        ),
    ]
}

/// The state-changing WebSocket commands, well formed.
fn commands() -> Vec<Value> {
    vec![
        json!({ "type": "dice_bet", "idem": "e1", "amount": 100, "target": 5_000 }),
        json!({ "type": "set_client_seed", "client_seed": "mine" }),
        json!({ "type": "rotate_seed" }),
        json!({ "type": "crash_bet", "idem": "e2", "amount": 100, "auto_cashout_x100": 200 }),
        json!({ "type": "crash_cash_out" }),
        json!({ "type": "wheel_bet", "idem": "e3", "amount": 100, "segment": "blue" }),
        json!({ "type": "chat_send", "room": "global", "body": "hello" }),
        json!({ "type": "chat_mute", "username": "ada", "minutes": 5, "reason": "r" }),
        json!({ "type": "chat_ban", "username": "ada", "reason": "r" }),
        json!({ "type": "chat_lift", "username": "ada" }),
        json!({ "type": "broadcast", "body": "hello all" }),
    ]
}

/// Row counts of the tables a refused request could have changed.
async fn state(app: &TestApp) -> Vec<i64> {
    let pool = app.running.engine.store().pool();
    let mut counts = Vec::new();
    for table in [
        "users",
        "sessions",
        "ledger_txs",
        "dice_bets",
        "round_bets",
        "chat_messages",
        "chat_standing",
        "notifications",
        "audit_log",
        "api_keys",
        "server_seeds",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        counts.push(
            sqlx::query_scalar::<_, i64>(&sql)
                .fetch_one(pool)
                .await
                .unwrap(),
        );
    }
    let hidden = "SELECT COUNT(*) FROM users WHERE stats_hidden <> 0";
    counts.push(sqlx::query_scalar(hidden).fetch_one(pool).await.unwrap());
    counts
}

#[tokio::test]
async fn cross_site_requests_are_refused_with_403_and_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.register("ada").await;
    let before = state(&app).await;
    for (path, body) in endpoints() {
        let response = app
            .http()
            .post(app.url(path))
            .header("origin", "http://evil.example")
            .header("cookie", format!("zl_session={token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(
            response.text().await.unwrap(),
            "cross-origin request refused"
        );
    }
    let url = format!("{}/ws", app.base.replace("http", "ws"));
    let refused = Ws::connect(&url, Some(&token), Some("http://evil.example")).await;
    assert!(
        refused.is_err(),
        "a cross-site WebSocket is refused at the upgrade"
    );
    assert_eq!(state(&app).await, before);
}

#[tokio::test]
async fn without_a_session_every_state_change_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.register("ada").await;
    let before = state(&app).await;
    for (path, body) in endpoints().into_iter().skip(3) {
        let response = app
            .http()
            .post(app.url(path))
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        // `/auth/confirm` answers as a wrong password; server functions `"Unauthorized"`.
        assert_eq!(response.status(), 401, "{path}");
    }
    let mut visitor = app.ws(None).await;
    for command in commands() {
        let refused = visitor.call(command.clone()).await;
        assert_eq!(refused["code"], "unauthorized", "{command}: {refused}");
    }
    assert_eq!(state(&app).await, before);
}

#[tokio::test]
async fn oversized_requests_and_frames_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.register("ada").await;
    let before = state(&app).await;
    let padding = format!(
        "&pad={}",
        "x".repeat(zerolag::limits::REQUEST_BODY_BYTES_MAX)
    );
    for (path, body) in endpoints() {
        let response = app
            .http()
            .post(app.url(path))
            .header("cookie", format!("zl_session={token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("{body}{padding}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
    }
    let mut ws = app.ws(Some(&token)).await;
    let big = "x".repeat(protocol::limits::WS_MESSAGE_BYTES_MAX + 1);
    for mut command in commands() {
        command["body"] = json!(big);
        command["req"] = json!(1);
        ws.send_text(command.to_string()).await;
        let refused = ws.until(|f| f["type"] == "error").await;
        assert_eq!(refused["code"], "too_large", "{command}");
        assert!(refused["req"].is_null());
    }
    assert_eq!(state(&app).await, before);
}
