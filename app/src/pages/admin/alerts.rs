//! `/admin/alerts`: the risk engine's alerts with filters; `/admin/alerts/<id>`: one alert's
//! evidence, the accounts linked to its players, and what to do about it.

use super::{
    link_to, report, when, Answer, ConfirmRefusal, Console, DataTable, Outcome, ReasonField,
};
use crate::api::console::{admin_alert, admin_alerts, admin_resolve_alert};
use crate::api::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use protocol::console::{AlertDetail, AlertView, Link};
use protocol::Cents;

/// `/admin/alerts?rule=&status=&username=`
#[component]
pub fn AlertsPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |name: &str| query.with(|q| q.get(name)).filter(|v| !v.is_empty());
    let alerts = Resource::new(
        move || (field("rule"), field("status"), field("username")),
        |(rule, status, username)| admin_alerts(rule, status, username),
    );
    view! {
        <Console title="Alerts".into()>
            <form class="card inline-form" method="get" action="/admin/alerts">
                <label for="rule">"Rule"</label>
                <select id="rule" name="rule">
                    <option value="">"Any"</option>
                    {protocol::console::RISK_RULES.map(|rule| {
                        view! { <option value=rule selected=move || field("rule").as_deref() == Some(rule)>{rule}</option> }
                    }).collect_view()}
                </select>
                <label for="status">"Status"</label>
                <select id="status" name="status">
                    <option value="">"Any"</option>
                    {["open", "dismissed", "actioned"].map(|status| {
                        view! { <option value=status selected=move || field("status").as_deref() == Some(status)>{status}</option> }
                    }).collect_view()}
                </select>
                <label for="username">"Player"</label>
                <input id="username" name="username" value=move || field("username").unwrap_or_default()/>
                <button type="submit">"Filter"</button>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match alerts.await {
                        Ok(alerts) => view! { <AlertTable alerts/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </Console>
    }
}

#[component]
fn AlertTable(alerts: Vec<AlertView>) -> impl IntoView {
    let rows = alerts
        .into_iter()
        .map(|alert| {
            let names: Vec<String> = alert.players.iter().map(|p| p.username.clone()).collect();
            vec![
                link_to(
                    format!("#{}", alert.id),
                    format!("/admin/alerts/{}", alert.id),
                ),
                alert.rule.into(),
                names.join(", ").into(),
                alert.score.into(),
                alert.action.into(),
                alert.status.into(),
                when(alert.created_ms).into(),
            ]
        })
        .collect();
    let headers = &[
        "Alert", "Rule", "Players", "Score", "Action", "Status", "When",
    ];
    view! { <DataTable headers rows testid="alerts" empty="No alerts match."/> }
}

/// `/admin/alerts/<id>`
#[component]
pub fn AlertPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .with(|p| p.get("id"))
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let changed = RwSignal::new(0u32);
    let outcome = RwSignal::new(None::<Result<String, AppError>>);
    let alert = Resource::new(move || (id(), changed.get()), |(id, _)| admin_alert(id));
    view! {
        <Console title=format!("Alert {}", id())>
            <ConfirmRefusal/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match alert.await {
                        Ok(detail) => view! { <AlertView detail changed outcome/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <Outcome outcome/>
        </Console>
    }
}

#[component]
fn AlertView(
    detail: AlertDetail,
    changed: RwSignal<u32>,
    outcome: RwSignal<Option<Result<String, AppError>>>,
) -> impl IntoView {
    let alert = detail.alert;
    let names: Vec<_> = alert
        .players
        .iter()
        .map(|p| view! { <a href=format!("/admin/players/{}", p.username)>{p.username.clone()}</a> " " })
        .collect();
    view! {
        <section class="card" data-testid="alert">
            <p><strong>{alert.rule.clone()}</strong>" · score "{alert.score}" · "{alert.action.clone()}" · "{alert.status.clone()}</p>
            <p>{alert.explanation.clone()}</p>
            <p>"Players: "{names}</p>
            <p class="muted">{when(alert.created_ms)}</p>
            {alert.resolution.clone().map(|r| view! { <p>"Resolution: "{r}</p> })}
            <h2>"Evidence"</h2>
            <pre class="evidence">{alert.evidence.clone()}</pre>
        </section>
        <Links links=detail.links/>
        <Resolve id=alert.id answer=(changed, outcome)/>
    }
}

/// The linked accounts graph, as its edges.
#[component]
fn Links(links: Vec<Link>) -> impl IntoView {
    let rows = links
        .into_iter()
        .map(|link| {
            vec![
                link.from.username.into(),
                link.to.username.into(),
                link.via.into(),
            ]
        })
        .collect();
    view! {
        <section class="card">
            <h2>"Linked accounts"</h2>
            <DataTable headers=&["Account", "Linked to", "Shares"] rows
                empty="No other account shares an address with these players."/>
        </section>
    }
}

/// Dismiss with a reason, or act on the alert's first player.
#[component]
fn Resolve(id: i64, answer: Answer) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let cap = RwSignal::new("1.00".to_owned());
    let resolve = Action::new(move |action: &&'static str| {
        let action = *action;
        let reason = reason.get_untracked();
        let cap = Cents::parse(&cap.get_untracked()).ok();
        async move {
            let done = admin_resolve_alert(id, action.to_owned(), cap, reason).await;
            done.map(|alert| format!("Alert {} is {}.", alert.id, alert.status))
        }
    });
    report(resolve, answer);
    let button = move |label: &'static str, action: &'static str| {
        view! {
            <button type="button" on:click=move |_| { resolve.dispatch(action); }
                disabled=move || reason.get().trim().is_empty() || resolve.pending().get()>{label}</button>
        }
    };
    view! {
        <section class="card inline-form">
            <h2>"Resolve"</h2>
            <ReasonField reason/>
            <label for="cap">"Cap at"</label>
            <input id="cap" inputmode="decimal" prop:value=move || cap.get() on:input=move |ev| cap.set(event_target_value(&ev))/>
            {button("Dismiss", "dismiss")}
            {button("Cap bets", "cap")}
            {button("Suspend", "suspend")}
            {button("Unsuspend", "unsuspend")}

        </section>
    }
}
