//! `/wheel`: a shared round every ~20 s. Bet on a segment; the wheel spins to the slot the
//! server drew from its hash chain, and winners are listed for everyone.

pub mod live;

use crate::bet_form::{BetMessage, BetSlip, DecimalField};
use crate::live::Live;
use crate::round_game::{RoundBetRow, RoundGamePage};
use leptos::prelude::*;
use protocol::wheel::{self, layout, Segment, SLOTS};
use protocol::wheel::{WheelBetView, WheelPhase};
use protocol::wire::AckResult;
use protocol::ClientMsg;

/// Full turns the wheel makes before stopping on its slot.
const SPIN_TURNS: f64 = 5.0;

/// `/wheel`
#[component]
pub fn WheelPage() -> impl IntoView {
    let live = expect_context::<Live>();
    view! {
        <RoundGamePage title="Wheel" sign_in_for="to play the wheel." stage=WheelStage controls=WheelControls
            game=live.wheel bet_headings=["Player", "Bet", "On", "Payout"] bets_testid="wheel-bets" bet_row>
            <crate::leaderboard::CompactBoard scope=protocol::leaderboard::Scope::Wheel/>
            <crate::chat::ChatPanel room="wheel"/>
        </RoundGamePage>
    }
}

fn slot_path(index: usize) -> String {
    let slots = SLOTS as f64;
    let (a0, a1) = (
        index as f64 / slots * std::f64::consts::TAU,
        (index + 1) as f64 / slots * std::f64::consts::TAU,
    );
    let point = |a: f64, r: f64| (50.0 + r * a.sin(), 50.0 - r * a.cos());
    let (x0, y0) = point(a0, 48.0);
    let (x1, y1) = point(a1, 48.0);
    let (x2, y2) = point(a1, 34.0);
    let (x3, y3) = point(a0, 34.0);
    format!("M{x0:.3},{y0:.3} A48,48 0 0,1 {x1:.3},{y1:.3} L{x2:.3},{y2:.3} A34,34 0 0,0 {x3:.3},{y3:.3} Z")
}

#[component]
fn WheelStage() -> impl IntoView {
    let live = expect_context::<Live>();
    let wheel = layout();
    // The wheel turns so that the slot's centre ends under the pointer at the top.
    let rotation = move || {
        live.wheel.with(|state| {
            let Some(state) = state else { return 0.0 };
            match state.round.play.slot {
                Some(slot) => {
                    let centre = (slot as f64 + 0.5) / SLOTS as f64 * 360.0;
                    SPIN_TURNS * 360.0 * (state.round.number as f64) - centre
                }
                None => {
                    -(state
                        .history
                        .first()
                        .map_or(0.0, |s| (*s as f64 + 0.5) / SLOTS as f64 * 360.0))
                }
            }
        })
    };
    let spin_ms = move || {
        live.wheel
            .with(|s| s.as_ref().map_or(0, |s| s.round.play.spin_left_ms))
    };
    let status = move || {
        live.wheel.with(|state| match state {
            None => "Connecting to the wheel…".to_string(),
            Some(s) => match s.round.phase {
                WheelPhase::Betting => format!("Round {} · betting open", s.round.number),
                WheelPhase::Spinning => format!("Round {} · spinning", s.round.number),
            },
        })
    };
    let result = move || {
        live.wheel.with(|state| {
            let state = state.as_ref()?;
            let slot = state.round.play.slot?;
            let segment = layout()[slot as usize];
            Some(format!(
                "Round {}: {} ({})",
                state.round.number,
                segment.label(),
                segment.name()
            ))
        })
    };
    view! {
        <section class="card wheel-stage" aria-label="Wheel round">
            <p class="muted" data-testid="wheel-status">{status}</p>
            <div class="wheel-box">
                <div class="wheel-pointer" aria-hidden="true"></div>
                <svg
                    viewBox="0 0 100 100"
                    class="wheel"
                    aria-hidden="true"
                    style=move || format!("transform: rotate({:.2}deg); transition-duration: {}ms", rotation(), spin_ms())
                >
                    {wheel
                        .iter()
                        .enumerate()
                        .map(|(i, segment)| view! { <path d=slot_path(i) class=format!("slot {}", segment.name())/> })
                        .collect_view()}
                </svg>
            </div>
            <p class="result" data-testid="wheel-result" aria-live="polite">{move || result().unwrap_or_default()}</p>
            <p class="mono muted" data-testid="wheel-hash">
                {move || live.wheel.with(|s| s.as_ref().and_then(|s| s.round.hash.clone())).unwrap_or_default()}
            </p>
            <ol class="crash-history" aria-label="Recent results">
                {move || live.wheel.with(|s| s.as_ref().map(|s| s.history.clone()).unwrap_or_default())
                    .into_iter()
                    .map(|slot| {
                        let segment = layout()[slot as usize];
                        view! { <li class=format!("seg {}", segment.name())>{segment.label()}</li> }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn WheelControls() -> impl IntoView {
    let live = expect_context::<Live>();
    let slip = BetSlip::default();
    let can_bet = move || {
        let betting = live.wheel.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.round.phase == WheelPhase::Betting)
        });
        slip.ready(&live) && betting && live.my_bet(live.wheel).is_none()
    };
    let place = move |segment: Segment| {
        let Some(stake) = slip.stake() else { return };
        let bet = move |req, idem| {
            ClientMsg::WheelBet(wheel::BetCommand {
                req,
                idem,
                amount: stake,
                segment,
            })
        };
        slip.place(live, bet, move |ack| match ack {
            AckResult::WheelBet(_) => format!("Bet {stake} on {}.", segment.label()),
            _ => String::new(),
        });
    };
    view! {
        <section class="card">
            <DecimalField id="wheel-amount" label="Bet amount" value=slip.amount/>
            <div class="segments">
                {Segment::ALL
                    .into_iter()
                    .map(|segment| view! {
                        <button
                            type="button"
                            class=format!("seg {}", segment.name())
                            disabled=move || !can_bet()
                            on:click=move |_| place(segment)
                        >
                            {format!("Bet on {}", segment.label())}
                        </button>
                    })
                    .collect_view()}
            </div>
            <BetMessage slip testid="wheel-message"/>
        </section>
    }
}

/// One bet as a row of the round's table; a bet that paid something counts as won.
fn bet_row(bet: &WheelBetView) -> RoundBetRow {
    RoundBetRow {
        won: bet.payout.is_some_and(|p| p.0 > 0),
        username: bet.username.clone(),
        amount: bet.amount,
        detail: bet.segment.label(),
        payout: bet.payout,
    }
}
