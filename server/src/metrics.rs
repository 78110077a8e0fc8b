//! `GET /metrics`: the node's metrics in Prometheus' text format, for the operator's scraper.
//! Scrape each node directly: the load balancer's configuration (`deploy/nginx.conf`) does not
//! pass this path through. Only the addresses the operator allows (`--metrics-allow`, this
//! machine by default) or a request with the token (`--metrics-token`) may read it; others get
//! 403.
//!
//! The engine records through the `metrics` facade (e.g. `zerolag_export_outbox_pending`); the
//! server adds what it knows at scrape time. docs/protocol.md lists every metric.

use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::OnceLock;

/// `/metrics`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

/// Who may read `/metrics`.
pub struct Access {
    allowed: Vec<IpAddr>,
    /// SHA-256 of the token: comparing digests tells an attacker nothing about the token's bytes.
    token: Option<[u8; 32]>,
}

impl Access {
    /// Requests from `allowed`, or bearing `token`.
    pub fn new(allowed: Vec<IpAddr>, token: Option<&str>) -> Access {
        let token = token.map(|token| Sha256::digest(token.as_bytes()).into());
        Access { allowed, token }
    }

    fn admits(&self, peer: IpAddr, headers: &HeaderMap) -> bool {
        if self.allowed.contains(&peer) {
            return true;
        }
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        match (self.token, bearer) {
            (Some(token), Some(given)) => {
                let given: [u8; 32] = Sha256::digest(given.as_bytes()).into();
                given == token
            }
            _ => false,
        }
    }
}

/// Seconds boundaries of the command acknowledgement histogram.
const ACK_SECONDS_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0,
];
/// Boundaries of the ledger's batch sizes, in commands.
const BATCH_COMMANDS_BUCKETS: [f64; 10] =
    [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The process's recorder, installed by the first server the process starts (one per process:
/// the facade has one global recorder).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("zerolag_command_ack_seconds".into()),
                &ACK_SECONDS_BUCKETS,
            )
            .and_then(|builder| {
                builder.set_buckets_for_metric(
                    Matcher::Full("zerolag_ledger_batch_seconds".into()),
                    &ACK_SECONDS_BUCKETS,
                )
            })
            .and_then(|builder| {
                builder.set_buckets_for_metric(
                    Matcher::Full("zerolag_ledger_batch_commands".into()),
                    &BATCH_COMMANDS_BUCKETS,
                )
            })
            .expect("bucket lists are not empty");
        let recorder = builder.build_recorder();
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

async fn render(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !state.metrics_access.admits(peer.ip(), &headers) {
        let refusal = "metrics are for the addresses in --metrics-allow or with --metrics-token";
        return (StatusCode::FORBIDDEN, refusal).into_response();
    }
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
        .into_response()
}
