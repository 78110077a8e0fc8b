//! `/admin`: the operator console, for players with the `admin` role (the server checks every
//! call). [`Console`] is the frame every console page shares: the gate, the console's own
//! navigation, and the password confirmation an action asks for every 15 minutes.

pub mod alerts;
pub mod audit;
pub mod dashboard;
pub mod keys;
pub mod players;
pub mod rounds;

use crate::api::console::admin_operator;
use crate::api::AppError;
use crate::signed_in::LoginPrompt;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};
use protocol::console::ADMIN_REASON_CHARS_MAX;

/// A console page: `title` as its heading, `children` for an admin, a refusal for anyone else.
#[component]
pub fn Console(title: String, children: ChildrenFn) -> impl IntoView {
    let operator = Resource::new(|| (), |_| admin_operator());
    view! {
        <nav class="nav admin-nav" aria-label="Console">
            <a href="/admin">"Dashboard"</a>
            <a href="/admin/alerts">"Alerts"</a>
            <a href="/admin/players">"Players"</a>
            <a href="/admin/rounds">"Rounds"</a>
            <a href="/admin/audit">"Audit log"</a>
            <a href="/admin/keys">"API keys"</a>
        </nav>
        <h1>{title}</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match operator.await {
                        Ok(_) => children(),
                        Err(AppError::Unauthorized) => view! { <LoginPrompt what="as an admin to use the console."/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The answer to an operator's action: what it did, or why not. A stale password asks for
/// it again ([`ConfirmPassword`]). Its signal lives with the page, outside what the action
/// reloads, so the answer stays on screen.
#[component]
pub fn Outcome(outcome: RwSignal<Option<Result<String, AppError>>>) -> impl IntoView {
    move || {
        outcome.get().map(|outcome| match outcome {
            Ok(done) => {
                view! { <p class="muted" role="status" data-testid="outcome">{done}</p> }.into_any()
            }
            Err(AppError::Reauthenticate) => view! {
                <p class="error" role="alert">{AppError::Reauthenticate.to_string()}</p>
                <ConfirmPassword/>
            }
            .into_any(),
            Err(error) => {
                view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
            }
        })
    }
}

/// What an operator's action changed (a counter the page's data reloads on) and its answer.
pub type Answer = (RwSignal<u32>, RwSignal<Option<Result<String, AppError>>>);

/// Shows each answer of `action`, and reloads the page's data when it did something.
pub fn report<I: 'static>(action: Action<I, Result<String, AppError>>, answer: Answer) {
    let (changed, outcome) = answer;
    Effect::new(move |_| {
        if let Some(done) = action.value().get() {
            if done.is_ok() {
                changed.update(|n| *n += 1);
            }
            outcome.set(Some(done));
        }
    });
}

/// Asks for the operator's password (a plain form post to `/auth/confirm`, which returns to
/// this page).
#[component]
pub fn ConfirmPassword() -> impl IntoView {
    let here = use_location().pathname.get_untracked();
    view! {
        <form class="card inline-form" method="post" action="/auth/confirm">
            <input type="hidden" name="next" value=here/>
            <label for="confirm-password">"Password"</label>
            <input id="confirm-password" type="password" name="password" required autocomplete="current-password"/>
            <button type="submit">"Confirm password"</button>
        </form>
    }
}

/// Tells the operator when the password they typed on `/auth/confirm` was wrong.
#[component]
pub fn ConfirmRefusal() -> impl IntoView {
    let query = use_query_map();
    move || {
        query.with(|q| q.get("error")).map(|code| {
            let text = match code.as_str() {
                "throttled" => "Too many attempts; wait a little and try again.",
                _ => "That password was wrong; nothing was done.",
            };
            view! { <p class="error" role="alert">{text}</p> <ConfirmPassword/> }
        })
    }
}

/// The reason an operator gives for an action.
#[component]
pub fn ReasonField(reason: RwSignal<String>) -> impl IntoView {
    view! {
        <label for="reason">"Reason"</label>
        <input id="reason" maxlength=ADMIN_REASON_CHARS_MAX required
            prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
    }
}

/// A table cell: text, which may link somewhere.
#[derive(Clone)]
pub struct Cell {
    text: String,
    href: Option<String>,
}

impl<T: ToString> From<T> for Cell {
    fn from(text: T) -> Cell {
        Cell {
            text: text.to_string(),
            href: None,
        }
    }
}

/// A cell that links to `href`.
pub fn link_to(text: impl ToString, href: String) -> Cell {
    Cell {
        text: text.to_string(),
        href: Some(href),
    }
}

/// A console table of text cells under `headers`; `empty` is said when there are no rows.
/// Every console list is one of these: one piece of view code for them all keeps the console's
/// share of the browser bundle small.
#[component]
pub fn DataTable(
    headers: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
    #[prop(optional)] caption: &'static str,
    #[prop(optional)] testid: &'static str,
    #[prop(default = "Nothing yet.")] empty: &'static str,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    let cell = |cell: Cell| match cell.href {
        Some(href) => view! { <td><a href=href>{cell.text}</a></td> }.into_any(),
        None => view! { <td>{cell.text}</td> }.into_any(),
    };
    view! {
        <table class="bets" data-testid=(!testid.is_empty()).then_some(testid)>
            {(!caption.is_empty()).then(|| view! { <caption>{caption}</caption> })}
            <thead><tr>{headers.iter().map(|h| view! { <th>{*h}</th> }).collect_view()}</tr></thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <tr>{row.into_iter().map(cell).collect_view()}</tr> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A row's time as people read it.
pub fn when(ms: i64) -> String {
    format!("{} UTC", protocol::records::utc_text(ms))
}
