//! `/leaderboard?scope=<overall|dice|crash|wheel>&metric=<profit|wagered>`: a scope's boards by
//! one metric, today, this week and all time, live.

use crate::api::get_leaderboards;
use crate::leaderboard::{BoardTable, WatchBoards};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use protocol::leaderboard::{Metric, Scope, LEADERBOARD_PROFIT_WAGER_MIN};

/// `/leaderboard`
#[component]
pub fn LeaderboardPage() -> impl IntoView {
    let query = use_query_map();
    let scope = Memo::new(move |_| {
        let name = query.read().get("scope").unwrap_or_default();
        Scope::parse(&name).unwrap_or(Scope::Overall)
    });
    let metric = Memo::new(move |_| {
        let name = query.read().get("metric").unwrap_or_default();
        Metric::parse(&name).unwrap_or(Metric::Profit)
    });
    let boards = Resource::new(
        move || (scope.get(), metric.get()),
        |(scope, metric)| get_leaderboards(scope, metric),
    );
    let link = move |to_scope: Scope, to_metric: Metric| {
        format!(
            "/leaderboard?scope={}&metric={}",
            to_scope.as_str(),
            to_metric.as_str()
        )
    };
    let minimum = LEADERBOARD_PROFIT_WAGER_MIN.to_string();
    view! {
        <h1>"Leaderboard"</h1>
        <WatchBoards scope=scope.into()/>
        <nav class="tabs" aria-label="Game">
            {Scope::ALL.map(|to| {
                let label = match to {
                    Scope::Overall => "All games",
                    Scope::Dice => "Dice",
                    Scope::Crash => "Crash",
                    Scope::Wheel => "Wheel",
                };
                view! {
                    <a href=move || link(to, metric.get())
                        aria-current=move || (scope.get() == to).then_some("page")>{label}</a>
                }
            }).collect_view()}
        </nav>
        <nav class="tabs" aria-label="Ranked by">
            {Metric::ALL.map(|to| {
                let label = match to {
                    Metric::Profit => "Profit",
                    Metric::Wagered => "Wagered",
                };
                view! {
                    <a href=move || link(scope.get(), to)
                        aria-current=move || (metric.get() == to).then_some("page")>{label}</a>
                }
            }).collect_view()}
        </nav>
        <p class="muted">
            {format!("Profit boards rank players who wagered at least {minimum} in the period. Days start at 00:00 UTC, weeks on Mondays.")}
        </p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match boards.await {
                    Ok(boards) => view! {
                        <div class="boards">
                            {boards.into_iter().map(|board| view! { <BoardTable board/> }).collect_view()}
                        </div>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
