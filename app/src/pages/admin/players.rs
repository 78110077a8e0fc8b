//! `/admin/players`: find players by name; `/admin/players/<username>`: their account, ledger,
//! bets, sessions and alerts, and the actions on them (suspend, cap, log out everywhere,
//! adjust credit with a reason).

use super::dashboard::AlertList;
use super::{
    link_to, report, when, Answer, ConfirmRefusal, Console, DataTable, Outcome, ReasonField,
};
use crate::api::console::{admin_act_on_player, admin_adjust_credit, admin_player, admin_players};
use crate::api::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use protocol::console::{PlayerAction, PlayerDetail, PlayerRow};
use protocol::Cents;

/// `/admin/players?q=`
#[component]
pub fn PlayersPage() -> impl IntoView {
    let query = use_query_map();
    let prefix = move || query.with(|q| q.get("q")).unwrap_or_default();
    let found = Resource::new(prefix, admin_players);
    view! {
        <Console title="Players".into()>
            <form class="card inline-form" method="get" action="/admin/players" role="search">
                <label for="q">"Username starts with"</label>
                <input id="q" name="q" value=prefix/>
                <button type="submit">"Search"</button>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(rows) => view! { <PlayerTable rows/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </Console>
    }
}

fn standing(row: &PlayerRow) -> String {
    let mut parts = Vec::new();
    if row.suspended {
        parts.push("suspended".to_owned());
    }
    if let Some(cap) = row.bet_cap {
        parts.push(format!("capped at {cap}"));
    }
    if parts.is_empty() {
        "in good standing".to_owned()
    } else {
        parts.join(", ")
    }
}

#[component]
fn PlayerTable(rows: Vec<PlayerRow>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|row| {
            let href = format!("/admin/players/{}", row.player.username);
            vec![
                link_to(&row.player.username, href),
                row.role.clone().into(),
                row.balance.into(),
                standing(&row).into(),
                when(row.created_ms).into(),
            ]
        })
        .collect();
    let headers = &["Player", "Role", "Balance", "Standing", "Joined"];
    view! { <DataTable headers rows testid="players" empty="Nobody matches."/> }
}

/// `/admin/players/<username>`
#[component]
pub fn PlayerPage() -> impl IntoView {
    let params = use_params_map();
    let username = move || params.with(|p| p.get("username")).unwrap_or_default();
    let changed = RwSignal::new(0u32);
    let outcome = RwSignal::new(None::<Result<String, AppError>>);
    let detail = Resource::new(
        move || (username(), changed.get()),
        |(name, _)| admin_player(name),
    );
    view! {
        <Console title=username()>
            <ConfirmRefusal/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <PlayerView detail answer=(changed, outcome)/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <Outcome outcome/>
        </Console>
    }
}

#[component]
fn PlayerView(detail: PlayerDetail, answer: Answer) -> impl IntoView {
    let row = detail.row;
    let username = row.player.username.clone();
    let sessions = detail
        .sessions
        .into_iter()
        .map(|s| {
            vec![
                s.ip.into(),
                s.device.into(),
                when(s.created_ms).into(),
                when(s.last_seen_ms).into(),
            ]
        })
        .collect();
    let ledger = detail
        .transactions
        .into_iter()
        .map(|tx| {
            vec![
                tx.id.into(),
                tx.kind.into(),
                tx.amount.into(),
                when(tx.created_ms).into(),
            ]
        })
        .collect();
    let round_bets = detail
        .round_bets
        .into_iter()
        .map(|bet| {
            vec![
                bet.id.into(),
                bet.game.into(),
                bet.round.into(),
                bet.amount.into(),
                bet.status.into(),
                bet.payout.map(|p| p.to_string()).unwrap_or_default().into(),
                when(bet.created_ms).into(),
            ]
        })
        .collect();
    let dice_bets = detail
        .dice_bets
        .into_iter()
        .map(|record| {
            vec![
                record.bet.id.0.into(),
                record.bet.amount.into(),
                protocol::dice::format_hundredths(record.bet.roll).into(),
                record.bet.payout.into(),
                when(record.created_ms).into(),
            ]
        })
        .collect();
    view! {
        <section class="card" data-testid="player">
            <p>{format!("{} · {} · balance {} · {}", row.player.username, row.role, row.balance, standing(&row))}</p>
            <p class="muted">{format!("Joined {}", when(row.created_ms))}</p>
        </section>
        <Actions username=username.clone() answer/>
        <Adjust username answer/>
        <section class="card">
            <h2>"Sessions"</h2>
            <DataTable headers=&["Address", "Device", "Logged in", "Last seen"] rows=sessions/>
        </section>
        <section class="card">
            <h2>"Alerts"</h2>
            <AlertList alerts=detail.alerts/>
        </section>
        <section class="card">
            <h2>"Ledger"</h2>
            <DataTable headers=&["Transaction", "Kind", "Amount", "When"] rows=ledger/>
        </section>
        <section class="card">
            <h2>"Round bets"</h2>
            <DataTable headers=&["Bet", "Game", "Round", "Stake", "Status", "Payout", "Placed"] rows=round_bets/>
        </section>
        <section class="card">
            <h2>"Dice bets"</h2>
            <DataTable headers=&["Bet", "Stake", "Roll", "Payout", "When"] rows=dice_bets/>
        </section>
    }
}

/// Suspend, cap, lift, log out everywhere.
#[component]
fn Actions(username: String, answer: Answer) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let cap = RwSignal::new("1.00".to_owned());
    let name = StoredValue::new(username);
    let act = Action::new(move |action: &PlayerAction| {
        let (action, reason) = (*action, reason.get_untracked());
        let cap = Cents::parse(&cap.get_untracked()).ok();
        async move {
            let done = admin_act_on_player(name.get_value(), action, cap, reason).await;
            done.map(|row| format!("{} is {}.", row.player.username, standing(&row)))
        }
    });
    report(act, answer);
    let button = move |label: &'static str, action: PlayerAction| {
        view! {
            <button type="button" on:click=move |_| { act.dispatch(action); }
                disabled=move || reason.get().trim().is_empty() || act.pending().get()>{label}</button>
        }
    };
    view! {
        <section class="card inline-form">
            <h2>"Actions"</h2>
            <ReasonField reason/>
            <label for="cap">"Cap at"</label>
            <input id="cap" inputmode="decimal" prop:value=move || cap.get() on:input=move |ev| cap.set(event_target_value(&ev))/>
            {button("Suspend", PlayerAction::Suspend)}
            {button("Unsuspend", PlayerAction::Unsuspend)}
            {button("Cap bets", PlayerAction::Cap)}
            {button("Lift cap", PlayerAction::Uncap)}
            {button("End sessions", PlayerAction::EndSessions)}
        </section>
    }
}

/// A credit adjustment against the treasury, with a reason; one key per form so a double
/// click moves the amount once.
#[component]
fn Adjust(username: String, answer: Answer) -> impl IntoView {
    let amount = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let key = RwSignal::new(crate::live::new_idempotency_key());
    let name = StoredValue::new(username);
    let adjust = Action::new(move |(): &()| {
        let text = amount.get_untracked();
        let (reason, idem) = (reason.get_untracked(), key.get_untracked());
        async move {
            let (negative, digits) = match text.trim().strip_prefix('-') {
                Some(rest) => (true, rest.to_owned()),
                None => (false, text.trim().to_owned()),
            };
            let cents = Cents::parse(&digits).map_err(|error| AppError::Refused {
                code: "invalid".into(),
                message: error.to_string(),
            })?;
            let signed = Cents(if negative { -cents.0 } else { cents.0 });
            let done = admin_adjust_credit(name.get_value(), signed, idem, reason).await?;
            Ok(format!(
                "Adjusted by {signed}: the balance is {}.",
                done.balance
            ))
        }
    });
    report(adjust, answer);
    // The next adjustment is another one: a new key.
    Effect::new(move |_| {
        if adjust.value().with(|done| matches!(done, Some(Ok(_)))) {
            key.set(crate::live::new_idempotency_key());
        }
    });
    view! {
        <section class="card inline-form">
            <h2>"Credit adjustment"</h2>
            <label for="adjust-amount">"Amount (negative to debit)"</label>
            <input id="adjust-amount" inputmode="decimal" required
                prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/>
            <label for="adjust-reason">"Reason for the adjustment"</label>
            <input id="adjust-reason" required
                prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
            <button type="button" on:click=move |_| { adjust.dispatch(()); }
                disabled=move || reason.get().trim().is_empty() || adjust.pending().get()>"Adjust credit"</button>
        </section>
    }
}
