//! `/metrics` against the real server: only allowed addresses or the token read it, and it
//! counts commands by type and result, their acknowledgement times and the ledger's batches.

mod common;

use common::{dice_bet, TestApp, METRICS_TOKEN};

#[tokio::test]
async fn metrics_need_an_allowed_address_or_the_token() {
    let app = TestApp::spawn_metrics_by_token_only().await;
    let url = app.url("/metrics");
    let refused = app.http().get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let wrong = app
        .http()
        .get(&url)
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let scraped = app
        .http()
        .get(&url)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
}

#[tokio::test]
async fn commands_are_counted_by_type_and_result_and_timed() {
    let app = TestApp::spawn().await;
    let token = app.register("metered").await;
    let mut ws = app.ws(Some(&token)).await;
    assert_eq!(ws.call(dice_bet("m1", 100, 5_000)).await["type"], "ack");
    let refused = ws.call(dice_bet("m2", 0, 5_000)).await;
    assert_eq!(refused["code"], "bet_too_small");
    let text = app.metrics_text().await;
    for needle in [
        r#"zerolag_commands_total{type="dice_bet",result="ack"}"#,
        r#"zerolag_commands_total{type="dice_bet",result="bet_too_small"}"#,
        r#"zerolag_command_ack_seconds_bucket{type="dice_bet",le="0.005"}"#,
        "zerolag_ledger_batch_commands_bucket",
        "zerolag_ledger_batch_seconds_count",
        "zerolag_websocket_connections",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

/// Every metric the Grafana dashboard charts is one `docs/protocol.md` documents.
#[test]
fn the_dashboard_charts_only_documented_metrics() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dashboard = std::fs::read_to_string(root.join("deploy/grafana-dashboard.json")).unwrap();
    let docs = std::fs::read_to_string(root.join("docs/protocol.md")).unwrap();
    let mut charted = Vec::new();
    for (at, _) in dashboard.match_indices("zerolag_") {
        let name: String = dashboard[at..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        let name = name.strip_suffix("_bucket").unwrap_or(&name).to_owned();
        charted.push(name);
    }
    assert!(charted.len() >= 10, "{charted:?}");
    for name in charted {
        assert!(
            docs.contains(&format!("`{name}")),
            "{name} is not in docs/protocol.md"
        );
    }
}
