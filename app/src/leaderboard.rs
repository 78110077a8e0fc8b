//! Leaderboard tables: loaded with the page (SSR), then kept live from the scope's changes on
//! the WebSocket (`leaderboard_watch`). The `/leaderboard` page shows every period of a scope
//! and metric; each game page shows a compact board of today's profits in that game.

use crate::api::get_leaderboards;
use crate::live::Live;
use leptos::prelude::*;
use protocol::leaderboard::{Board, Metric, Period, Ranked, Scope, WatchCommand};
use protocol::ClientMsg;

/// Asks the server for `scope`'s boards live whenever the connection is welcomed (a reconnect
/// loses the subscription).
#[component]
pub fn WatchBoards(scope: Signal<Scope>) -> impl IntoView {
    let live = expect_context::<Live>();
    Effect::new(move |_| {
        if live.welcomes.get() > 0 {
            let scope = scope.get().as_str().to_owned();
            let command = move |req| ClientMsg::LeaderboardWatch(WatchCommand { req, scope });
            live.request(command, false, |_| {});
        }
    });
}

/// One board as a table named by its period: the live top when the server has sent it, else
/// the top loaded with the page; and the viewer's own row below it when they rank lower.
#[component]
pub fn BoardTable(board: Board, #[prop(optional)] rows: Option<usize>) -> impl IntoView {
    let live = expect_context::<Live>();
    let key = board.key;
    let shown = rows.unwrap_or(protocol::leaderboard::LEADERBOARD_TOP);
    let loaded = board.top.clone();
    let you = board.you.clone();
    let me = move || live.player.get().map(|player| player.username);
    let top = move || {
        let live_top = live.leaderboards.with(|boards| boards.get(&key).cloned());
        let mut top = live_top.unwrap_or_else(|| loaded.clone());
        top.truncate(shown);
        top
    };
    let title = key.period.title();
    let heading = metric_heading(key.metric);
    view! {
        <table class="board" aria-label=title data-testid=format!("board-{}-{}-{}", key.scope.as_str(), key.period.as_str(), key.metric.as_str())>
            <caption>{title}</caption>
            <thead><tr><th>"#"</th><th>"Player"</th><th>{heading}</th></tr></thead>
            <tbody>
                {move || {
                    let me = me();
                    let top = top();
                    if top.is_empty() {
                        return view! { <tr><td colspan="3" class="muted">"No ranked players yet."</td></tr> }.into_any();
                    }
                    let mine = |row: &Ranked| me.as_deref() == Some(row.username.as_str());
                    let listed = top.iter().any(mine);
                    let own = you.clone().filter(|_| !listed);
                    let rows = top.iter().map(|row| board_row(row.clone(), mine(row)));
                    let own = own.map(|row| board_row(row, true));
                    rows.chain(own).collect_view().into_any()
                }}
            </tbody>
        </table>
    }
}

fn metric_heading(metric: Metric) -> &'static str {
    match metric {
        Metric::Profit => "Profit",
        Metric::Wagered => "Wagered",
    }
}

fn board_row(row: Ranked, yours: bool) -> impl IntoView {
    let name = row.username.clone();
    view! {
        <tr class:you=yours>
            <td>{row.rank}</td>
            <td>
                <a href=format!("/u/{name}")>{name.clone()}</a>
                {yours.then_some(" (you)")}
            </td>
            <td>{row.score.to_string()}</td>
        </tr>
    }
}

/// Beside a game: today's top profits in it, live.
#[component]
pub fn CompactBoard(scope: Scope) -> impl IntoView {
    let boards = Resource::new(|| (), move |_| get_leaderboards(scope, Metric::Profit));
    view! {
        <section class="card compact-board" aria-label="Leaderboard">
            <h2><a href=format!("/leaderboard?scope={}", scope.as_str())>"Leaderboard"</a></h2>
            <WatchBoards scope=Signal::stored(scope)/>
            <Suspense fallback=|| view! { <p class="muted">"Loading the leaderboard…"</p> }>
                {move || Suspend::new(async move {
                    let today = boards
                        .await
                        .ok()
                        .and_then(|boards| boards.into_iter().find(|b| b.key.period == Period::Day));
                    today.map(|board| view! { <BoardTable board rows=5/> })
                })}
            </Suspense>
        </section>
    }
}
