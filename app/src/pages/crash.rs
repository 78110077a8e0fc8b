//! `/crash`: the live crash round. The multiplier and curve animate at the display's frame rate
//! from the shared curve in `protocol::crash`, anchored to the server's latest tick; the server
//! alone decides the crash and every cash-out.

pub mod live;

use crate::api::get_crash_history;
use crate::bet_form::{BetForm, BetMessage, BetSlip, DecimalField};
use crate::live::{CrashLive, Live};
use crate::round_game::{RoundBetRow, RoundGamePage};
use leptos::prelude::*;
use protocol::crash::{self, curve_at, multiplier_x100_at};
use protocol::crash::{CrashBetView, CrashHistoryItem, CrashPhase};
use protocol::dice::format_hundredths;
use protocol::wire::AckResult;
use protocol::{Cents, ClientMsg};

/// Milliseconds of curve the chart always shows at least.
const CHART_SPAN_MS_MIN: f64 = 10_000.0;
/// Points drawn along the curve.
const CHART_POINTS: usize = 64;

fn format_x(multiplier_x100: u64) -> String {
    format!("{}x", format_hundredths(multiplier_x100 as u32))
}

/// `/crash`
#[component]
pub fn CrashPage() -> impl IntoView {
    let live = expect_context::<Live>();
    view! {
        <RoundGamePage title="Crash" sign_in_for="to play crash." stage=CrashStage controls=CrashControls
            game=live.crash bet_headings=["Player", "Bet", "Cashed out", "Payout"] bets_testid="crash-bets" bet_row>
            <CrashHistory/>
            <crate::leaderboard::CompactBoard scope=protocol::leaderboard::Scope::Crash/>
            <crate::chat::ChatPanel room="crash"/>
        </RoundGamePage>
    }
}

/// The multiplier now, as this client shows it: the server's last tick carried forward along
/// the shared curve, or the crash point once crashed.
fn shown_multiplier(
    state: &CrashLive,
    tick: Option<crate::live::CrashTickSeen>,
    now_ms: f64,
) -> (u64, u64) {
    match state.round.phase {
        CrashPhase::Betting => (100, 0),
        CrashPhase::Crashed => (
            state.round.play.crash_x100.unwrap_or(100),
            state.round.play.elapsed_ms,
        ),
        CrashPhase::Running => {
            let elapsed = match tick.filter(|t| t.round == state.round.id) {
                Some(t) => t.elapsed_ms + (now_ms - t.received_ms).max(0.0) as u64,
                None => state.round.play.elapsed_ms,
            };
            (multiplier_x100_at(elapsed), elapsed)
        }
    }
}

#[component]
fn CrashStage() -> impl IntoView {
    let live = expect_context::<Live>();
    let frame_ms = RwSignal::new(0.0f64);
    #[cfg(feature = "hydrate")]
    {
        // Redraw on every display frame while the page is open.
        let alive = StoredValue::new(true);
        on_cleanup(move || alive.set_value(false));
        fn next_frame(frame_ms: RwSignal<f64>, alive: StoredValue<bool>) {
            request_animation_frame(move || {
                if alive.try_get_value().unwrap_or(false) {
                    frame_ms.set(js_sys::Date::now());
                    next_frame(frame_ms, alive);
                }
            });
        }
        next_frame(frame_ms, alive);
    }
    let shown = move || {
        let now = frame_ms.get();
        live.crash.with(|state| {
            state.as_ref().map(|s| {
                (
                    s.round.phase,
                    shown_multiplier(s, live.crash_tick.get(), now),
                )
            })
        })
    };
    let status = move || {
        live.crash.with(|state| match state {
            None => "Connecting to the game…".to_string(),
            Some(s) => match s.round.phase {
                CrashPhase::Betting => {
                    let _ = frame_ms.get();
                    format!("Round {} · betting open", s.round.number)
                }
                CrashPhase::Running => format!("Round {} · running", s.round.number),
                CrashPhase::Crashed => format!("Round {} · crashed", s.round.number),
            },
        })
    };
    let path = move || {
        let Some((phase, (_, elapsed))) = shown() else {
            return String::new();
        };
        if phase == CrashPhase::Betting {
            return String::new();
        }
        let span = (elapsed as f64).max(CHART_SPAN_MS_MIN);
        let top = curve_at(span).max(2.0);
        (0..=CHART_POINTS)
            .map(|i| {
                let t = elapsed as f64 * i as f64 / CHART_POINTS as f64;
                let m = curve_at(t);
                let x = 100.0 * t / span;
                let y = 60.0 - 60.0 * (m - 1.0) / (top - 1.0);
                format!("{}{x:.2},{y:.2}", if i == 0 { "M" } else { " L" })
            })
            .collect()
    };
    view! {
        <section class="card crash-stage" aria-label="Crash round">
            <p class="muted" data-testid="crash-status">{status}</p>
            <svg viewBox="0 0 100 60" class="crash-chart" aria-hidden="true" preserveAspectRatio="none">
                <path d=path class:crashed=move || matches!(shown(), Some((CrashPhase::Crashed, _)))/>
            </svg>
            <p
                class="crash-multiplier"
                class:crashed=move || matches!(shown(), Some((CrashPhase::Crashed, _)))
                data-testid="crash-multiplier"
            >
                {move || match shown() {
                    Some((CrashPhase::Crashed, (m, _))) => format!("Crashed at {}", format_x(m)),
                    Some((CrashPhase::Betting, _)) => "Place your bets".to_string(),
                    Some((_, (m, _))) => format_x(m),
                    None => String::new(),
                }}
            </p>
        </section>
    }
}

/// The auto cash-out typed: none when empty, else a multiplier in hundredths.
fn auto_cashout_x100(text: &str) -> Result<Option<u64>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match Cents::parse(text) {
        Ok(m) => Ok(Some(m.0 as u64)),
        Err(_) => Err("Auto cash-out: enter a multiplier like 2.00".into()),
    }
}

#[component]
fn CrashControls() -> impl IntoView {
    let live = expect_context::<Live>();
    let slip = BetSlip::default();
    let auto = RwSignal::new(String::new());
    let my_bet = move || live.my_bet(live.crash);
    let phase = move || live.crash.with(|s| s.as_ref().map(|s| s.round.phase));
    let place = move || {
        let Some(stake) = slip.stake() else { return };
        let auto_cashout_x100 = match auto_cashout_x100(&auto.get_untracked()) {
            Ok(auto_cashout_x100) => auto_cashout_x100,
            Err(text) => return slip.message.set(text),
        };
        let bet = move |req, idem| {
            ClientMsg::CrashBet(crash::BetCommand {
                req,
                idem,
                amount: stake,
                auto_cashout_x100,
            })
        };
        slip.place(live, bet, move |ack| match ack {
            AckResult::CrashBet(_) => format!("Bet {stake} placed."),
            _ => String::new(),
        });
    };
    let cash_out = move |_| {
        let answer = slip.send(|ack| match ack {
            AckResult::CrashCashOut(paid) => format!(
                "Cashed out at {} for {}.",
                format_x(paid.multiplier_x100),
                paid.payout
            ),
            _ => String::new(),
        });
        live.request(
            |req| ClientMsg::CrashCashOut(crash::CashOutCommand { req }),
            false,
            answer,
        );
    };
    let can_bet =
        move || slip.ready(&live) && phase() == Some(CrashPhase::Betting) && my_bet().is_none();
    let can_cash_out = move || {
        slip.ready(&live)
            && phase() == Some(CrashPhase::Running)
            && my_bet().is_some_and(|b| b.cashed_out_x100.is_none())
    };
    view! {
        <section class="card">
            <BetForm amount_id="crash-amount" slip submit="Bet" enabled=can_bet on_submit=place>
                <DecimalField id="crash-auto" label="Auto cash-out" value=auto placeholder="e.g. 2.00"/>
            </BetForm>
            <button type="button" class="primary cash-out" on:click=cash_out disabled=move || !can_cash_out()>
                "Cash out"
            </button>
            <BetMessage slip testid="crash-message"/>
        </section>
    }
}

/// One bet as a row of the round's table; a cashed-out bet counts as won.
fn bet_row(bet: &CrashBetView) -> RoundBetRow {
    RoundBetRow {
        won: bet.cashed_out_x100.is_some(),
        username: bet.username.clone(),
        amount: bet.amount,
        detail: bet.cashed_out_x100.map(format_x).unwrap_or_default(),
        payout: bet.payout,
    }
}

#[component]
fn CrashHistory() -> impl IntoView {
    let live = expect_context::<Live>();
    let loaded = Resource::new(|| (), |_| get_crash_history());
    view! {
        <section class="card" aria-label="Recent crash points">
            <h2>"Recent rounds"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let loaded = loaded.await.unwrap_or_default();
                    view! {
                        <ol class="crash-history" data-testid="crash-history">
                            {move || {
                                let items: Vec<CrashHistoryItem> = live
                                    .crash
                                    .with(|s| s.as_ref().map(|s| s.history.clone()))
                                    .unwrap_or_else(|| loaded.clone());
                                items
                                    .into_iter()
                                    .map(|item| view! {
                                        <li class:high={item.crash_x100 >= 200}>{format_x(item.crash_x100)}</li>
                                    })
                                    .collect_view()
                            }}
                        </ol>
                    }
                })}
            </Suspense>
        </section>
    }
}
