//! Zerolag's server: the composition root.
//!
//! - [`config`]: flags and environment; [`limits`]: edge limits as named constants.
//! - [`state`]: the [`state::AppState`] every handler shares.
//! - [`listener`]: the TCP listener; every accepted socket gets `TCP_NODELAY`. [`serve`]: the
//!   accept loop (a deadline on request heads against slow clients, graceful stop).
//! - [`headers`]: security headers on every response; [`server_fns`]: server functions whose
//!   arguments do not decode answer 400.
//! - [`origin`]: refuses cross-origin state changes and WebSocket upgrades.
//! - [`auth`]: `/auth/register`, `/auth/login`, `/auth/logout` and the session cookie;
//!   [`client_ip`]: the client's address, also behind a trusted load balancer.
//! - [`fairness`]: `/api/chains` and `/api/rounds/{game}`, the fairness data as JSON.
//! - [`health`]: `/healthz` and `/readyz`; [`metrics`]: `/metrics` (Prometheus).
//! - [`gateway`]: the `/ws` WebSocket edge: decode, validate, limit, run, reply, fan out.
//!
//! Requests flow: axum router -> (origin check) -> auth handlers, the gateway, Leptos SSR
//! routes and server functions (which reach the engine through Leptos context), or static
//! files from the built site.
#![forbid(unsafe_code)]

pub mod auth;
pub mod bundle;
pub mod client_ip;
pub mod config;
pub mod fairness;
pub mod gateway;
pub mod headers;
pub mod health;
pub mod limits;
pub mod listener;
pub mod metrics;
pub mod operator_api;
pub mod origin;
pub mod serve;
pub mod server_fns;
pub mod state;

use anyhow::Context as _;
use app::{shell::shell, App};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use engine::Engine;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::Config;

/// How often a draining node looks whether its connections have closed (20 ms).
const DRAIN_POLL_MS: u64 = 20;

/// The browser bundle's base name (`output-name` in the workspace's Leptos metadata).
const BUNDLE_NAME: &str = "zerolag";

/// A started server.
pub struct Running {
    /// The address it listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// Its engine, for tests and tools that inspect state.
    pub engine: Engine,
    shutdown: CancellationToken,
    draining: CancellationToken,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Starts draining: `/readyz` answers 503, new WebSocket connections are refused, and each
    /// open one answers the commands it has read, then is closed with 1012 (connect again).
    /// Pages and server functions are still served, so a load balancer sees the node turn
    /// unready before it goes.
    pub fn start_draining(&self) {
        self.draining.cancel();
    }

    /// Drains (see [`Running::start_draining`]), waits until every WebSocket connection has
    /// closed (at most [`limits::DRAIN_TIMEOUT_MS`]), then stops accepting and waits for the
    /// requests in flight. Every command a client got an answer to was committed before it.
    pub async fn drain(self) {
        self.start_draining();
        let deadline =
            tokio::time::Instant::now() + Duration::from_millis(limits::DRAIN_TIMEOUT_MS);
        while self.connections.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(DRAIN_POLL_MS)).await;
        }
        let left = self.connections.load(Ordering::Relaxed);
        if left > 0 {
            tracing::warn!(
                connections = left,
                "drain timed out; stopping with connections open"
            );
        }
        self.stop().await;
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }

    /// Waits until the server stops on its own (it does not, unless it fails).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Runs `zerolag admin ...` on the database `config` names (migrating it first, as a start
/// would), and prints what it did.
pub async fn admin(config: &Config, action: &config::AdminAction) -> anyhow::Result<()> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let store = engine::store::Store::open(&config.database_url())
        .await
        .context("cannot open the database")?;
    let pool = store.pool();
    match action {
        config::AdminAction::Grant { username, role } => {
            grant(pool, username, (*role).into()).await?
        }
        config::AdminAction::Suspend { username } => suspend(pool, username, true).await?,
        config::AdminAction::Unsuspend { username } => suspend(pool, username, false).await?,
        config::AdminAction::Alerts { limit } => {
            let alerts = engine::risk::latest_alerts(pool, *limit).await?;
            if alerts.is_empty() {
                println!("no alerts");
            }
            for alert in alerts {
                let when = protocol::records::utc_text(alert.created_ms);
                let players: Vec<String> = alert.players.iter().map(|p| p.0.to_string()).collect();
                println!(
                    "#{} {when} UTC {} score {} {} players {} {}",
                    alert.id,
                    alert.rule,
                    alert.score,
                    alert.action,
                    players.join(","),
                    alert.evidence
                );
            }
        }
    }
    Ok(())
}

/// Records a command-line change in the audit log.
async fn audit(
    pool: &sqlx::AnyPool,
    action: &str,
    name: &str,
    change: [&str; 2],
) -> anyhow::Result<()> {
    let entry = engine::console::audit::Action {
        action,
        target: format!("player {name}"),
        before: change[0].to_owned(),
        after: change[1].to_owned(),
        reason: Some("zerolag admin, on the server's command line"),
    };
    engine::console::audit::record_by(pool, None, entry).await?;
    Ok(())
}

/// `zerolag admin grant`.
async fn grant(
    pool: &sqlx::AnyPool,
    username: &str,
    role: engine::chat::Role,
) -> anyhow::Result<()> {
    let (player, name) = engine::chat::player_named(pool, username)
        .await
        .with_context(|| format!("cannot find {username}"))?;
    let before: &str = engine::chat::role_of(pool, player).await?.into();
    let changed = engine::chat::grant_role(pool, username, role)
        .await
        .with_context(|| format!("cannot grant {username} the role {role:?}"))?;
    let after: &str = role.into();
    audit(pool, "grant_role", &name, [before, after]).await?;
    if changed {
        println!("{name} is now {after}; their sessions ended: they log in again");
    } else {
        println!("{name} is already {after}");
    }
    Ok(())
}

/// `zerolag admin suspend` and `unsuspend`.
async fn suspend(pool: &sqlx::AnyPool, username: &str, suspended: bool) -> anyhow::Result<()> {
    let (player, name) = engine::chat::player_named(pool, username)
        .await
        .with_context(|| format!("cannot find {username}"))?;
    engine::risk::store_suspension(pool, player, suspended).await?;
    let (action, state, change) = if suspended {
        ("suspend", "suspended", ["suspended: no", "suspended: yes"])
    } else {
        (
            "unsuspend",
            "no longer suspended",
            ["suspended: yes", "suspended: no"],
        )
    };
    audit(pool, action, &name, change).await?;
    println!("{name} is {state} (running nodes take it in within 5 s)");
    Ok(())
}

/// Opens the database, builds the router and starts serving on `config.addr`.
pub async fn start(config: &Config) -> anyhow::Result<Running> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
    }
    metrics::install();
    let engine = Engine::start_with(config.engine())
        .await
        .context("cannot start the engine")?;
    let listener = listener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let addr = listener.local_addr()?;

    let (bundle, hashed) = bundle::files(BUNDLE_NAME);
    let leptos = LeptosOptions::builder()
        .output_name(BUNDLE_NAME)
        .site_root(config.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .hash_files(hashed)
        .hash_file(std::sync::Arc::from(bundle::HASH_FILE))
        .build();
    let state = state::AppState {
        engine: engine.clone(),
        allowlist: origin::Allowlist(Arc::new(config.allowed_origins.clone())),
        secure_cookies: config.secure_cookies,
        leptos: leptos.clone(),
        bundle,
        connections: Arc::default(),
        draining: CancellationToken::new(),
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        metrics_access: Arc::new(metrics::Access::new(
            config.metrics_allow.clone(),
            config.metrics_token.as_deref(),
        )),
        admission: gateway::admission::Admission::new(
            config.ws_connections_per_ip,
            engine.bus().cloned(),
        ),
    };
    let (draining, connections) = (state.draining.clone(), state.connections.clone());
    let secure = state.secure_cookies;
    let router = headers::layer(router(state), secure);
    let shutdown = CancellationToken::new();
    let stopping = shutdown.clone();
    let task = tokio::spawn(serve::serve(listener, router, stopping));
    Ok(Running {
        addr,
        engine,
        shutdown,
        draining,
        connections,
        task,
    })
}

/// The app's routes, worked out once per process. Working them out renders the app with
/// resource loading switched off by a process-wide flag (leptos `SuppressResourceLoad`), so a
/// page rendering meanwhile on another server in the same process (the test suite starts many)
/// would wait forever for a resource that never loads (leptos-rs/leptos#4773). The list depends
/// on the build only, so one list serves every server.
fn app_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

fn router(state: state::AppState) -> Router {
    let routes = app_routes();
    let engine = state.engine.clone();
    let context = move || provide_context(engine.clone());
    let leptos = state.leptos.clone();
    let files = state.bundle.clone();
    let page = move |options| shell(options, files.clone());
    let pkg_dir =
        std::path::Path::new(leptos.site_root.as_ref()).join(leptos.site_pkg_dir.as_ref());
    let pkg = bundle::service(&pkg_dir, leptos.hash_files);
    Router::new()
        .nest_service(&format!("/{}", leptos.site_pkg_dir), pkg)
        .route("/ws", get(gateway::upgrade))
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(auth::routes())
        .merge(fairness::routes())
        .merge(operator_api::routes())
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let page = page.clone();
            move || page(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            state::AppState,
            _,
        >(context, page))
        .layer(axum::middleware::from_fn(server_fns::bad_arguments_are_400))
        .layer(axum::middleware::from_fn_with_state(
            state.allowlist.clone(),
            origin::refuse_cross_origin,
        ))
        .layer(DefaultBodyLimit::max(limits::REQUEST_BODY_BYTES_MAX))
        // The same limit for bodies no axum extractor reads (server functions read their own):
        // a declared length over it is refused with 413 before any handler runs.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            limits::REQUEST_BODY_BYTES_MAX,
        ))
        // Pages are revalidated on every use, and so are bundle files without content-hashed
        // names (they carry Last-Modified, so an unchanged one costs a 304): after a deploy a
        // browser never runs an old WASM bundle against new HTML. See `bundle`.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
