//! The bet controls the games share: the slip behind them (the amount typed, whether a command
//! awaits its answer, the last answer), the decimal fields, the bet form with its submit button, and the line that shows
//! the answer.

use crate::live::{Live, Reply};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use protocol::wire::AckResult;
use protocol::{Cents, ClientMsg};

/// What a game's bet controls hold between commands.
#[derive(Clone, Copy)]
pub struct BetSlip {
    /// The amount as typed.
    pub amount: RwSignal<String>,
    /// A command was sent and has not been answered yet.
    pub pending: RwSignal<bool>,
    /// The answer to the last command, or why it was not sent.
    pub message: RwSignal<String>,
}

impl Default for BetSlip {
    /// A slip for 1.00 with nothing sent.
    fn default() -> Self {
        BetSlip {
            amount: RwSignal::new("1.00".to_string()),
            pending: RwSignal::new(false),
            message: RwSignal::new(String::new()),
        }
    }
}

impl BetSlip {
    /// The stake typed, or `None` after saying what is wrong with it.
    pub fn stake(&self) -> Option<Cents> {
        match Cents::parse(&self.amount.get_untracked()) {
            Ok(stake) => Some(stake),
            Err(error) => {
                self.message.set(format!("Bet amount: {error}"));
                None
            }
        }
    }

    /// Whether a command can be sent now: connected, and none awaiting its answer.
    pub fn ready(&self, live: &Live) -> bool {
        live.is_live() && !self.pending.get()
    }

    /// Places a bet with the game's `command` (built from its `req` and a fresh idempotency
    /// key), sent again unchanged after a reconnect; the slip then shows what `placed` makes of
    /// the `ack`, or the error's message.
    pub fn place(
        &self,
        live: Live,
        command: impl FnOnce(u64, String) -> ClientMsg + 'static,
        placed: impl FnOnce(AckResult) -> String + 'static,
    ) {
        live.request_idempotent(command, self.send(placed));
    }

    /// Marks a command as sent, and returns the callback for its answer: it shows what `text`
    /// makes of the `ack`, or the error's message.
    pub fn send(
        &self,
        text: impl FnOnce(AckResult) -> String + 'static,
    ) -> impl FnOnce(Reply) + 'static {
        let slip = *self;
        slip.pending.set(true);
        move |reply| {
            slip.pending.set(false);
            slip.message.set(match reply {
                Ok(result) => text(result),
                Err((_, message)) => message,
            });
        }
    }
}

/// A labelled input for a decimal number (an amount, a target, a multiplier).
#[component]
pub fn DecimalField(
    /// `id` of the input, which its label points at.
    id: &'static str,
    /// The label's text, which is also the input's accessible name.
    label: &'static str,
    /// The text typed.
    value: RwSignal<String>,
    /// Example shown while the input is empty.
    #[prop(optional)]
    placeholder: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id inputmode="decimal" autocomplete="off" placeholder=placeholder bind:value=value/>
        </div>
    }
}

/// A bet form: the "Bet amount" field, the game's own fields (`children`), and the submit
/// button. Submitting calls `on_submit` instead of reloading the page.
#[component]
pub fn BetForm(
    /// `id` of the amount input.
    amount_id: &'static str,
    /// The slip whose amount the form edits.
    slip: BetSlip,
    /// The submit button's text, which is also its accessible name.
    submit: &'static str,
    /// Whether the submit button is enabled.
    #[prop(into)]
    enabled: Signal<bool>,
    /// Called on submit.
    on_submit: impl Fn() + 'static,
    /// The game's own fields, between the amount and the button.
    children: Children,
) -> impl IntoView {
    let submitted = move |ev: SubmitEvent| {
        ev.prevent_default();
        on_submit();
    };
    view! {
        <form on:submit=submitted class="dice-form">
            <DecimalField id=amount_id label="Bet amount" value=slip.amount/>
            {children()}
            <button type="submit" class="primary" disabled=move || !enabled.get()>{submit}</button>
        </form>
    }
}

/// The line under a game's controls that answers the player's last command.
#[component]
pub fn BetMessage(
    /// The slip whose message to show.
    slip: BetSlip,
    /// `data-testid` of the line.
    testid: &'static str,
) -> impl IntoView {
    view! { <p class="result" data-testid=testid aria-live="polite">{move || slip.message.get()}</p> }
}
