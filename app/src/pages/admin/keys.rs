//! `/admin/keys`: the keys of the operator wallet API (docs/operator-api.md): create one (its
//! secret is shown once), revoke one.

use super::{report, when, Answer, ConfirmRefusal, Console, DataTable, Outcome};
use crate::api::console::{admin_api_keys, admin_create_api_key, admin_revoke_api_key};
use crate::api::AppError;
use leptos::prelude::*;
use protocol::console::{ApiKeyView, API_KEY_NAME_CHARS_MAX};

/// `/admin/keys`
#[component]
pub fn KeysPage() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let outcome = RwSignal::new(None::<Result<String, AppError>>);
    let keys = Resource::new(move || changed.get(), |_| admin_api_keys());
    view! {
        <Console title="API keys".into()>
            <ConfirmRefusal/>
            <CreateKey answer=(changed, outcome)/>
            <Outcome outcome/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(keys) => view! { <KeyTable keys answer=(changed, outcome)/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </Console>
    }
}

#[component]
fn CreateKey(answer: Answer) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let create = Action::new(move |(): &()| {
        let name = name.get_untracked();
        async move {
            let created = admin_create_api_key(name).await?;
            Ok(format!(
                "Key {} created. Its secret, shown this once: {}",
                created.key.key_id, created.secret
            ))
        }
    });
    report(create, answer);
    view! {
        <section class="card inline-form">
            <h2>"Create a key"</h2>
            <label for="key-name">"Key name"</label>
            <input id="key-name" maxlength=API_KEY_NAME_CHARS_MAX
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            <button type="button" on:click=move |_| { create.dispatch(()); }
                disabled=move || name.get().trim().is_empty() || create.pending().get()>"Create key"</button>
        </section>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKeyView>, answer: Answer) -> impl IntoView {
    let revoke = Action::new(move |key_id: &String| {
        let key_id = key_id.clone();
        async move {
            admin_revoke_api_key(key_id.clone()).await?;
            Ok(format!("Key {key_id} is revoked."))
        }
    });
    report(revoke, answer);
    let live: Vec<String> = keys
        .iter()
        .filter(|key| key.revoked_ms.is_none())
        .map(|key| key.key_id.clone())
        .collect();
    let rows = keys
        .into_iter()
        .map(|key| {
            vec![
                key.key_id.into(),
                key.name.into(),
                key.created_by.into(),
                when(key.created_ms).into(),
                key.revoked_ms
                    .map(when)
                    .unwrap_or_else(|| "live".into())
                    .into(),
            ]
        })
        .collect();
    view! {
        <DataTable headers=&["Key", "Name", "Created by", "Created", "Revoked"] rows testid="keys"
            empty="No keys yet."/>
        <div class="inline-form">
            {live.into_iter().map(|key_id| {
                let label = format!("Revoke {key_id}");
                view! {
                    <button type="button" aria-label=label on:click=move |_| { revoke.dispatch(key_id.clone()); }>
                        "Revoke"
                    </button>
                }
            }).collect_view()}
        </div>
    }
}
