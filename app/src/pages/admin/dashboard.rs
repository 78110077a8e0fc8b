//! `/admin`: the live dashboard: this node's connections, players, bets per second and answer
//! times, the house's result per game today, the crash round's exposure and the alerts
//! waiting, updated every second over the WebSocket (`admin_watch`).

use super::{when, Console, DataTable};
use crate::live::Live;
use leptos::prelude::*;
use protocol::console::{AlertView, DashboardStats};
use protocol::ClientMsg;

/// `/admin`
#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Console title="Dashboard".into()>
            <Watch/>
            <Figures/>
        </Console>
    }
}

/// Asks for the figures whenever the connection is welcomed (a reconnect loses the
/// subscription).
#[component]
fn Watch() -> impl IntoView {
    let live = expect_context::<Live>();
    Effect::new(move |_| {
        if live.welcomes.get() > 0 {
            live.request(|req| ClientMsg::AdminWatch { req }, false, |_| {});
        }
    });
}

#[component]
fn Figures() -> impl IntoView {
    let live = expect_context::<Live>();
    move || match live.admin.get() {
        None => view! { <p class="muted">"Waiting for the live figures…"</p> }.into_any(),
        Some(stats) => view! { <StatsView stats/> }.into_any(),
    }
}

/// Microseconds as milliseconds with two decimals.
fn ms(us: u64) -> String {
    format!("{}.{:02} ms", us / 1_000, us % 1_000 / 10)
}

#[component]
fn StatsView(stats: DashboardStats) -> impl IntoView {
    let figures = [
        ("Connections", stats.connections.to_string()),
        ("Players online", stats.players_online.to_string()),
        ("Bets per second", stats.bets_per_sec.to_string()),
        ("Answer time p50", ms(stats.ack_p50_us)),
        ("Answer time p99", ms(stats.ack_p99_us)),
        ("Crash exposure", stats.crash_exposure.to_string()),
        ("Open alerts", stats.open_alerts.to_string()),
    ];
    let house = stats
        .house_today
        .into_iter()
        .map(|row| vec![row.game.into(), row.wagered.into(), row.house.into()])
        .collect();
    view! {
        <section class="card">
            <dl class="figures" data-testid="dashboard">
                {figures.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
            </dl>
            <p class="muted">{format!("This node, at {}", when(stats.at_ms))}</p>
        </section>
        <section class="card">
            <DataTable headers=&["Game", "Wagered", "House"] rows=house caption="House result today"/>
        </section>
        <section class="card">
            <h2>"Latest open alerts"</h2>
            <AlertList alerts=stats.latest_alerts/>
        </section>
    }
}

/// Alerts as a list: rule, usernames and a link to each.
#[component]
pub fn AlertList(alerts: Vec<AlertView>) -> impl IntoView {
    if alerts.is_empty() {
        return view! { <p class="muted">"No open alerts."</p> }.into_any();
    }
    view! {
        <ul class="alerts" data-testid="open-alerts">
            {alerts.into_iter().map(|alert| {
                let names: Vec<String> = alert.players.iter().map(|p| p.username.clone()).collect();
                view! {
                    <li>
                        <a href=format!("/admin/alerts/{}", alert.id)>{format!("{} · {}", alert.rule, names.join(", "))}</a>
                        " "<span class="muted">{format!("score {} · {}", alert.score, when(alert.created_ms))}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
