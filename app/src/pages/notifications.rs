//! `/notifications`: the signed-in player's inbox (their kept notifications and the broadcasts
//! since they joined, newest first, unread ones marked), a button to mark them read, and for
//! moderators a form to broadcast to everyone.

use crate::api::{get_inbox, mark_notifications_read};
use crate::live::Live;
use crate::signed_in::SignedIn;
use leptos::prelude::*;
use protocol::notification::{BroadcastCommand, Inbox, Notification, BROADCAST_CHARS_MAX};
use protocol::records::utc_text;
use protocol::ClientMsg;

/// `/notifications`
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let live = expect_context::<Live>();
    // Loaded with the page, and again when a kept notification arrives.
    let inbox = Resource::new(move || live.kept.get(), |_| get_inbox());
    view! {
        <h1>"Notifications"</h1>
        <SignedIn what="to see your notifications.">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match inbox.await {
                        Ok(inbox) => view! { <InboxView inbox/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </SignedIn>
    }
}

#[component]
fn InboxView(inbox: Inbox) -> impl IntoView {
    let live = expect_context::<Live>();
    let newest = inbox.items.first().and_then(|item| item.id).unwrap_or(0);
    let read_upto = RwSignal::new(inbox.read_upto);
    let unread = RwSignal::new(inbox.unread);
    let mark = Action::new(move |upto: &i64| mark_notifications_read(*upto));
    Effect::new(move |_| {
        if let Some(Ok(upto)) = mark.value().get() {
            read_upto.set(upto);
            unread.set(0);
            live.unread.set(Some(0));
            live.kept.set(0);
        }
    });
    let items = StoredValue::new(inbox.items);
    view! {
        {inbox.can_broadcast.then(|| view! { <BroadcastForm/> })}
        <section class="card">
            <p data-testid="unread">{move || format!("{} unread", unread.get())}</p>
            <button on:click=move |_| { mark.dispatch(newest); } disabled=move || newest <= read_upto.get()>
                "Mark all as read"
            </button>
            <ol class="inbox" data-testid="inbox">
                {move || {
                    let upto = read_upto.get();
                    let items = items.get_value();
                    if items.is_empty() {
                        return view! { <li class="muted">"Nothing yet."</li> }.into_any();
                    }
                    items.into_iter().map(|item| item_row(item, upto)).collect_view().into_any()
                }}
            </ol>
        </section>
    }
}

fn item_row(item: Notification, read_upto: i64) -> impl IntoView {
    let unread = item.id.unwrap_or(0) > read_upto;
    view! {
        <li class:unread=unread>
            <span class="text">{item.text}</span>
            " "
            <span class="muted">{utc_text(item.sent_ms)}</span>
            {unread.then_some(" (unread)")}
        </li>
    }
}

/// Moderators: a message to everyone, sent over the live connection.
#[component]
fn BroadcastForm() -> impl IntoView {
    let live = expect_context::<Live>();
    let body = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = body.get_untracked();
        let command = move |req| ClientMsg::Broadcast(BroadcastCommand { req, body: text });
        live.request(command, false, move |reply| {
            if reply.is_ok() {
                body.set(String::new());
            }
            outcome.set(Some(reply.map(|_| ()).map_err(|(_, message)| message)));
        });
    };
    view! {
        <form class="card" on:submit=send>
            <label for="broadcast">"Broadcast message"</label>
            <textarea id="broadcast" maxlength=BROADCAST_CHARS_MAX required
                prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            <button type="submit" disabled=move || !live.is_live()>"Send broadcast"</button>
            {move || outcome.get().map(|outcome| match outcome {
                Ok(()) => view! { <p class="muted">"Sent to everyone."</p> }.into_any(),
                Err(message) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
            })}
        </form>
    }
}
