//! The operator console against the real server: who may use it (a table over every console
//! server function and the `admin_watch` command), what operators do (suspend, cap, adjust
//! credit, resolve alerts), the password asked again after 15 minutes, the audit log, the
//! live dashboard and a round's replay.

mod common;

use app::api::console::{
    AdminActOnPlayer, AdminAdjustCredit, AdminAlert, AdminAlerts, AdminApiKeys, AdminAuditLog,
    AdminCreateApiKey, AdminOperator, AdminPlayer, AdminPlayers, AdminReplay, AdminResolveAlert,
    AdminRevokeApiKey,
};
use app::api::AppError;
use common::{admin, dice_bet, is_wheel_betting, Db, TestApp};
use leptos::server_fn::ServerFn;
use serde_json::json;
use sqlx::Row;

/// Every console server function with arguments it would accept from an admin.
fn console_calls() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let act = vec![
        ("username", "bob"),
        ("action", "suspend"),
        ("reason", "looks automated"),
    ];
    vec![
        (AdminOperator::PATH, vec![]),
        (AdminAlerts::PATH, vec![]),
        (AdminAlert::PATH, vec![("id", "1")]),
        (
            AdminResolveAlert::PATH,
            vec![("id", "1"), ("action", "dismiss"), ("reason", "fine")],
        ),
        (AdminPlayers::PATH, vec![("prefix", "b")]),
        (AdminPlayer::PATH, vec![("username", "bob")]),
        (AdminActOnPlayer::PATH, act),
        (
            AdminAdjustCredit::PATH,
            vec![
                ("username", "bob"),
                ("amount", "500"),
                ("idempotency_key", "k1"),
                ("reason", "goodwill"),
            ],
        ),
        (AdminReplay::PATH, vec![("game", "wheel"), ("number", "1")]),
        (AdminAuditLog::PATH, vec![]),
        (AdminApiKeys::PATH, vec![]),
        (AdminCreateApiKey::PATH, vec![("name", "shop")]),
        (AdminRevokeApiKey::PATH, vec![("key_id", "zk_000000000000")]),
    ]
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = sqlx::query(sql).fetch_one(app.running.engine.store().pool());
    row.await.unwrap().get(0)
}

#[tokio::test]
async fn every_console_call_is_refused_to_visitors_players_and_moderators_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let bob = app.register("bob").await;
    let old_session = app.register("mona").await;
    admin(&app, &["grant", "mona", "moderator"], true);
    // A new role ends the player's sessions: the old one signs nobody in.
    let (path, form) = &console_calls()[0];
    let (status, _) = app.server_fn(path, Some(&old_session), form).await;
    assert_eq!(status, 401);
    let moderator = app.log_in("mona").await;
    for (path, form) in console_calls() {
        let (status, body) = app.server_fn(path, None, &form).await;
        assert_eq!((status, &body), (401, &json!("Unauthorized")), "{path}");
        for token in [&bob, &moderator] {
            let (status, body) = app.server_fn(path, Some(token), &form).await;
            assert_eq!((status, &body), (403, &json!("Forbidden")), "{path}");
        }
    }
    for token in [None, Some(bob.as_str()), Some(moderator.as_str())] {
        let mut ws = app.ws(token).await;
        let refused = ws.call(json!({ "type": "admin_watch" })).await;
        let code = if token.is_none() {
            "unauthorized"
        } else {
            "forbidden"
        };
        assert_eq!(refused["code"], code, "{refused}");
    }
    // Only the command line's grant of mona's role.
    let logged = "SELECT COUNT(*) FROM audit_log WHERE kind <> 'grant_role'";
    assert_eq!(count(&app, logged).await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM api_keys").await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE suspended_at IS NOT NULL"
        )
        .await,
        0
    );
    let ws = app.ws(Some(&bob)).await;
    assert_eq!(ws.welcome["balance"], 100_000, "no credit moved");
}

#[tokio::test]
async fn an_admin_suspends_caps_and_credits_a_player_and_each_action_is_audited() {
    suspend_cap_and_credit(Db::Sqlite).await;
}

#[tokio::test]
async fn an_admin_suspends_caps_and_credits_a_player_on_postgres() {
    suspend_cap_and_credit(Db::Postgres).await;
}

async fn suspend_cap_and_credit(db: Db) {
    let app = TestApp::spawn_on(db, None, None).await;
    let olga = app.register_admin("olga").await;
    let bob = app.register("bob").await;
    let mut ws = app.ws(Some(&bob)).await;
    let act = |action: &'static str, cap: &'static str| {
        let mut form = vec![
            ("username", "bob"),
            ("action", action),
            ("reason", "review"),
        ];
        if !cap.is_empty() {
            form.push(("cap", cap));
        }
        form
    };

    let (status, row) = app
        .server_fn(AdminActOnPlayer::PATH, Some(&olga), &act("suspend", ""))
        .await;
    assert_eq!((status, &row["suspended"]), (200, &json!(true)), "{row}");
    let refused = ws.call(dice_bet("s-1", 100, 5_000)).await;
    assert_eq!(refused["code"], "account_suspended", "{refused}");
    app.server_fn(AdminActOnPlayer::PATH, Some(&olga), &act("unsuspend", ""))
        .await;

    let (status, row) = app
        .server_fn(AdminActOnPlayer::PATH, Some(&olga), &act("cap", "150"))
        .await;
    assert_eq!((status, &row["bet_cap"]), (200, &json!(150)), "{row}");
    let refused = ws.call(dice_bet("c-1", 151, 5_000)).await;
    assert_eq!(refused["code"], "bet_capped", "{refused}");
    assert_eq!(ws.call(dice_bet("c-2", 150, 5_000)).await["type"], "ack");
    let (status, body) = app
        .server_fn(AdminActOnPlayer::PATH, Some(&olga), &act("cap", "0"))
        .await;
    assert_eq!(status, 400, "{body}");
    app.server_fn(AdminActOnPlayer::PATH, Some(&olga), &act("uncap", ""))
        .await;
    assert_eq!(ws.call(dice_bet("c-3", 151, 5_000)).await["type"], "ack");

    credit_and_audit(&app, &olga, &bob).await;
}

/// Credits bob twice with one key, refuses a reused key and an overdraft, then reads the
/// audit log of everything olga did.
async fn credit_and_audit(app: &TestApp, olga: &str, bob: &str) {
    let balance = app.ws(Some(bob)).await.welcome["balance"].as_i64().unwrap();
    let credit = [
        ("username", "bob"),
        ("amount", "50000"),
        ("idempotency_key", "goodwill-1"),
        ("reason", "apology for downtime"),
    ];
    for _ in 0..2 {
        let (status, row) = app
            .server_fn(AdminAdjustCredit::PATH, Some(olga), &credit)
            .await;
        assert_eq!(
            (status, &row["balance"]),
            (200, &json!(balance + 50_000)),
            "{row}"
        );
    }
    let mut reused = credit;
    reused[1].1 = "60000";
    let (status, body) = app
        .server_fn(AdminAdjustCredit::PATH, Some(olga), &reused)
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["Refused"]["code"], "idempotency_conflict");
    let debit = [
        ("username", "bob"),
        ("amount", "-100000000"),
        ("idempotency_key", "too-much"),
        ("reason", "test"),
    ];
    let (status, body) = app
        .server_fn(AdminAdjustCredit::PATH, Some(olga), &debit)
        .await;
    assert_eq!(
        (status, &body["Refused"]["code"]),
        (409, &json!("insufficient_funds"))
    );
    assert_eq!(app.ws(Some(bob)).await.welcome["balance"], balance + 50_000);
    let adjustments = "SELECT COUNT(*) FROM ledger_txs WHERE kind = 'adjustment'";
    assert_eq!(count(app, adjustments).await, 1);

    audit_log_and_player(app, olga).await;
}

/// The audit log of what olga did to bob (append-only), and bob as the console shows him.
async fn audit_log_and_player(app: &TestApp, olga: &str) {
    let (actions, log) = app.audit_log(olga).await;
    assert_eq!(
        actions,
        [
            "adjust_credit",
            "uncap_bets",
            "cap_bets",
            "unsuspend",
            "suspend"
        ],
        "newest first; refusals are not actions"
    );
    let suspend = &log[4];
    assert_eq!(suspend["actor"], "olga");
    assert_eq!(suspend["target"], "player bob");
    assert_eq!(suspend["reason"], "review");
    assert!(
        suspend["before"]
            .as_str()
            .unwrap()
            .starts_with("suspended: no"),
        "{suspend}"
    );
    assert!(
        suspend["after"]
            .as_str()
            .unwrap()
            .starts_with("suspended: yes"),
        "{suspend}"
    );
    let pool = app.running.engine.store().pool();
    let rewrite = sqlx::query("UPDATE audit_log SET reason = 'nothing'")
        .execute(pool)
        .await;
    assert!(rewrite.is_err(), "the audit log is append-only");
    assert!(sqlx::query("DELETE FROM audit_log")
        .execute(pool)
        .await
        .is_err());

    let (_, detail) = app
        .server_fn(AdminPlayer::PATH, Some(olga), &[("username", "BOB")])
        .await;
    assert_eq!(detail["row"]["player"]["username"], "bob");
    assert_eq!(detail["transactions"][0]["kind"], "adjustment");
    assert_eq!(detail["dice_bets"].as_array().unwrap().len(), 2);
    assert_eq!(detail["sessions"][0]["ip"], "127.0.0.1");
    let (_, found) = app
        .server_fn(AdminPlayers::PATH, Some(olga), &[("prefix", "b")])
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
}

#[tokio::test]
async fn console_pages_hydrate_with_the_console_bundle_and_players_never_load_it() {
    let app = TestApp::spawn().await;
    let olga = app.register_admin("olga").await;
    let page = |path: &'static str| {
        let request = app.http().get(app.url(path));
        let request = request.header("cookie", format!("zl_session={olga}"));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    for path in ["/admin", "/admin/players"] {
        let html = page(path).await;
        assert!(html.contains("/pkg/zerolag-console.js"), "{path}: {html}");
        assert!(html.contains("/pkg/zerolag-console.wasm"), "{path}");
    }
    for path in ["/", "/crash", "/administrators"] {
        let html = page(path).await;
        assert!(!html.contains("zerolag-console"), "{path}: {html}");
    }
    assert!(
        page("/").await.contains(r#"href="/admin" rel="external""#),
        "the header's link loads the console's bundle"
    );
}

#[tokio::test]
async fn an_action_needs_the_password_typed_within_15_minutes() {
    let app = TestApp::spawn().await;
    let olga = app.register_admin("olga").await;
    app.register("bob").await;
    let pool = app.running.engine.store().pool();
    let sixteen_minutes_ago = engine::store::now_ms() - 16 * 60 * 1_000;
    sqlx::query("UPDATE sessions SET authenticated_at = $1")
        .bind(sixteen_minutes_ago)
        .execute(pool)
        .await
        .unwrap();
    let suspend = [("username", "bob"), ("action", "suspend"), ("reason", "x")];
    let (status, body) = app
        .server_fn(AdminActOnPlayer::PATH, Some(&olga), &suspend)
        .await;
    assert_eq!((status, body), (403, json!("Reauthenticate")));
    let (status, _) = app
        .server_fn(AdminPlayers::PATH, Some(&olga), &[("prefix", "")])
        .await;
    assert_eq!(status, 200, "reading needs no fresh password");

    let confirm = |password: &'static str| {
        app.http()
            .post(app.url("/auth/confirm"))
            .header("cookie", format!("zl_session={olga}"))
            .form(&[("password", password), ("next", "/admin/players")])
            .send()
    };
    let wrong = confirm("not-my-password").await.unwrap();
    assert_eq!(wrong.status(), 303);
    assert_eq!(
        wrong.headers()["location"],
        "/admin/players?error=invalid_credentials"
    );
    let right = confirm("password1").await.unwrap();
    assert_eq!(right.headers()["location"], "/admin/players");
    let (status, _) = app
        .server_fn(AdminActOnPlayer::PATH, Some(&olga), &suspend)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_admin_resolves_an_alert_and_sees_the_accounts_sharing_its_address() {
    let app = TestApp::spawn().await;
    let olga = app.register_admin("olga").await;
    // Five sign-ups from one address: the signup-farming rule fires.
    for name in ["farm1", "farm2", "farm3", "farm4", "farm5"] {
        app.register(name).await;
    }
    let open = [("status", "open")];
    let alerts = loop {
        let (_, alerts) = app.server_fn(AdminAlerts::PATH, Some(&olga), &open).await;
        if !alerts.as_array().unwrap().is_empty() {
            break alerts;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let alert = &alerts[0];
    assert_eq!(alert["rule"], "signup_farming");
    assert!(alert["explanation"].as_str().unwrap().contains("24 h"));
    let id = alert["id"].to_string();
    let (_, detail) = app
        .server_fn(AdminAlert::PATH, Some(&olga), &[("id", &id)])
        .await;
    let links = detail["links"].as_array().unwrap();
    assert!(
        links
            .iter()
            .any(|l| l["to"]["username"] == "farm2" && l["via"] == "ip 127.0.0.1"),
        "{detail}"
    );
    let (status, _) = app
        .server_fn(AdminAlert::PATH, Some(&olga), &[("id", "999")])
        .await;
    assert_eq!(status, 404);

    let dismiss = [
        ("id", id.as_str()),
        ("action", "dismiss"),
        ("reason", "a LAN party"),
    ];
    let (status, resolved) = app
        .server_fn(AdminResolveAlert::PATH, Some(&olga), &dismiss)
        .await;
    assert_eq!(
        (status, &resolved["status"]),
        (200, &json!("dismissed")),
        "{resolved}"
    );
    assert_eq!(resolved["resolution"], "dismissed: a LAN party");
    let (_, still_open) = app.server_fn(AdminAlerts::PATH, Some(&olga), &open).await;
    assert_eq!(still_open, json!([]));
    let (_, log) = app
        .server_fn(
            AdminAuditLog::PATH,
            Some(&olga),
            &[("action", "dismiss_alert")],
        )
        .await;
    assert_eq!(log[0]["reason"], "a LAN party");
}

#[tokio::test]
async fn the_dashboard_counts_connections_bets_and_the_house_result_live() {
    let app = TestApp::spawn_with_chains(None, Some(([5u8; 32], 16))).await;
    let olga = app.register_admin("olga").await;
    let alice = app.register("alice").await;
    let mut watch = app.ws(Some(&olga)).await;
    assert_eq!(
        watch.call(json!({ "type": "admin_watch" })).await["type"],
        "ack"
    );
    let first = watch.until(|f| f["type"] == "admin_stats").await;
    assert!(
        first["stats"]["connections"].as_u64().unwrap() >= 1,
        "{first}"
    );

    let mut a = app.ws(Some(&alice)).await;
    assert_eq!(a.call(dice_bet("d-1", 100, 5_000)).await["type"], "ack");
    watch
        .until(|f| f["type"] == "admin_stats" && f["stats"]["bets_per_sec"] == 1)
        .await;
    let counted = watch
        .until(|f| f["type"] == "admin_stats" && f["stats"]["house_today"][0]["wagered"] == 100)
        .await;
    assert_eq!(counted["stats"]["house_today"][0]["game"], "dice");
}

#[tokio::test]
async fn a_round_replays_to_its_chain_and_its_ledger_rows() {
    let app = TestApp::spawn_with_chains(None, Some(([5u8; 32], 16))).await;
    let olga = app.register_admin("olga").await;
    let alice = app.register("alice").await;
    let mut a = app.ws(Some(&alice)).await;
    a.until(is_wheel_betting).await;
    let placed = a
        .call(json!({ "type": "wheel_bet", "idem": "w-1", "amount": 1_000, "segment": "blue" }))
        .await;
    assert_eq!(placed["type"], "ack", "{placed}");
    let round = placed["result"]["round"].clone();
    let spin = a
        .until(|f| {
            f["type"] == "wheel_round"
                && f["round"]["id"] == round
                && f["round"]["phase"] == "spinning"
        })
        .await;
    let number = spin["round"]["number"].to_string();
    // The next round's betting: this one has ended.
    a.until(|f| is_wheel_betting(f) && f["round"]["id"] != round)
        .await;
    app.assert_rounds_settled().await;
    let replay_form = [("game", "wheel"), ("number", number.as_str())];
    let (status, replay) = app
        .server_fn(AdminReplay::PATH, Some(&olga), &replay_form)
        .await;
    assert_eq!(status, 200, "{replay}");
    assert_eq!(replay["matches"], true, "{replay}");
    assert_eq!(replay["in_chain"], true);
    assert_eq!(replay["stored_outcome"], replay["computed_outcome"]);
    let bet = &replay["bets"][0];
    assert_eq!(bet["player"]["username"], "alice", "{replay}");
    assert_eq!(bet["expected_payout"], bet["ledger_paid"]);

    // A payout that differs from the rules shows up as a difference.
    let pool = app.running.engine.store().pool();
    sqlx::query("UPDATE round_bets SET payout = payout + 1")
        .execute(pool)
        .await
        .unwrap();
    let (_, tampered) = app
        .server_fn(AdminReplay::PATH, Some(&olga), &replay_form)
        .await;
    assert_eq!(tampered["matches"], false);
    let differences = tampered["differences"].as_array().unwrap();
    assert!(
        differences[0].as_str().unwrap().contains("of alice"),
        "{tampered}"
    );
    let error: AppError = serde_json::from_value(
        app.server_fn(
            AdminReplay::PATH,
            Some(&olga),
            &[("game", "plinko"), ("number", "1")],
        )
        .await
        .1,
    )
    .unwrap();
    assert!(matches!(error, AppError::Refused { code, .. } if code == "invalid"));
}
