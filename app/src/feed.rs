//! The public feed of settled dice bets: loaded with the page, then extended live.

use crate::api::get_recent_bets;
use crate::live::Live;
use leptos::prelude::*;
use protocol::dice::format_hundredths;
use protocol::dice::FeedBet;
use protocol::limits::FEED_BETS_SHOWN;

/// Everyone's latest dice bets.
#[component]
pub fn DiceFeed() -> impl IntoView {
    let live = expect_context::<Live>();
    let recent = Resource::new(|| (), |_| get_recent_bets());
    view! {
        <section class="card feed" aria-label="Live bets">
            <h2>"Live bets"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading bets…"</p> }>
                {move || Suspend::new(async move {
                    let loaded = recent.await.unwrap_or_default();
                    view! {
                        <table class="bets">
                            <thead>
                                <tr><th>"Player"</th><th>"Bet"</th><th>"Under"</th><th>"Roll"</th><th>"Payout"</th></tr>
                            </thead>
                            <tbody data-testid="feed">
                                {move || {
                                    let rows = merged(live.feed.get(), &loaded);
                                    if rows.is_empty() {
                                        view! { <tr><td colspan="5" class="muted">"No bets yet."</td></tr> }.into_any()
                                    } else {
                                        rows.into_iter().map(feed_row).collect_view().into_any()
                                    }
                                }}
                            </tbody>
                        </table>
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Live bets first, then the ones loaded with the page that are older than all of them.
fn merged(live: Vec<FeedBet>, loaded: &[FeedBet]) -> Vec<FeedBet> {
    let oldest_live = live.iter().map(|b| b.id).min();
    let mut rows = live;
    rows.extend(
        loaded
            .iter()
            .filter(|b| oldest_live.is_none_or(|oldest| b.id < oldest))
            .cloned(),
    );
    rows.truncate(FEED_BETS_SHOWN);
    rows
}

fn feed_row(bet: FeedBet) -> impl IntoView {
    let won = bet.payout.0 > 0;
    view! {
        <tr class:won=won>
            <td><a href=format!("/u/{}", bet.username)>{bet.username.clone()}</a></td>
            <td>{bet.amount.to_string()}</td>
            <td>{format_hundredths(bet.target)}</td>
            <td>{format_hundredths(bet.roll)}</td>
            <td>{if won { bet.payout.to_string() } else { "—".to_string() }}</td>
        </tr>
    }
}
