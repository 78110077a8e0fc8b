//! The lobby: what there is to play and the live feed.

use crate::chat::ChatPanel;
use crate::feed::DiceFeed;
use leptos::prelude::*;

/// `/`
#[component]
pub fn Lobby() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"Play live. Every result, the instant it happens."</h1>
            <p class="muted">"Virtual credits only. Every outcome is provably fair."</p>
        </section>
        <section class="games">
            <a class="card game" href="/crash">
                <h2>"Crash"</h2>
                <p>"Everyone rides the same multiplier. Cash out before it crashes."</p>
            </a>
            <a class="card game" href="/wheel">
                <h2>"Wheel"</h2>
                <p>"A shared spin every 20 seconds. Pick a colour, win up to 49.50x."</p>
            </a>
            <a class="card game" href="/dice">
                <h2>"Dice"</h2>
                <p>"Pick your chance from 1% to 98%, roll under it and win up to 99x."</p>
            </a>
        </section>
        <DiceFeed/>
        <ChatPanel room="global"/>
    }
}
