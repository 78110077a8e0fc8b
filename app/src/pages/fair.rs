//! `/fair`: how outcomes are derived, and verification in the browser with the very code the
//! server used (`protocol::dice::verify`, compiled to WASM).

use crate::api::{get_published_chains, get_verifiable_bets, get_verifiable_rounds, AppError};
use leptos::prelude::*;
use protocol::chain;
use protocol::dice::{self, format_hundredths};
use protocol::records::{BetRecord, ChainRecord, RoundRecord};
use protocol::wheel;

/// `/fair`
#[component]
pub fn FairPage() -> impl IntoView {
    let bets = Resource::new(|| (), |_| get_verifiable_bets());
    view! {
        <h1>"Provably fair"</h1>
        <section class="card prose">
            <p>
                "Before you bet, we commit to a secret server seed by showing you its SHA-256 hash. Each
                roll is computed from HMAC-SHA256 with the server seed as key and \"client seed:nonce\" as
                message, where the client seed is yours to choose and the nonce counts your bets (0, 1, 2, …).
                The first 5 hex digits of the result below 1,000,000, modulo 10,000, give the roll 0.00–99.99."
            </p>
            <p>
                "When you rotate your seed, the old server seed is revealed. Anyone can then hash it to check
                it is the one we committed to, and recompute every roll it produced. The buttons below do
                exactly that in your browser, with the same code the server ran."
            </p>
        </section>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match bets.await {
                    Err(AppError::Unauthorized) => view! {
                        <p class="muted">"Log in to verify your own rolls."</p>
                    }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    Ok(bets) if bets.is_empty() => view! {
                        <p class="muted">"No revealed rolls yet: rotate your seed on the Dice page to reveal one."</p>
                    }.into_any(),
                    Ok(bets) => view! {
                        <section class="card">
                            <h2>"Your revealed rolls"</h2>
                            <table class="bets">
                                <thead><tr><th>"#"</th><th>"Nonce"</th><th>"Client seed"</th><th>"Roll"</th><th>"Check"</th></tr></thead>
                                <tbody>{bets.into_iter().map(|record| view! { <VerifyRow record/> }).collect_view()}</tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
        <ManualVerifier/>
        <RoundFairness/>
    }
}

#[component]
fn RoundFairness() -> impl IntoView {
    let rounds = Resource::new(|| (), |_| get_verifiable_rounds());
    let chains = Resource::new(|| (), |_| get_published_chains());
    view! {
        <h2>"Crash and wheel rounds"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let chains = chains.await.unwrap_or_default();
                view! {
                    <section class="card" aria-label="Published chains">
                        <h3>"Published chains"</h3>
                        <table class="bets" data-testid="published-chains">
                            <thead><tr><th>"Game"</th><th>"Rounds"</th><th>"Terminal hash"</th><th>"Salt"</th></tr></thead>
                            <tbody>
                                {chains.into_iter().map(|chain| view! {
                                    <tr>
                                        <td>{chain.game}</td>
                                        <td>{chain.rounds.to_string()}</td>
                                        <td class="mono">{chain.terminal_hash}</td>
                                        <td class="mono">{chain.salt}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                }
            })}
        </Suspense>
        <section class="card prose">
            <p>
                "Every shared round's outcome was fixed before the first round was played. For each game we
                generated a chain of 100,000 hashes, each the SHA-256 of the next, and published the last one
                (the terminal hash) with a public salt. Rounds use the chain backwards, so each round's hash,
                revealed when the round ends, hashes to the previous round's hash: nobody, us included, could
                change a future round without breaking the chain."
            </p>
            <p>
                "An outcome comes from HMAC-SHA256 with the salt as key and the round hash as message. For crash,
                its first 52 bits, as a fraction X between 0 and 1, give floor(99 / (1 - X)) hundredths, at least
                1.00x, so the chance of reaching any multiplier m is exactly 0.99 / m. For the wheel, the first
                5-hex-digit group below 1,000,000, modulo 100, is the slot. The buttons check, in your browser and
                with the code the server ran, that a round's hash sits at its place in the published chain and
                gives the outcome we announced."
            </p>
        </section>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let chains = chains.await.unwrap_or_default();
                view! { <ManualRoundVerifier chains/> }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match rounds.await {
                    Ok(rounds) if !rounds.is_empty() => view! {
                        <section class="card">
                            <table class="bets">
                                <thead><tr><th>"Game"</th><th>"Round"</th><th>"Outcome"</th><th>"Hash"</th><th>"Check"</th></tr></thead>
                                <tbody>{rounds.into_iter().map(|round| view! { <RoundVerifyRow round/> }).collect_view()}</tbody>
                            </table>
                        </section>
                    }.into_any(),
                    Ok(_) => view! { <p class="muted">"No finished rounds yet."</p> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// How an outcome reads: a crash point, or a wheel slot and its segment.
fn describe(game: &str, outcome: u64) -> String {
    if game == "wheel" {
        let segment = wheel::layout()[(outcome as usize) % wheel::SLOTS as usize];
        format!("slot {outcome} · {}", segment.label())
    } else {
        format!("{}x", format_hundredths(outcome as u32))
    }
}

/// Recomputes a round's outcome from its hash, as the server did.
fn recompute(game: &str, salt: &str, hash: &chain::ChainHash) -> u64 {
    let game = protocol::Game::parse(game).unwrap_or(protocol::Game::Crash);
    game.outcome(salt, hash)
}

#[component]
fn RoundVerifyRow(round: RoundRecord) -> impl IntoView {
    let verdict = RwSignal::new(None::<Result<String, String>>);
    let check = {
        let round = round.clone();
        move |_| {
            let result = match (
                chain::parse_hash(&round.hash),
                chain::parse_hash(&round.terminal_hash),
            ) {
                (Some(hash), Some(terminal))
                    if chain::is_round_of(&hash, round.number, &terminal) =>
                {
                    let outcome = recompute(&round.game, &round.salt, &hash);
                    if outcome == round.outcome {
                        Ok(format!("Verified: {}", describe(&round.game, outcome)))
                    } else {
                        Err(format!(
                            "outcome mismatch: computed {}",
                            describe(&round.game, outcome)
                        ))
                    }
                }
                _ => Err("the hash is not at this place in the published chain".to_string()),
            };
            verdict.set(Some(result));
        }
    };
    let label = format!("Verify {} round {}", round.game, round.number);
    view! {
        <tr>
            <td>{round.game.clone()}</td>
            <td>{round.number.to_string()}</td>
            <td>{describe(&round.game, round.outcome)}</td>
            <td class="mono">{round.hash[..16].to_string()} "…"</td>
            <td>
                <button type="button" on:click=check aria-label=label>"Verify"</button>
                <Verdict verdict testid="round-verify-result"/>
            </td>
        </tr>
    }
}

#[component]
fn VerifyRow(record: BetRecord) -> impl IntoView {
    let verdict = RwSignal::new(None::<Result<String, String>>);
    let bet = record.bet.clone();
    let check = {
        let bet = bet.clone();
        move |_| {
            let server_seed = record.server_seed.clone().unwrap_or_default();
            let result = dice::verify(
                &server_seed,
                &bet.seed_commitment,
                &bet.client_seed,
                bet.nonce,
                bet.roll,
            );
            verdict.set(Some(
                result
                    .map(|roll| format!("Verified: {}", format_hundredths(roll)))
                    .map_err(|e| e.to_string()),
            ));
        }
    };
    view! {
        <tr>
            <td>{bet.id.to_string()}</td>
            <td>{bet.nonce.to_string()}</td>
            <td class="mono">{bet.client_seed.clone()}</td>
            <td>{format_hundredths(bet.roll)}</td>
            <td>
                <button type="button" on:click=check aria-label=format!("Verify bet {}", bet.id)>"Verify"</button>
                <Verdict verdict testid="verify-result"/>
            </td>
        </tr>
    }
}

#[component]
fn ManualVerifier() -> impl IntoView {
    let server_seed = RwSignal::new(String::new());
    let client_seed = RwSignal::new(String::new());
    let nonce = RwSignal::new("0".to_string());
    let computed = move || {
        let seed = server_seed.get();
        let nonce = nonce.get().trim().parse::<u64>().ok()?;
        (!seed.is_empty()).then(|| {
            let roll = dice::roll(&seed, &client_seed.get(), nonce);
            format!(
                "Roll {} · seed hash {}",
                format_hundredths(roll),
                protocol::fair::seed_commitment(&seed)
            )
        })
    };
    view! {
        <section class="card">
            <h2>"Check any roll"</h2>
            <div class="field"><label for="v-server">"Server seed"</label><input id="v-server" class="mono" bind:value=server_seed/></div>
            <div class="field"><label for="v-client">"Client seed"</label><input id="v-client" bind:value=client_seed/></div>
            <div class="field"><label for="v-nonce">"Nonce"</label><input id="v-nonce" inputmode="numeric" bind:value=nonce/></div>
            <p class="mono" data-testid="manual-roll">{computed}</p>
        </section>
    }
}

/// Checks any past round by its number and revealed hash against the published chains.
#[component]
fn ManualRoundVerifier(chains: Vec<ChainRecord>) -> impl IntoView {
    let game = RwSignal::new("crash".to_string());
    let number = RwSignal::new(String::new());
    let hash = RwSignal::new(String::new());
    let verdict = move || {
        let number = number.get().trim().parse::<u64>().ok().filter(|n| *n > 0)?;
        let hash = chain::parse_hash(&hash.get())?;
        let game = game.get();
        let found = chains.iter().filter(|c| c.game == game).find_map(|c| {
            let terminal = chain::parse_hash(&c.terminal_hash)?;
            (number <= c.rounds && chain::is_round_of(&hash, number, &terminal))
                .then(|| c.salt.clone())
        });
        Some(match found {
            Some(salt) => format!(
                "In the published {game} chain at round {number}: {}",
                describe(&game, recompute(&game, &salt, &hash))
            ),
            None => format!("Not round {number} of any published {game} chain"),
        })
    };
    view! {
        <section class="card">
            <h3>"Check any round"</h3>
            <div class="field">
                <label for="r-game">"Game"</label>
                <select id="r-game" on:change=move |ev| game.set(event_target_value(&ev))>
                    <option value="crash">"Crash"</option>
                    <option value="wheel">"Wheel"</option>
                </select>
            </div>
            <div class="field"><label for="r-number">"Round number"</label><input id="r-number" inputmode="numeric" bind:value=number/></div>
            <div class="field"><label for="r-hash">"Round hash"</label><input id="r-hash" class="mono" bind:value=hash/></div>
            <p class="mono" data-testid="manual-round">{move || verdict().unwrap_or_default()}</p>
        </section>
    }
}

/// The outcome of a check: green when verified, red with the reason otherwise.
#[component]
fn Verdict(
    verdict: RwSignal<Option<Result<String, String>>>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <span data-testid=testid class="verdict" class:ok=move || matches!(verdict.get(), Some(Ok(_)))>
            {move || match verdict.get() {
                None => String::new(),
                Some(Ok(text)) | Some(Err(text)) => text,
            }}
        </span>
    }
}
