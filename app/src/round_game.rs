//! The page of a shared round game (crash, wheel): its layout, and the table of the current
//! round's bets as everyone sees them.

use crate::live::RoundLive;
use crate::signed_in::SignedIn;
use leptos::prelude::*;
use protocol::Cents;

/// A bet as a row of the round's bets table.
pub struct RoundBetRow {
    /// Whether the row shows as a win.
    pub won: bool,
    /// Who placed the bet.
    pub username: String,
    /// The stake.
    pub amount: Cents,
    /// The game's own column: the cash-out, the segment.
    pub detail: String,
    /// What the bet paid, once settled.
    pub payout: Option<Cents>,
}

impl RoundBetRow {
    /// The row's cells, in the table's column order.
    fn cells(self) -> [String; 4] {
        let payout = self.payout.map(|p| p.to_string()).unwrap_or_default();
        [self.username, self.amount.to_string(), self.detail, payout]
    }
}

/// A shared round game's page: the title, the round as everyone sees it, the controls for a
/// signed-in player (an invitation to log in for anyone else), the bets of the current round,
/// then `children`.
#[component]
pub fn RoundGamePage<Round, Bet, Outcome>(
    /// The page's heading.
    title: &'static str,
    /// What signing in is for, ending the invitation's sentence: `"to play crash."`.
    sign_in_for: &'static str,
    /// The round as everyone sees it.
    #[prop(into)]
    stage: ViewFn,
    /// The signed-in player's controls.
    #[prop(into)]
    controls: ViewFn,
    /// The game whose round's bets to list (`live.crash`, `live.wheel`).
    game: RwSignal<Option<RoundLive<Round, Bet, Outcome>>>,
    /// The bets table's column headings: player, stake, the game's own column, payout.
    bet_headings: [&'static str; 4],
    /// `data-testid` of the bets table's body.
    bets_testid: &'static str,
    /// One bet as a row of the table.
    bet_row: fn(&Bet) -> RoundBetRow,
    /// What follows the bets.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView
where
    Round: Send + Sync + 'static,
    Bet: Send + Sync + 'static,
    Outcome: Send + Sync + 'static,
{
    view! {
        <h1>{title}</h1>
        {stage.run()}
        <SignedIn what=sign_in_for>{controls.run()}</SignedIn>
        <RoundBetsTable headings=bet_headings testid=bets_testid game row=bet_row/>
        {children.map(|children| children())}
    }
}

/// The bets of the current shared round, as everyone sees them.
#[component]
fn RoundBetsTable<Round, Bet, Outcome>(
    /// Column headings: player, stake, the game's own column, payout.
    headings: [&'static str; 4],
    /// `data-testid` of the body.
    testid: &'static str,
    /// The game whose round to show (`live.crash`, `live.wheel`).
    game: RwSignal<Option<RoundLive<Round, Bet, Outcome>>>,
    /// One bet as a row.
    row: fn(&Bet) -> RoundBetRow,
) -> impl IntoView
where
    Round: Send + Sync + 'static,
    Bet: Send + Sync + 'static,
    Outcome: Send + Sync + 'static,
{
    let rows = move || {
        game.with(|game| {
            game.as_ref()
                .map(|game| game.bets.iter().map(row).collect())
        })
        .unwrap_or_else(Vec::new)
    };
    view! {
        <section class="card" aria-label="Bets this round">
            <h2>"This round"</h2>
            <table class="bets">
                <thead><tr>{headings.map(|h| view! { <th>{h}</th> })}</tr></thead>
                <tbody data-testid=testid>
                    {move || {
                        let rows: Vec<RoundBetRow> = rows();
                        if rows.is_empty() {
                            return view! { <tr><td colspan="4" class="muted">"No bets yet."</td></tr> }.into_any();
                        }
                        rows.into_iter()
                            .map(|row| (row.won, row.cells()))
                            .map(|(won, cells)| view! { <tr class:won=won>{cells.map(|c| view! { <td>{c}</td> })}</tr> })
                            .collect_view()
                            .into_any()
                    }}
                </tbody>
            </table>
        </section>
    }
}
