//! A chat room's panel: its latest messages loaded with the page, new ones as they arrive, and
//! a box to write in for a signed-in player. Messages are shown as text, never as HTML.

use crate::api::get_chat_history;
use crate::live::Live;
use leptos::prelude::*;
use protocol::chat::ChatMessage;
use protocol::limits::{CHAT_HISTORY_MESSAGES, CHAT_MESSAGE_CHARS_MAX};
use protocol::presence::VisitCommand;
use protocol::ClientMsg;

/// The chat of `room` (one of `protocol::chat::ROOMS`).
#[component]
pub fn ChatPanel(
    /// The room.
    room: &'static str,
) -> impl IntoView {
    let live = expect_context::<Live>();
    // Loaded with the page, and again after a reconnect (messages may have been missed).
    let history = Resource::new(
        move || live.welcomes.get().saturating_sub(1),
        move |_| get_chat_history(room.to_owned()),
    );
    view! {
        <section class="card chat" aria-label="Chat">
            <h2>"Chat"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading chat…"</p> }>
                {move || Suspend::new(async move {
                    let loaded = history.await.unwrap_or_default();
                    view! {
                        <ol class="chat-log" data-testid=format!("chat-{room}")>
                            {move || {
                                let shown = merged(&loaded, &live.chat.get(), room);
                                if shown.is_empty() {
                                    view! { <li class="muted">"No messages yet."</li> }.into_any()
                                } else {
                                    shown.into_iter().map(message_row).collect_view().into_any()
                                }
                            }}
                        </ol>
                    }
                })}
            </Suspense>
            {(room != protocol::chat::ROOMS[0]).then(|| view! { <Visit room/> })}
            <ChatForm room/>
        </section>
    }
}

/// Tells the server this tab shows `room`'s game page (for the presence counts) whenever the
/// connection is welcomed, and that it left when the page goes; shows how many are here.
#[component]
fn Visit(room: &'static str) -> impl IntoView {
    let live = expect_context::<Live>();
    let visit = move |room: Option<&'static str>| {
        let room = room.map(str::to_owned);
        let command = move |req| ClientMsg::Presence(VisitCommand { req, room });
        live.request(command, false, |_| {});
    };
    Effect::new(move |_| {
        if live.welcomes.get() > 0 {
            visit(Some(room));
        }
    });
    on_cleanup(move || {
        if live.state.get_untracked() == crate::live::ConnState::Live {
            visit(None);
        }
    });
    view! {
        <p class="muted" data-testid="here">
            {move || live.presence.get().map(|counts| format!("{} here", counts.get(room)))}
        </p>
    }
}

/// The box to write in, or an invitation to sign in.
#[component]
fn ChatForm(room: &'static str) -> impl IntoView {
    let live = expect_context::<Live>();
    let text = RwSignal::new(String::new());
    let refusal = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        if body.trim().is_empty() || sending.get_untracked() {
            return;
        }
        sending.set(true);
        let room = room.to_owned();
        let command =
            move |req| ClientMsg::ChatSend(protocol::chat::SendCommand { req, room, body });
        live.request(command, false, move |reply| {
            sending.set(false);
            match reply {
                Ok(_) => {
                    text.set(String::new());
                    refusal.set(None);
                }
                Err((_, message)) => refusal.set(Some(message)),
            }
        });
    };
    let input_id = format!("chat-message-{room}");
    view! {
        <Show
            when=move || live.player.get().is_some()
            fallback=|| view! { <p class="muted">"Log in to chat."</p> }
        >
            <form class="chat-form" on:submit=send>
                <label for=input_id.clone()>"Message"</label>
                <input id=input_id.clone() type="text" autocomplete="off"
                    maxlength=CHAT_MESSAGE_CHARS_MAX.to_string()
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))/>
                <button type="submit" disabled=move || !live.is_live() || sending.get()>"Send"</button>
            </form>
        </Show>
        <p class="error" role="status">{move || refusal.get()}</p>
    }
}

/// The room's messages: those loaded with the page, then the live ones after them, the latest
/// [`CHAT_HISTORY_MESSAGES`] in order.
fn merged(loaded: &[ChatMessage], live: &[ChatMessage], room: &str) -> Vec<ChatMessage> {
    let newest_loaded = loaded.last().map_or(0, |m| m.id);
    let mut shown: Vec<ChatMessage> = loaded.to_vec();
    shown.extend(
        live.iter()
            .filter(|m| m.room == room && m.id > newest_loaded)
            .cloned(),
    );
    let extra = shown.len().saturating_sub(CHAT_HISTORY_MESSAGES);
    shown.drain(..extra);
    shown
}

fn message_row(message: ChatMessage) -> impl IntoView {
    view! {
        <li>
            <a class="author" href=format!("/u/{}", message.username)>{message.username.clone()}</a>
            " "
            <span class="body">{message.body}</span>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, room: &str) -> ChatMessage {
        ChatMessage {
            id,
            room: room.into(),
            username: "u".into(),
            body: format!("m{id}"),
            sent_ms: 0,
        }
    }

    #[test]
    fn live_messages_follow_the_loaded_ones_once_each_for_their_room() {
        let loaded = [message(1, "global"), message(2, "global")];
        let live = [
            message(2, "global"),
            message(3, "crash"),
            message(4, "global"),
        ];
        let ids: Vec<i64> = merged(&loaded, &live, "global")
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, [1, 2, 4]);
    }
}
