//! The gate in front of everything that needs a signed-in player: the content for a player,
//! an invitation to log in or create an account for a visitor.

use crate::api::MeResource;
use leptos::prelude::*;

/// Shows `children` to a signed-in player and a [`LoginPrompt`] saying `what` to anyone else.
#[component]
pub fn SignedIn(
    /// What signing in is for, ending the prompt's sentence: `"to play crash."`.
    what: &'static str,
    /// Shown until it is known who is there; nothing by default.
    #[prop(optional, into)]
    fallback: ViewFnOnce,
    /// What a signed-in player sees.
    children: ChildrenFn,
) -> impl IntoView {
    let me = expect_context::<MeResource>().0;
    view! {
        <Suspense fallback>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match me.await {
                        Ok(Some(_)) => children(),
                        _ => view! { <LoginPrompt what/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Asks a visitor to log in before using a page.
#[component]
pub fn LoginPrompt(what: &'static str) -> impl IntoView {
    view! {
        <section class="card">
            <p>
                <a href="/login">"Log in"</a> " or " <a href="/register">"create an account"</a> " " {what}
            </p>
        </section>
    }
}
