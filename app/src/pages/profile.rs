//! `/u/<username>`: a player's public profile: member since, statistics over their settled
//! bets and their latest bets, unless they hide them (a setting on `/me`).

use crate::api::get_profile;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use protocol::leaderboard::{Metric, Placing};
use protocol::records::{utc_text as date_time, Profile, PublicBet, PublicStats};

/// `/u/<username>`
#[component]
pub fn ProfilePage() -> impl IntoView {
    let params = use_params_map();
    let username = move || params.read().get("username").unwrap_or_default();
    let profile = Resource::new(username, get_profile);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(Some(profile)) => view! { <ProfileView profile/> }.into_any(),
                    Ok(None) => {
                        let name = username();
                        #[cfg(feature = "ssr")]
                        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                            response.set_status(http::StatusCode::NOT_FOUND);
                        }
                        view! {
                            <h1>"Player not found"</h1>
                            <p>{format!("No player is called “{name}”.")}</p>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProfileView(profile: Profile) -> impl IntoView {
    let since = date(profile.member_since_ms);
    view! {
        <h1>{profile.username}</h1>
        <p class="muted">{format!("Member since {since}")}</p>
        {match profile.stats {
            Some(stats) => view! { <StatsView stats/> }.into_any(),
            None => view! { <p class="card">"This player keeps their stats private."</p> }.into_any(),
        }}
    }
}

#[component]
fn StatsView(stats: PublicStats) -> impl IntoView {
    let biggest = stats
        .biggest_win
        .map(|c| c.to_string())
        .unwrap_or_else(|| "—".into());
    view! {
        <section class="card" aria-label="Stats">
            <h2>"Stats"</h2>
            <dl class="stats">
                <dt>"Wagered"</dt><dd data-testid="wagered">{stats.wagered.to_string()}</dd>
                <dt>"Profit"</dt><dd data-testid="profit">{stats.profit.to_string()}</dd>
                <dt>"Bets"</dt><dd data-testid="bet-count">{stats.bets.to_string()}</dd>
                <dt>"Biggest win"</dt><dd data-testid="biggest-win">{biggest}</dd>
            </dl>
        </section>
        <section class="card" aria-label="Ranks">
            <h2>"Ranks"</h2>
            {if stats.ranks.is_empty() {
                view! { <p class="muted">"Not on the overall leaderboards."</p> }.into_any()
            } else {
                view! {
                    <ul class="ranks" data-testid="ranks">
                        {stats.ranks.into_iter().map(placing).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card">
            <h2>"Recent bets"</h2>
            <table class="bets" data-testid="recent-bets">
                <thead><tr><th>"Game"</th><th>"Bet"</th><th>"Payout"</th><th>"When (UTC)"</th></tr></thead>
                <tbody>{stats.recent.into_iter().map(bet_row).collect_view()}</tbody>
            </table>
        </section>
    }
}

fn placing(placing: Placing) -> impl IntoView {
    let metric = match placing.key.metric {
        Metric::Profit => "profit",
        Metric::Wagered => "wagered",
    };
    let link = format!("/leaderboard?metric={}", placing.key.metric.as_str());
    view! {
        <li>
            <a href=link>{format!("#{} {} by {metric}", placing.rank, placing.key.period.title())}</a>
        </li>
    }
}

fn bet_row(bet: PublicBet) -> impl IntoView {
    view! {
        <tr class:won={bet.payout.0 > bet.amount.0}>
            <td>{bet.game}</td>
            <td>{bet.amount.to_string()}</td>
            <td>{bet.payout.to_string()}</td>
            <td>{date_time(bet.settled_ms)}</td>
        </tr>
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time in milliseconds.
fn date(ms: i64) -> String {
    date_time(ms)[..10].to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_date_is_the_utc_day() {
        assert_eq!(super::date(951_782_400_000), "2000-02-29");
    }
}
