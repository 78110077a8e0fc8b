//! `GET /metrics`: the node's metrics in Prometheus' text format, for the operator's scraper.
//! Scrape each node directly: the load balancer's configuration (`deploy/nginx.conf`) does not
//! pass this path through.
//!
//! The engine records through the `metrics` facade (e.g. `zerolag_export_outbox_pending`); the
//! server adds what it knows at scrape time. docs/protocol.md lists every metric.

use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::atomic::Ordering;
use std::sync::OnceLock;

/// `/metrics`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

/// The process's recorder, installed by the first server the process starts (one per process:
/// the facade has one global recorder).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::warn!(%error, "another metrics recorder is installed");
        }
        handle
    })
}

/// Installs the recorder, so that what the engine records from the start is kept.
pub fn install() {
    handle();
}

async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let connections = state.connections.load(Ordering::Relaxed);
    metrics::gauge!("zerolag_websocket_connections").set(connections as f64);
    let draining = if state.draining.is_cancelled() {
        1.0
    } else {
        0.0
    };
    metrics::gauge!("zerolag_draining").set(draining);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
}
