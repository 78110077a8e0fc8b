//! One module per route.

#[cfg(feature = "console")]
pub mod admin;
pub mod auth;
pub mod crash;
pub mod dice;
pub mod fair;
pub mod leaderboard;
pub mod lobby;
pub mod me;
pub mod notifications;
pub mod profile;
pub mod wheel;

use leptos::prelude::*;

/// Shown for unknown paths (with status 404).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to the lobby"</a></p>
        </section>
    }
}
