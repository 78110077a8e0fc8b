//! Zerolag's user interface, rendered on the server first and then hydrated in the browser.
//!
//! - [`api`]: server functions (reads: who am I, history, recent bets) and their error type.
//! - [`live`]: the client's one WebSocket per tab: connection state, live balance, seed, feed,
//!   and request/reply with retries of idempotent commands after a reconnect.
//! - Shared components: [`header`]; [`chat`], a chat room's panel; [`feed`], the public dice feed; [`signed_in`], the one gate
//!   in front of what needs a signed-in player; [`bet_form`], the bet controls every game uses;
//!   [`round_game`], the page of a shared round game (crash, wheel) and its bets table.
//! - [`pages`]: one module per route.
//!
//! Data flow: SSR renders each page from server functions; after hydration [`live`] connects
//! to `/ws`, and its signals (balance, feed) take over from the server-rendered values.
#![forbid(unsafe_code)]

pub mod api;
pub mod bet_form;
pub mod chat;
pub mod feed;
pub mod header;
pub mod leaderboard;
pub mod live;
pub mod notifications;
pub mod pages;
pub mod round_game;
#[cfg(feature = "ssr")]
pub mod shell;
pub mod signed_in;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use leptos_router::SsrMode;

/// Name of the cookie that carries the session token over plain http.
pub const SESSION_COOKIE: &str = "zl_session";
/// Its name when the server is reached over https (`--secure-cookies`): with the `__Host-`
/// prefix a browser keeps it only if it is `Secure`, for path `/` and this host alone (no
/// `Domain`), so a sibling subdomain cannot set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-zl_session";

/// The session token a request carries: under the https name, else the plain one.
#[cfg(feature = "ssr")]
pub fn session_token(jar: &axum_extra::extract::CookieJar) -> Option<&str> {
    jar.get(SECURE_SESSION_COOKIE)
        .or_else(|| jar.get(SESSION_COOKIE))
        .map(|cookie| cookie.value())
}

/// The whole application: header, routes, and the live connection shared by every page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    live::provide();
    api::provide_me();
    view! {
        <Title text="Zerolag"/>
        <Router>
            <header::Header/>
            <main class="page">
                {routes()}
            </main>
            <notifications::Toasts/>
        </Router>
    }
}

/// Every route: the players' pages, and the routes given (the console's, in the builds that
/// have them).
macro_rules! routes {
    ($($console:tt)*) => {
        view! {
            <Routes fallback=pages::NotFound>
                <Route path=path!("") view=pages::lobby::Lobby ssr=SsrMode::Async/>
                <Route path=path!("/login") view=pages::auth::Login ssr=SsrMode::Async/>
                <Route path=path!("/register") view=pages::auth::Register ssr=SsrMode::Async/>
                <Route path=path!("/dice") view=pages::dice::DicePage ssr=SsrMode::Async/>
                <Route path=path!("/crash") view=pages::crash::CrashPage ssr=SsrMode::Async/>
                <Route path=path!("/wheel") view=pages::wheel::WheelPage ssr=SsrMode::Async/>
                <Route path=path!("/me") view=pages::me::MePage ssr=SsrMode::Async/>
                <Route path=path!("/fair") view=pages::fair::FairPage ssr=SsrMode::Async/>
                <Route path=path!("/notifications") view=pages::notifications::NotificationsPage ssr=SsrMode::Async/>
                <Route path=path!("/leaderboard") view=pages::leaderboard::LeaderboardPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:username") view=pages::profile::ProfilePage ssr=SsrMode::Async/>
                $($console)*
            </Routes>
        }
    };
}

/// The players' pages and the operator console's (the server and the console's bundle).
#[cfg(feature = "console")]
fn routes() -> impl IntoView {
    routes! {
        <Route path=path!("/admin") view=pages::admin::dashboard::DashboardPage ssr=SsrMode::Async/>
        <Route path=path!("/admin/alerts") view=pages::admin::alerts::AlertsPage ssr=SsrMode::Async/>
        <Route path=path!("/admin/alerts/:id") view=pages::admin::alerts::AlertPage ssr=SsrMode::Async/>
        <Route path=path!("/admin/players") view=pages::admin::players::PlayersPage ssr=SsrMode::Async/>
        <Route path=path!("/admin/players/:username") view=pages::admin::players::PlayerPage ssr=SsrMode::Async/>
        <Route path=path!("/admin/rounds") view=pages::admin::rounds::RoundsPage ssr=SsrMode::Async/>
        <Route path=path!("/admin/audit") view=pages::admin::audit::AuditPage ssr=SsrMode::Async/>
        <Route path=path!("/admin/keys") view=pages::admin::keys::KeysPage ssr=SsrMode::Async/>
    }
}

/// The players' pages (their bundle: the console's pages are in a bundle of their own).
#[cfg(not(feature = "console"))]
fn routes() -> impl IntoView {
    routes! {}
}
