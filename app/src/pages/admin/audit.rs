//! `/admin/audit`: the audit log, newest first: every operator action (who, when, on what,
//! before, after, why) and the system's own (interrupted rounds). Append-only.

use super::{when, Console, DataTable};
use crate::api::console::admin_audit_log;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use protocol::console::AuditEntry;

/// `/admin/audit?action=`
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let action = move || query.with(|q| q.get("action")).filter(|a| !a.is_empty());
    let entries = Resource::new(action, admin_audit_log);
    view! {
        <Console title="Audit log".into()>
            <form class="card inline-form" method="get" action="/admin/audit">
                <label for="action">"Action"</label>
                <input id="action" name="action" value=move || action().unwrap_or_default()/>
                <button type="submit">"Filter"</button>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(entries) => view! { <AuditTable entries/> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </Console>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    let rows = entries
        .into_iter()
        .map(|entry| {
            // The system's own entries carry their detail instead of a before and after.
            let after = entry.after.unwrap_or(entry.detail);
            vec![
                when(entry.created_ms).into(),
                entry.actor.unwrap_or_else(|| "system".into()).into(),
                entry.action.into(),
                entry.target.unwrap_or_default().into(),
                entry.before.unwrap_or_default().into(),
                after.into(),
                entry.reason.unwrap_or_default().into(),
            ]
        })
        .collect();
    let headers = &["When", "Who", "Action", "On", "Before", "After", "Reason"];
    view! { <DataTable headers rows testid="audit" empty="Nothing recorded yet."/> }
}
