//! Notifications in the page: toasts in a live region as they arrive, and the header's link to
//! the inbox with the unread count.

use crate::live::Live;
use leptos::prelude::*;

/// How long a toast stays, in milliseconds.
pub const TOAST_MS: u64 = 8_000;
/// Toasts shown at once; older ones leave first.
pub const TOASTS_SHOWN_MAX: usize = 4;

/// The toasts: a live region a screen reader announces.
#[component]
pub fn Toasts() -> impl IntoView {
    let live = expect_context::<Live>();
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || live.toasts.get() key=|(id, _)| *id let((_, notification))>
                <p class=format!("toast {}", notification.kind.as_str())>{notification.text}</p>
            </For>
        </div>
    }
}

/// The header's link to the inbox: `Notifications` and the unread count (`loaded` with the
/// page).
#[component]
pub fn InboxLink(loaded: u64) -> impl IntoView {
    let live = expect_context::<Live>();
    // What the page loaded (or 0 once marked read here), plus what arrived since.
    let unread = move || live.unread.get().unwrap_or(loaded) + live.kept.get();
    view! {
        <a href="/notifications" class="inbox" data-testid="inbox-link">
            "Notifications "
            <span class="badge" class:none=move || unread() == 0>{unread}</span>
        </a>
    }
}
