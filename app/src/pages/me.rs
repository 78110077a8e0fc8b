//! `/me`: the player's bets and ledger transactions.

use crate::api::{get_history, get_stats_hidden, AppError, SetStatsHidden};
use crate::live::Live;
use crate::signed_in::{LoginPrompt, SignedIn};
use leptos::prelude::*;
use protocol::dice::format_hundredths;

/// `/me`
#[component]
pub fn MePage() -> impl IntoView {
    let history = Resource::new(|| (), |_| get_history());
    view! {
        <h1>"My bets"</h1>
        <SignedIn what="to see your bets." fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ProfileSetting/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        // The session ended after the page learnt who was there (a log-out in
                        // another tab): the same invitation as for a visitor.
                        Err(AppError::Unauthorized) => view! { <LoginPrompt what="to see your bets."/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                        Ok(history) => view! {
                            <section class="card">
                                <h2>"Bets"</h2>
                                <table class="bets" data-testid="my-bets">
                                    <thead><tr><th>"#"</th><th>"Bet"</th><th>"Under"</th><th>"Roll"</th><th>"Payout"</th><th>"Nonce"</th></tr></thead>
                                    <tbody>
                                        {history.bets.into_iter().map(|record| record.bet).map(|bet| view! {
                                            <tr class:won={bet.payout.0 > 0}>
                                                <td>{bet.id.to_string()}</td>
                                                <td>{bet.amount.to_string()}</td>
                                                <td>{format_hundredths(bet.target)}</td>
                                                <td>{format_hundredths(bet.roll)}</td>
                                                <td>{bet.payout.to_string()}</td>
                                                <td>{bet.nonce.to_string()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                            <section class="card">
                                <h2>"Transactions"</h2>
                                <table class="bets" data-testid="my-transactions">
                                    <thead><tr><th>"#"</th><th>"Kind"</th><th>"Amount"</th><th>"Bet"</th></tr></thead>
                                    <tbody>
                                        {history.transactions.into_iter().map(|tx| view! {
                                            <tr>
                                                <td>{tx.id.to_string()}</td>
                                                <td>{tx.kind}</td>
                                                <td class:neg={tx.amount.0 < 0}>{tx.amount.to_string()}</td>
                                                <td>{tx.bet.map(|b| b.to_string()).unwrap_or_default()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </SignedIn>
    }
}

/// A link to the player's public profile, and whether it shows their stats.
#[component]
fn ProfileSetting() -> impl IntoView {
    let live = expect_context::<Live>();
    let hidden = Resource::new(|| (), |_| get_stats_hidden());
    let set = ServerAction::<SetStatsHidden>::new();
    // The setting as last saved, else as loaded.
    let now_hidden = move || match set.value().get() {
        Some(Ok(saved)) => Some(saved),
        _ => hidden.get().and_then(Result::ok),
    };
    view! {
        <section class="card" aria-label="Public profile">
            <h2>"Public profile"</h2>
            {move || live.player.get().map(|me| view! {
                <p><a href=format!("/u/{}", me.username)>"My public profile"</a></p>
            })}
            <Suspense fallback=|| ()>
                {move || now_hidden().map(|is_hidden| view! {
                    <p data-testid="stats-visibility">
                        {if is_hidden { "Your stats are hidden from others." } else { "Your stats are public." }}
                    </p>
                    <button type="button" disabled=move || set.pending().get()
                        on:click=move |_| { set.dispatch(SetStatsHidden { hidden: !is_hidden }); }>
                        {if is_hidden { "Show my stats" } else { "Hide my stats" }}
                    </button>
                })}
            </Suspense>
        </section>
    }
}
