//! Dice: choose an amount and a roll-under target; the server rolls and settles at once.
//! The form previews chance, multiplier and payout with the same `protocol` rules the server
//! applies; the server still checks everything.

use crate::bet_form::{BetForm, BetMessage, BetSlip, DecimalField};
use crate::chat::ChatPanel;
use crate::feed::DiceFeed;
use crate::live::Live;
use crate::signed_in::SignedIn;
use leptos::prelude::*;
use protocol::dice::DiceBetView;
use protocol::dice::{self, format_hundredths, parse_hundredths, DiceWager};
use protocol::wire::{AckResult, RevealedSeed};
use protocol::{Cents, ClientMsg};

fn wager(amount: &str, target: &str) -> Result<DiceWager, String> {
    let amount = Cents::parse(amount).map_err(|e| format!("Bet amount: {e}"))?;
    let target = parse_hundredths(target).ok_or("Roll under: enter a number like 49.5")?;
    DiceWager::parse(amount, target).map_err(|e| e.to_string())
}

/// `/dice`
#[component]
pub fn DicePage() -> impl IntoView {
    view! {
        <h1>"Dice"</h1>
        <SignedIn what="to roll the dice.">
            <DiceTable/> <SeedPanel/>
        </SignedIn>
        <DiceFeed/>
        <crate::leaderboard::CompactBoard scope=protocol::leaderboard::Scope::Dice/>
        <ChatPanel room="dice"/>
    }
}

/// What a roll's result says.
fn rolled(bet: &DiceBetView) -> String {
    if bet.payout.0 > 0 {
        format!(
            "Rolled {} — won {}",
            format_hundredths(bet.roll),
            bet.payout
        )
    } else {
        format!("Rolled {} — lost", format_hundredths(bet.roll))
    }
}

#[component]
fn DiceTable() -> impl IntoView {
    let live = expect_context::<Live>();
    let slip = BetSlip::default();
    let target = RwSignal::new("50.00".to_string());
    let preview = move || wager(&slip.amount.get(), &target.get());

    let roll = move || {
        if slip.pending.get_untracked() {
            return;
        }
        let chosen = match preview() {
            Ok(chosen) => chosen,
            Err(message) => return slip.message.set(message),
        };
        let bet = move |req, idem| {
            ClientMsg::DiceBet(dice::BetCommand {
                req,
                idem,
                amount: chosen.amount,
                target: chosen.target,
            })
        };
        slip.place(live, bet, |ack| match ack {
            AckResult::Dice(settled) => rolled(&settled.bet),
            _ => "unexpected answer".into(),
        });
    };

    view! {
        <section class="card dice">
            <BetForm amount_id="bet-amount" slip submit="Roll" enabled=move || slip.ready(&live) on_submit=roll>
                <DecimalField id="roll-under" label="Roll under" value=target/>
                <dl class="preview">
                    {move || match preview() {
                        Ok(w) => view! {
                            <div><dt>"Chance"</dt><dd>{format_hundredths(w.target)} "%"</dd></div>
                            <div><dt>"Multiplier"</dt><dd>{format_hundredths(w.multiplier_x100() as u32)} "x"</dd></div>
                            <div><dt>"Payout on win"</dt><dd>{w.payout_if_win().to_string()}</dd></div>
                        }
                            .into_any(),
                        Err(message) => view! { <div class="error">{message}</div> }.into_any(),
                    }}
                </dl>
            </BetForm>
            <BetMessage slip testid="dice-result"/>
        </section>
    }
}

#[component]
fn SeedPanel() -> impl IntoView {
    let live = expect_context::<Live>();
    let client_seed = RwSignal::new(String::new());
    let revealed = RwSignal::new(None::<RevealedSeed>);
    let status = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(seed) = live.seed.get() {
            if client_seed.get_untracked().is_empty() {
                client_seed.set(seed.client_seed);
            }
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted = client_seed.get_untracked();
        live.request(
            move |req| ClientMsg::SetClientSeed {
                req,
                client_seed: wanted,
            },
            false,
            move |reply| {
                status.set(match reply {
                    Ok(_) => "Client seed saved.".into(),
                    Err((_, message)) => message,
                })
            },
        );
    };
    let rotate = move |_| {
        live.request(
            |req| ClientMsg::RotateSeed { req },
            false,
            move |reply| match reply {
                Ok(AckResult::Seed { revealed: seed, .. }) => {
                    revealed.set(seed);
                    status.set("Server seed revealed; a new one is committed.".into());
                }
                Ok(_) => {}
                Err((_, message)) => status.set(message),
            },
        );
    };
    view! {
        <section class="card seeds" aria-label="Provably fair seeds">
            <h2>"Seeds"</h2>
            <p class="muted">
                "Each roll is HMAC-SHA256(server seed, client seed:nonce). The server seed's hash is
                shown before you play; rotate to reveal it and check every roll on the Fairness page."
            </p>
            <dl class="kv">
                <dt>"Server seed hash"</dt>
                <dd class="mono" data-testid="seed-commitment">{move || live.seed.get().map(|s| s.commitment).unwrap_or_default()}</dd>
                <dt>"Next nonce"</dt>
                <dd>{move || live.seed.get().map(|s| s.next_nonce.to_string()).unwrap_or_default()}</dd>
            </dl>
            <form on:submit=save class="inline-form">
                <label for="client-seed">"Client seed"</label>
                <input id="client-seed" bind:value=client_seed maxlength="64"/>
                <button type="submit" disabled=move || !live.is_live()>"Save client seed"</button>
            </form>
            <button type="button" on:click=rotate disabled=move || !live.is_live()>"Rotate seed"</button>
            <p class="muted" role="status">{move || status.get()}</p>
            {move || revealed.get().map(|seed| view! {
                <dl class="kv revealed">
                    <dt>"Revealed server seed"</dt>
                    <dd class="mono">{seed.server_seed}</dd>
                    <dt>"Its hash"</dt>
                    <dd class="mono">{seed.commitment}</dd>
                    <dt>"Bets under it"</dt>
                    <dd>{seed.bets.to_string()}</dd>
                </dl>
            })}
        </section>
    }
}
