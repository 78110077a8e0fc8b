//! Fuzzing against the real server, in stable Rust (property-based, a bounded number of cases):
//! arbitrary WebSocket frames and arbitrary server-function arguments never take the server
//! down, and every refusal carries a code docs/protocol.md documents.

mod common;

use common::{TestApp, Ws};
use leptos::server_fn::ServerFn;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

/// Frames sent over the WebSocket (each followed by a `ping`: at 50 frames a second, a few
/// seconds).
const FRAME_CASES: u32 = 150;
/// Bodies posted to each server function.
const SERVER_FN_CASES: u32 = 40;
/// Pings carry `req`s from here up, beyond any a fuzzed frame carries.
const PING_REQ_BASE: u64 = 1 << 40;

/// The codes of docs/protocol.md's "Error codes" table.
fn documented_codes() -> Vec<String> {
    let docs = include_str!("../../docs/protocol.md");
    let table = docs
        .split("### Error codes")
        .nth(1)
        .expect("the error codes table")
        .split("\n## ")
        .next()
        .unwrap();
    table
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_owned)
        .collect()
}

/// Frames: JSON shaped like a command (a known type, fields of the right names with values of
/// any kind), JSON-ish noise, or any text.
fn frame() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(protocol::ClientMsg::TYPES.to_vec());
    let value = prop_oneof![
        Just(json!(null)),
        (0i64..1_000).prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        "[ -~]{0,20}".prop_map(|s| json!(s)),
        Just(json!({})),
        Just(json!([1, "x"])),
    ];
    let field = prop::sample::select(vec![
        "req",
        "idem",
        "amount",
        "target",
        "segment",
        "room",
        "body",
        "auto_cashout_x100",
        "client_seed",
        "username",
        "scope",
        "minutes",
        "reason",
        "topic",
    ]);
    let shaped = (kind, prop::collection::vec((field, value), 0..6)).prop_map(|(kind, fields)| {
        let mut frame = json!({ "type": kind });
        for (name, value) in fields {
            frame[name] = value;
        }
        frame.to_string()
    });
    prop_oneof![4 => shaped, 1 => any::<String>(), 1 => "[{}\\[\\]\":,a-z0-9]{0,40}"]
}

/// Sends `text`, then a ping; returns every reply (ack or error) that came before the ping's.
async fn replies_to(ws: &mut Ws, text: &str, ping: u64) -> Vec<Value> {
    // Two frames per 40 ms: the connection's sustained rate (50 a second), so no frame of the
    // run is refused as rate limited.
    tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    ws.send_text(text.to_owned()).await;
    ws.send_text(json!({ "type": "ping", "req": ping }).to_string())
        .await;
    let mut replies = Vec::new();
    loop {
        let frame = ws.next().await;
        if frame["req"] == json!(ping) {
            assert_eq!(
                frame["type"], "ack",
                "the connection still answers: {frame}"
            );
            return replies;
        }
        if frame["type"] == "ack" || frame["type"] == "error" {
            replies.push(frame);
        }
    }
}

#[test]
fn arbitrary_frames_are_answered_with_documented_codes_and_the_connection_goes_on() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, ws) = runtime.block_on(async {
        let app = TestApp::spawn().await;
        let token = app.register("fuzzy").await;
        let ws = app.ws(Some(&token)).await;
        (app, ws)
    });
    let codes = documented_codes();
    assert!(codes.len() > 20 && codes.contains(&"bad_request".to_owned()));
    // The runner takes a shared closure: the connection and the next ping's `req` in cells.
    let ws = std::cell::RefCell::new(ws);
    let ping = std::cell::Cell::new(PING_REQ_BASE);
    let mut runner = TestRunner::new(Config::with_cases(FRAME_CASES));
    runner
        .run(&frame(), |text| {
            ping.set(ping.get() + 1);
            let replies = runtime.block_on(replies_to(&mut ws.borrow_mut(), &text, ping.get()));
            let asked = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|frame| frame.get("req").and_then(Value::as_u64));
            for reply in &replies {
                if reply["type"] == "error" {
                    let code = reply["code"].as_str().unwrap_or_default();
                    prop_assert!(codes.iter().any(|c| c == code), "{code}: {reply}");
                }
            }
            if let Some(req) = asked {
                prop_assert!(
                    replies.iter().any(|reply| reply["req"] == json!(req)),
                    "{text} got no answer: {replies:?}"
                );
            }
            Ok(())
        })
        .unwrap();
    drop(app);
}

/// Form bodies: fields of the functions' own names with any text, or any text at all.
fn form_body() -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec!["room", "username", "upto", "hidden", "scope", "x"]);
    let pairs = prop::collection::vec((field, "[ -~]{0,16}"), 0..4).prop_map(|pairs| {
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{name}={}", urlencode(value)))
            .collect();
        encoded.join("&")
    });
    prop_oneof![pairs, any::<String>()]
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn arbitrary_server_function_arguments_are_refused_without_a_server_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, token) = runtime.block_on(async {
        let app = TestApp::spawn().await;
        let token = app.register("formy").await;
        (app, token)
    });
    let paths = [
        app::api::GetChatHistory::PATH,
        app::api::GetProfile::PATH,
        app::api::MarkNotificationsRead::PATH,
        app::api::SetStatsHidden::PATH,
        app::api::GetLeaderboards::PATH,
    ];
    let http = app.http();
    for path in paths {
        let mut runner = TestRunner::new(Config::with_cases(SERVER_FN_CASES));
        runner
            .run(&form_body(), |body| {
                let (status, answer) = runtime.block_on(async {
                    let response = http
                        .post(app.url(path))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("cookie", format!("zl_session={token}"))
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    (status, response.text().await.unwrap())
                });
                prop_assert!(
                    status == 200 || status == 400,
                    "{path} answered {status} to {body:?}: {answer}"
                );
                Ok(())
            })
            .unwrap();
    }
    drop(app);
}
