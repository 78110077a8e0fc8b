//! The operator wallet API against the real server (docs/operator-api.md): keys made in the
//! console, signed credits and debits applied once per idempotency key and audited, and every
//! refusal (unsigned, unknown or revoked key, stale timestamp, bad signature, duplicate key,
//! insufficient funds) changing nothing.

mod common;

use app::api::console::{AdminCreateApiKey, AdminRevokeApiKey};
use common::TestApp;
use hmac::{Hmac, Mac};
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};
use sha2::Sha256;

/// An admin's session and a live key's id and secret.
async fn key(app: &TestApp) -> (String, String, String) {
    let token = app.register_admin("olga").await;
    let form = [("name", "shop")];
    let (status, created) = app
        .server_fn(AdminCreateApiKey::PATH, Some(&token), &form)
        .await;
    assert_eq!(status, 200, "{created}");
    let key_id = created["key"]["key_id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(key_id.starts_with("zk_") && key_id.len() == 15, "{key_id}");
    assert_eq!(secret.len(), 64);
    (token, key_id, secret)
}

fn now_secs() -> i64 {
    engine::store::now_ms() / 1_000
}

fn signature(secret: &str, method: &str, path: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{method}\n{path}\n{timestamp}\n{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Sends a signed request; returns the status and JSON body.
async fn send(
    app: &TestApp,
    (key_id, signature, timestamp): (&str, &str, i64),
    method: reqwest::Method,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let response = app
        .http()
        .request(method, app.url(path))
        .header("content-type", "application/json")
        .header("x-zerolag-key", key_id)
        .header("x-zerolag-timestamp", timestamp.to_string())
        .header("x-zerolag-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// Sends a correctly signed request now.
async fn call(
    app: &TestApp,
    (key_id, secret): (&str, &str),
    path: &str,
    body: Value,
) -> (u16, Value) {
    let (method, body) = if body.is_null() {
        (reqwest::Method::GET, String::new())
    } else {
        (reqwest::Method::POST, body.to_string())
    };
    let at = now_secs();
    let signed = signature(secret, method.as_str(), path, at, &body);
    send(app, (key_id, &signed, at), method, path, &body).await
}

fn adjustment(amount: i64, key: &str) -> Value {
    json!({ "amount": amount, "idempotency_key": key, "reason": "shop order" })
}

#[tokio::test]
async fn a_signed_credit_and_debit_move_credits_once_and_are_audited() {
    let app = TestApp::spawn().await;
    let (token, key_id, secret) = key(&app).await;
    app.register("alice").await;
    let key = (key_id.as_str(), secret.as_str());
    let credit = "/operator/v1/players/ALICE/credit";

    let (status, first) = call(&app, key, credit, adjustment(2_500, "order-1")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (&first["username"], &first["balance"], &first["repeated"]),
        (&json!("alice"), &json!(102_500), &json!(false))
    );
    // The same request again (a retry, or a replay within the window) moves nothing.
    let (_, again) = call(&app, key, credit, adjustment(2_500, "order-1")).await;
    assert_eq!(again["transaction"], first["transaction"]);
    assert_eq!(
        (&again["balance"], &again["repeated"]),
        (&json!(102_500), &json!(true))
    );
    let (status, conflict) = call(&app, key, credit, adjustment(3_000, "order-1")).await;
    assert_eq!(
        (status, &conflict["code"]),
        (409, &json!("idempotency_conflict"))
    );
    let debit = "/operator/v1/players/alice/debit";
    let (status, refused) = call(&app, key, debit, adjustment(200_000, "refund-1")).await;
    assert_eq!(
        (status, &refused["code"]),
        (409, &json!("insufficient_funds"))
    );
    let (status, debited) = call(&app, key, debit, adjustment(500, "refund-2")).await;
    assert_eq!(
        (status, &debited["balance"]),
        (200, &json!(102_000)),
        "{debited}"
    );
    let (status, balance) =
        call(&app, key, "/operator/v1/players/alice/balance", Value::Null).await;
    assert_eq!(
        (status, balance),
        (200, json!({ "username": "alice", "balance": 102_000 }))
    );
    let (status, body) = call(
        &app,
        key,
        "/operator/v1/players/nobody/credit",
        adjustment(1, "x"),
    )
    .await;
    assert_eq!((status, &body["code"]), (404, &json!("unknown_player")));
    let (status, body) = call(
        &app,
        key,
        credit,
        json!({ "amount": 0, "idempotency_key": "z", "reason": "r" }),
    )
    .await;
    assert_eq!((status, &body["code"]), (400, &json!("invalid")));

    audited(&app, &token, &key_id).await;
}

/// The audit log has both calls, in the name of the key's creator, naming the key.
async fn audited(app: &TestApp, token: &str, key_id: &str) {
    let (actions, log) = app.audit_log(token).await;
    assert_eq!(actions, ["api_debit", "api_credit", "create_api_key"]);
    assert_eq!(log[1]["actor"], "olga");
    assert!(
        log[1]["after"].as_str().unwrap().contains(key_id),
        "{}",
        log[1]
    );
}

#[tokio::test]
async fn unsigned_stale_forged_and_revoked_requests_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (token, key_id, secret) = key(&app).await;
    app.register("alice").await;
    let path = "/operator/v1/players/alice/credit";
    let body = adjustment(2_500, "order-1").to_string();
    let post = reqwest::Method::POST;
    let now = now_secs();

    let unsigned = app
        .http()
        .post(app.url(path))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(unsigned.json::<Value>().await.unwrap()["code"], "unsigned");
    let stale = now - 301;
    let signed = signature(&secret, "POST", path, stale, &body);
    let (status, refused) = send(&app, (&key_id, &signed, stale), post.clone(), path, &body).await;
    assert_eq!((status, &refused["code"]), (401, &json!("stale_timestamp")));
    let forged = signature("0".repeat(64).as_str(), "POST", path, now, &body);
    let (status, refused) = send(&app, (&key_id, &forged, now), post.clone(), path, &body).await;
    assert_eq!((status, &refused["code"]), (401, &json!("bad_signature")));
    // A signature over another body (or path) does not carry over.
    let other = signature(
        &secret,
        "POST",
        path,
        now,
        &adjustment(1, "order-1").to_string(),
    );
    let (status, _) = send(&app, (&key_id, &other, now), post.clone(), path, &body).await;
    assert_eq!(status, 401);
    let signed = signature(&secret, "POST", path, now, &body);
    let (status, refused) = send(
        &app,
        ("zk_000000000000", &signed, now),
        post.clone(),
        path,
        &body,
    )
    .await;
    assert_eq!((status, &refused["code"]), (401, &json!("unknown_key")));

    let revoke = [("key_id", key_id.as_str())];
    let (status, _) = app
        .server_fn(AdminRevokeApiKey::PATH, Some(&token), &revoke)
        .await;
    assert_eq!(status, 200);
    let (status, refused) = send(&app, (&key_id, &signed, now), post, path, &body).await;
    assert_eq!((status, &refused["code"]), (401, &json!("unknown_key")));

    let balance = app
        .running
        .engine
        .console()
        .api_balance("alice")
        .await
        .unwrap()
        .1;
    assert_eq!(balance.0, 100_000, "nothing moved");
}
