//! `/admin/rounds?game=&number=`: look up a shared round by its number and replay it: the
//! outcome recomputed from its hash, every payout from the game's rule, each compared with the
//! stored rows and the ledger (the answer to a player's dispute).

use super::{when, Cell, Console, DataTable};
use crate::api::console::admin_replay;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use protocol::console::{ReplayedBet, RoundReplay};

/// `/admin/rounds`
#[component]
pub fn RoundsPage() -> impl IntoView {
    let query = use_query_map();
    let game = move || {
        query
            .with(|q| q.get("game"))
            .unwrap_or_else(|| "crash".into())
    };
    let number = move || {
        query
            .with(|q| q.get("number"))
            .and_then(|n| n.parse::<i64>().ok())
    };
    let replay = Resource::new(
        move || (game(), number()),
        |(game, number)| async move {
            match number {
                Some(number) => admin_replay(game, number).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Console title="Rounds".into()>
            <form class="card inline-form" method="get" action="/admin/rounds">
                <label for="game">"Game"</label>
                <select id="game" name="game">
                    {["crash", "wheel"].map(|name| view! {
                        <option value=name selected=move || game() == name>{name}</option>
                    }).collect_view()}
                </select>
                <label for="number">"Round number"</label>
                <input id="number" name="number" inputmode="numeric" required
                    value=move || number().map(|n| n.to_string()).unwrap_or_default()/>
                <button type="submit">"Replay"</button>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Replaying…"</p> }>
                {move || Suspend::new(async move {
                    match replay.await {
                        Ok(Some(replay)) => view! { <ReplayView replay/> }.into_any(),
                        Ok(None) => view! { <p class="muted">"Give a game and a round number (as players see it on the game page and on /fair)."</p> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </Console>
    }
}

fn outcome_text(game: &str, outcome: Option<i64>) -> String {
    match outcome {
        None => "none yet".into(),
        Some(slot) if game == "wheel" => format!("slot {slot}"),
        Some(point) => format!("{}x", protocol::dice::format_hundredths(point as u32)),
    }
}

#[component]
fn ReplayView(replay: RoundReplay) -> impl IntoView {
    let verdict = if replay.matches {
        "Everything matches: the outcome follows from the chain and every payout from the rules and the ledger.".to_owned()
    } else {
        format!("{} difference(s) found.", replay.differences.len())
    };
    let game = replay.game.clone();
    let bets = replay.bets.into_iter().map(bet_row).collect();
    view! {
        <section class="card" data-testid="replay">
            <h2>{format!("{} round {} (id {})", replay.game, replay.number, replay.id)}</h2>
            <p role="status" class:error=!replay.matches>{verdict}</p>
            <ul>{replay.differences.into_iter().map(|d| view! { <li class="error">{d}</li> }).collect_view()}</ul>
            <dl class="figures">
                <dt>"Phase"</dt><dd>{replay.phase}</dd>
                <dt>"Stored outcome"</dt><dd>{outcome_text(&game, replay.stored_outcome)}</dd>
                <dt>"Outcome from the hash"</dt><dd>{outcome_text(&game, replay.computed_outcome)}</dd>
                <dt>"Hash in the published chain"</dt><dd>{if replay.in_chain { "yes" } else { "no" }}</dd>
                <dt>"Opened"</dt><dd>{when(replay.opened_ms)}</dd>
                <dt>"Ended"</dt><dd>{replay.ended_ms.map(when).unwrap_or_default()}</dd>
            </dl>
            <p class="mono">{replay.hash.unwrap_or_default()}</p>
        </section>
        <section class="card">
            <DataTable headers=BET_HEADERS rows=bets caption="Bets"/>
        </section>
    }
}

const BET_HEADERS: &[&str] = &[
    "Player",
    "Stake",
    "Choice",
    "Status",
    "Placed",
    "Cashed out",
    "Paid",
    "Rules give",
    "Ledger",
    "Check",
];

fn bet_row(bet: ReplayedBet) -> Vec<Cell> {
    let money = |cents: Option<protocol::Cents>| cents.map(|c| c.to_string()).unwrap_or_default();
    vec![
        bet.player.username.into(),
        bet.bet.amount.into(),
        bet.bet.choice.into(),
        bet.bet.status.into(),
        when(bet.bet.created_ms).into(),
        bet.cashed_out_ms.map(when).unwrap_or_default().into(),
        money(bet.bet.payout).into(),
        money(bet.expected_payout).into(),
        money(bet.ledger_paid).into(),
        (if bet.matches { "matches" } else { "differs" }).into(),
    ]
}
