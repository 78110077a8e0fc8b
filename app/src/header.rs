//! The site header: navigation, connection state with the measured round trip, the live
//! balance and the account controls.

use crate::api::MeResource;
use crate::live::Live;
use leptos::prelude::*;

/// Header shown on every page.
#[component]
pub fn Header() -> impl IntoView {
    let live = expect_context::<Live>();
    let me = expect_context::<MeResource>().0;
    view! {
        <header class="top">
            <a class="brand" href="/">"Zerolag"</a>
            <nav class="nav">
                <a href="/crash">"Crash"</a>
                <a href="/wheel">"Wheel"</a>
                <a href="/dice">"Dice"</a>
                <a href="/leaderboard">"Leaderboard"</a>
                <a href="/me">"My bets"</a>
                <a href="/fair">"Fairness"</a>
            </nav>
            <span class="conn" class:live=move || live.is_live() data-testid="connection">
                {move || live.state.get().label()}
            </span>
            <span class="latency" data-testid="latency" title="Round trip of a command to the server">
                {move || {
                    live.round_trip_ms.get().filter(|_| live.is_live()).map(|ms| format!("{ms} ms"))
                }}
            </span>
            <span class="online" data-testid="online">
                {move || {
                    live.presence.get().filter(|_| live.is_live()).map(|c| format!("{} online", c.global))
                }}
            </span>
            <div class="account">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(Some(me)) => {
                                let ssr_balance = me.balance;
                                view! {
                                    {me.admin.then(|| view! {
                                        // A full page load: the console's pages come with their own bundle.
                                        <a href="/admin" rel="external">"Console"</a>
                                    })}
                                    <span class="who">{me.player.username}</span>
                                    <crate::notifications::InboxLink loaded=me.unread/>
                                    <span class="balance" aria-label="Balance" data-testid="balance">
                                        {move || live.balance.get().unwrap_or(ssr_balance).to_string()}
                                    </span>
                                    <form method="post" action="/auth/logout" class="inline">
                                        <button type="submit" class="ghost">"Log out"</button>
                                    </form>
                                }
                                    .into_any()
                            }
                            _ => view! {
                                <a href="/login">"Log in"</a>
                                <a href="/register" class="button">"Sign up"</a>
                            }
                                .into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </header>
    }
}
