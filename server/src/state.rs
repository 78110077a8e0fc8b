//! The state every handler shares, built once at startup.

use crate::origin::Allowlist;
use app::shell::Bundles;
use axum::extract::FromRef;
use engine::Engine;
use leptos::prelude::LeptosOptions;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The real-time domain.
    pub engine: Engine,
    /// Origins allowed besides the server's own.
    pub allowlist: Allowlist,
    /// Whether session cookies are marked `Secure`.
    pub secure_cookies: bool,
    /// Leptos rendering options.
    pub leptos: LeptosOptions,
    /// The browser bundles' file names, which every page links (the console's on `/admin`).
    pub bundle: Bundles,
    /// Open WebSocket connections.
    pub connections: Arc<AtomicUsize>,
    /// Cancelled when the node starts draining (`Running::drain`).
    pub draining: CancellationToken,
    /// How many connections each client address may hold.
    pub admission: Arc<crate::gateway::admission::Admission>,
    /// Load balancers whose `X-Forwarded-For` names the client (`client_ip`).
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// Who may read `/metrics`.
    pub metrics_access: Arc<crate::metrics::Access>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for Allowlist {
    fn from_ref(state: &AppState) -> Allowlist {
        state.allowlist.clone()
    }
}
