//! Alerts in the console: the list with filters, one alert with the accounts linked to its
//! players (sharing an address), and resolving it (dismiss with a reason, or act on its
//! player: suspend, cap, lift).

use super::audit::{self, Action};
use super::{check_reason, Console, ConsoleError, Operator};
use crate::risk::rules::Rule;
use crate::store::now_ms;
use protocol::console::{AlertDetail, AlertFilter, AlertView, Link, Named, PlayerAction};
use protocol::console::{CONSOLE_ROWS_SHOWN, DASHBOARD_ALERTS_SHOWN};
use protocol::Cents;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;

/// Accounts linked to one alert's players that the console lists.
const ALERT_LINKS_SHOWN: i64 = 50;

/// How an operator resolves an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Nothing wrong (or nothing to do): closed with the reason.
    Dismiss,
    /// Act on the alert's first player and close it.
    Act(PlayerAction),
}

/// Ids of a `risk_alerts.players` column.
fn ids(column: &str) -> Vec<i64> {
    column.split(',').filter_map(|id| id.parse().ok()).collect()
}

/// Usernames of players by id.
async fn names(pool: &AnyPool, ids: &[i64]) -> Result<HashMap<i64, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Integers parsed from the database: safe to inline.
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let rows = sqlx::query(&format!(
        "SELECT id, username FROM users WHERE id IN ({})",
        list.join(",")
    ))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

fn named(names: &HashMap<i64, String>, id: i64) -> Named {
    let username = names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
    Named { id, username }
}

/// Reads alerts: `filter` is the SQL condition over `risk_alerts` with `$1`.. bound to `binds`.
async fn read_alerts(
    pool: &AnyPool,
    condition: &str,
    binds: &[String],
    limit: i64,
) -> Result<Vec<AlertView>, sqlx::Error> {
    let sql = format!(
        "SELECT id, rule, score, players, evidence, action, status, resolution, created_at \
         FROM risk_alerts WHERE {condition} ORDER BY id DESC LIMIT {limit}"
    );
    let mut query = sqlx::query(&sql);
    for bind in binds {
        query = query.bind(bind);
    }
    let rows = query.fetch_all(pool).await?;
    let every: Vec<i64> = rows
        .iter()
        .flat_map(|row| ids(&row.get::<String, _>(3)))
        .collect();
    let names = names(pool, &every).await?;
    rows.iter()
        .map(|row| {
            let rule: String = row.try_get(1)?;
            let explanation = Rule::parse(&rule).map_or("", Rule::explanation);
            Ok(AlertView {
                id: row.try_get(0)?,
                explanation: explanation.to_owned(),
                rule,
                score: row.try_get(2)?,
                players: ids(&row.try_get::<String, _>(3)?)
                    .into_iter()
                    .map(|id| named(&names, id))
                    .collect(),
                evidence: row.try_get(4)?,
                action: row.try_get(5)?,
                status: row.try_get(6)?,
                resolution: row.try_get(7)?,
                created_ms: row.try_get(8)?,
            })
        })
        .collect()
}

/// The open alerts' count and the latest of them (the dashboard).
pub(super) async fn open_alerts(pool: &AnyPool) -> Result<(u64, Vec<AlertView>), sqlx::Error> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM risk_alerts WHERE status = 'open'")
        .fetch_one(pool)
        .await?;
    let latest = read_alerts(pool, "status = 'open'", &[], DASHBOARD_ALERTS_SHOWN as i64).await?;
    Ok((count as u64, latest))
}

impl Console {
    /// The latest alerts that pass `filter`, newest first.
    pub async fn alerts(
        &self,
        _operator: &Operator,
        filter: &AlertFilter,
    ) -> Result<Vec<AlertView>, ConsoleError> {
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut binds = Vec::new();
        for (column, value) in [("rule", &filter.rule), ("status", &filter.status)] {
            if let Some(value) = value.as_deref().filter(|value| !value.is_empty()) {
                binds.push(value.to_owned());
                conditions.push(format!("{column} = ${}", binds.len()));
            }
        }
        if let Some(username) = filter.username.as_deref().filter(|name| !name.is_empty()) {
            let row = self.player_row(username).await?;
            binds.push(format!("%,{},%", row.player.id));
            conditions.push(format!("(',' || players || ',') LIKE ${}", binds.len()));
        }
        let condition = conditions.join(" AND ");
        Ok(read_alerts(&self.parts.pool, &condition, &binds, CONSOLE_ROWS_SHOWN).await?)
    }

    /// One alert, with the accounts that share an address or a browser (its device cookie)
    /// with its players.
    pub async fn alert(&self, _operator: &Operator, id: i64) -> Result<AlertDetail, ConsoleError> {
        let alert = read_alerts(&self.parts.pool, "id = $1", &[id.to_string()], 1).await?;
        let alert = alert
            .into_iter()
            .next()
            .ok_or_else(|| ConsoleError::NotFound(format!("there is no alert {id}")))?;
        let links = self.links(&alert).await?;
        Ok(AlertDetail { alert, links })
    }

    async fn links(&self, alert: &AlertView) -> Result<Vec<Link>, sqlx::Error> {
        let players: Vec<String> = alert.players.iter().map(|p| p.id.to_string()).collect();
        // Ids read from the database: safe to inline. A device shows by the start of its
        // cookie, as in the risk engine's evidence.
        let ids = players.join(",");
        let rows = sqlx::query(&format!(
            "SELECT DISTINCT s.user_id, o.user_id, 'ip ' || s.ip FROM sessions s \
             JOIN sessions o ON o.ip = s.ip AND o.user_id <> s.user_id \
             WHERE s.user_id IN ({ids}) AND s.ip <> '' \
             UNION SELECT DISTINCT s.user_id, o.user_id, 'device ' || substr(s.device_id, 1, 8) \
             FROM sessions s JOIN sessions o ON o.device_id = s.device_id AND o.user_id <> s.user_id \
             WHERE s.user_id IN ({ids}) AND s.device_id <> '' \
             ORDER BY 1, 2, 3 LIMIT {ALERT_LINKS_SHOWN}"
        ))
        .fetch_all(&self.parts.pool)
        .await?;
        let mut edges = Vec::with_capacity(rows.len());
        for row in &rows {
            edges.push((
                row.try_get::<i64, _>(0)?,
                row.try_get::<i64, _>(1)?,
                row.try_get::<String, _>(2)?,
            ));
        }
        let every: Vec<i64> = edges.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
        let names = names(&self.parts.pool, &every).await?;
        Ok(edges
            .into_iter()
            .map(|(from, to, via)| Link {
                from: named(&names, from),
                to: named(&names, to),
                via,
            })
            .collect())
    }

    /// Resolves an alert: dismisses it, or acts on its first player (a cap of `cap`), with
    /// `reason`; both recorded in the audit log.
    pub async fn resolve_alert(
        &self,
        operator: &Operator,
        id: i64,
        resolution: Resolution,
        cap: Option<Cents>,
        reason: &str,
    ) -> Result<AlertView, ConsoleError> {
        operator.fresh()?;
        let reason = check_reason(reason)?;
        let before = self.alert(operator, id).await?.alert;
        let (status, done) = match resolution {
            Resolution::Dismiss => ("dismissed", "dismissed".to_owned()),
            Resolution::Act(action) => {
                let player = before
                    .players
                    .first()
                    .ok_or_else(|| ConsoleError::NotFound(format!("alert {id} names no player")))?;
                let row = self
                    .act_on_player(operator, &player.username, action, cap, reason)
                    .await?;
                let word = serde_json::to_value(action).expect("actions serialise");
                let word = word.as_str().unwrap_or_default().to_owned();
                ("actioned", format!("{word} {}", row.player.username))
            }
        };
        sqlx::query(
            "UPDATE risk_alerts SET status = $1, resolution = $2, resolved_by = $3, resolved_at = $4 \
             WHERE id = $5",
        )
        .bind(status)
        .bind(format!("{done}: {reason}"))
        .bind(operator.player.id.0)
        .bind(now_ms())
        .bind(id)
        .execute(&self.parts.pool)
        .await?;
        let after = self.alert(operator, id).await?.alert;
        let entry = Action {
            action: if status == "dismissed" {
                "dismiss_alert"
            } else {
                "resolve_alert"
            },
            target: format!("alert {id} ({})", before.rule),
            before: before.status,
            after: format!("{}: {done}", after.status),
            reason: Some(reason),
        };
        audit::record(&self.parts.pool, operator, entry).await?;
        Ok(after)
    }
}
