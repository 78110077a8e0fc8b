//! `/crash`: the live crash round. The multiplier and curve animate at the display's frame rate
//! from the shared curve in `protocol::crash`, anchored to the server's latest tick; the server
//! alone decides the crash and every cash-out.

use crate::api::get_crash_history;
use crate::feed::RoundBetsTable;
use crate::live::{CrashLive, Live};
use crate::signed_in::SignedIn;
use leptos::prelude::*;
use protocol::crash::{curve_at, multiplier_x100_at};
use protocol::dice::format_hundredths;
use protocol::wire::{AckResult, CrashHistoryItem, CrashPhase};
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
    view! {
        <h1>"Crash"</h1>
        <CrashStage/>
        <SignedIn what="to play crash.">
            <CrashControls/>
        </SignedIn>
        <CrashPlayers/>
        <CrashHistory/>
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
            state.round.crash_x100.unwrap_or(100),
            state.round.elapsed_ms,
        ),
        CrashPhase::Running => {
            let elapsed = match tick.filter(|t| t.round == state.round.id) {
                Some(t) => t.elapsed_ms + (now_ms - t.received_ms).max(0.0) as u64,
                None => state.round.elapsed_ms,
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

#[component]
fn CrashControls() -> impl IntoView {
    let live = expect_context::<Live>();
    let amount = RwSignal::new("1.00".to_string());
    let auto = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let my_bet = move || {
        let me = live.player.get()?.username;
        live.crash.with(|s| {
            s.as_ref()
                .and_then(|s| s.bets.iter().find(|b| b.username == me).cloned())
        })
    };
    let phase = move || live.crash.with(|s| s.as_ref().map(|s| s.round.phase));
    let place = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let stake = match Cents::parse(&amount.get_untracked()) {
            Ok(stake) => stake,
            Err(error) => return message.set(format!("Bet amount: {error}")),
        };
        let auto_text = auto.get_untracked();
        let auto_cashout_x100 = if auto_text.trim().is_empty() {
            None
        } else {
            match Cents::parse(&auto_text) {
                Ok(m) => Some(m.0 as u64),
                Err(_) => return message.set("Auto cash-out: enter a multiplier like 2.00".into()),
            }
        };
        pending.set(true);
        let build = move |req, idem| ClientMsg::CrashBet {
            req,
            idem,
            amount: stake,
            auto_cashout_x100,
        };
        live.request_idempotent(build, move |reply| {
            pending.set(false);
            message.set(match reply {
                Ok(AckResult::CrashBet { .. }) => format!("Bet {stake} placed."),
                Ok(_) => String::new(),
                Err((_, text)) => text,
            });
        });
    };
    let cash_out = move |_| {
        pending.set(true);
        live.request(
            |req| ClientMsg::CrashCashOut { req },
            false,
            move |reply| {
                pending.set(false);
                message.set(match reply {
                    Ok(AckResult::CrashCashOut {
                        multiplier_x100,
                        payout,
                    }) => {
                        format!("Cashed out at {} for {payout}.", format_x(multiplier_x100))
                    }
                    Ok(_) => String::new(),
                    Err((_, text)) => text,
                });
            },
        );
    };
    let can_bet = move || {
        live.is_live()
            && !pending.get()
            && phase() == Some(CrashPhase::Betting)
            && my_bet().is_none()
    };
    let can_cash_out = move || {
        live.is_live()
            && !pending.get()
            && phase() == Some(CrashPhase::Running)
            && my_bet().is_some_and(|b| b.cashed_out_x100.is_none())
    };
    view! {
        <section class="card">
            <form on:submit=place class="dice-form">
                <div class="field">
                    <label for="crash-amount">"Bet amount"</label>
                    <input id="crash-amount" inputmode="decimal" autocomplete="off" bind:value=amount/>
                </div>
                <div class="field">
                    <label for="crash-auto">"Auto cash-out"</label>
                    <input id="crash-auto" inputmode="decimal" autocomplete="off" placeholder="e.g. 2.00" bind:value=auto/>
                </div>
                <button type="submit" class="primary" disabled=move || !can_bet()>"Bet"</button>
            </form>
            <button type="button" class="primary cash-out" on:click=cash_out disabled=move || !can_cash_out()>
                "Cash out"
            </button>
            <p class="result" data-testid="crash-message" aria-live="polite">{move || message.get()}</p>
        </section>
    }
}

#[component]
fn CrashPlayers() -> impl IntoView {
    let live = expect_context::<Live>();
    let rows = Signal::derive(move || {
        let bets = live
            .crash
            .with(|s| s.as_ref().map(|s| s.bets.clone()).unwrap_or_default());
        bets.into_iter()
            .map(|bet| {
                let cells = [
                    bet.username,
                    bet.amount.to_string(),
                    bet.cashed_out_x100.map(format_x).unwrap_or_default(),
                    bet.payout.map(|p| p.to_string()).unwrap_or_default(),
                ];
                (bet.cashed_out_x100.is_some(), cells)
            })
            .collect()
    });
    view! { <RoundBetsTable headings=["Player", "Bet", "Cashed out", "Payout"] testid="crash-bets" rows/> }
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
