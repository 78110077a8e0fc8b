//! The audit log: every operator action (who, on what, before, after, why) and the system's
//! own out-of-band events (interrupted rounds), append-only (the database refuses updates and
//! deletes of its rows: triggers of migration 0010).

use super::{Console, ConsoleError, Operator};
use crate::store::now_ms;
use protocol::console::{AuditEntry, CONSOLE_ROWS_SHOWN};
use protocol::wire::PlayerView;
use sqlx::{AnyPool, Row};

/// An operator action to record.
pub struct Action<'a> {
    /// What was done (`suspend`, `adjust_credit`, ...).
    pub action: &'a str,
    /// On what (`player alice`, `alert 12`).
    pub target: String,
    /// The state before.
    pub before: String,
    /// The state after.
    pub after: String,
    /// The operator's reason, when one is asked for.
    pub reason: Option<&'a str>,
}

/// Appends an operator's action to the log.
pub async fn record(
    pool: &AnyPool,
    operator: &Operator,
    action: Action<'_>,
) -> Result<(), sqlx::Error> {
    record_by(pool, Some(&operator.player), action).await
}

/// Appends an action to the log; `actor` `None`: done on the server's command line
/// (`zerolag admin`), by whoever runs it there.
pub async fn record_by(
    pool: &AnyPool,
    actor: Option<&PlayerView>,
    action: Action<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (kind, detail, created_at, actor_id, target, before_state, after_state, reason) \
         VALUES ($1, '{}', $2, $3, $4, $5, $6, $7)",
    )
    .bind(action.action)
    .bind(now_ms())
    .bind(actor.map(|actor| actor.id.0))
    .bind(&action.target)
    .bind(&action.before)
    .bind(&action.after)
    .bind(action.reason)
    .execute(pool)
    .await?;
    tracing::info!(
        operator = actor.map_or("command line", |actor| actor.username.as_str()),
        action = action.action,
        target = %action.target,
        after = %action.after,
        "operator action"
    );
    Ok(())
}

impl Console {
    /// The latest entries of the audit log, newest first, optionally only `action`'s. Takes
    /// the checked operator as proof that the caller may read it.
    pub async fn audit_log(
        &self,
        _operator: &Operator,
        action: Option<&str>,
    ) -> Result<Vec<AuditEntry>, ConsoleError> {
        let rows = sqlx::query(
            "SELECT a.id, u.username, a.kind, a.target, a.before_state, a.after_state, a.reason, \
                    a.detail, a.created_at \
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
             WHERE ($1 = '' OR a.kind = $1) ORDER BY a.id DESC LIMIT $2",
        )
        .bind(action.unwrap_or_default())
        .bind(CONSOLE_ROWS_SHOWN)
        .fetch_all(&self.parts.pool)
        .await?;
        let entries = rows.iter().map(|row| {
            Ok(AuditEntry {
                id: row.try_get(0)?,
                actor: row.try_get(1)?,
                action: row.try_get(2)?,
                target: row.try_get(3)?,
                before: row.try_get(4)?,
                after: row.try_get(5)?,
                reason: row.try_get(6)?,
                detail: row.try_get(7)?,
                created_ms: row.try_get(8)?,
            })
        });
        Ok(entries.collect::<Result<_, sqlx::Error>>()?)
    }
}
