//! Health checks for process supervisors and load balancers.
//!
//! - `GET /healthz`: the process is alive and serving HTTP (200 `ok`).
//! - `GET /readyz`: the node should be sent traffic: 200 `ready` while it is not draining, its
//!   database answers within [`READY_DATABASE_TIMEOUT_MS`] and so does Redis (when the node has
//!   a bus); otherwise 503 with the reason.

use crate::limits::READY_DATABASE_TIMEOUT_MS;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use std::time::Duration;

/// `/healthz` and `/readyz`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.draining.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining");
    }
    let wait = Duration::from_millis(READY_DATABASE_TIMEOUT_MS);
    let ping = sqlx::query("SELECT 1").execute(state.engine.store().pool());
    match tokio::time::timeout(wait, ping).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable");
        }
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
    if let Some(bus) = state.engine.bus() {
        if !matches!(tokio::time::timeout(wait, bus.ping()).await, Ok(Ok(()))) {
            return (StatusCode::SERVICE_UNAVAILABLE, "redis unreachable");
        }
    }
    (StatusCode::OK, "ready")
}
