//! Players in the console: search, everything about one player, and the actions on them.

use super::audit::{self, Action};
use super::{check_reason, Console, ConsoleError, Operator};
use crate::history::History;
use protocol::console::{
    Named, PlayerAction, PlayerDetail, PlayerRow, RoundBetRow, SessionRow, ADJUSTMENT_CENTS_MAX,
    CONSOLE_ROWS_SHOWN,
};
use protocol::{Cents, PlayerId};
use sqlx::{any::AnyRow, Row};

/// The columns [`player_row`] reads, from `users u` and `accounts a`.
const PLAYER_COLUMNS: &str =
    "u.id, u.username, u.role, COALESCE(a.balance, 0) AS balance, u.suspended_at, u.bet_cap, u.created_at";

fn player_row(row: &AnyRow) -> Result<PlayerRow, sqlx::Error> {
    Ok(PlayerRow {
        player: Named {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
        },
        role: row.try_get("role")?,
        balance: Cents(row.try_get("balance")?),
        suspended: row.try_get::<Option<i64>, _>("suspended_at")?.is_some(),
        bet_cap: row.try_get::<Option<i64>, _>("bet_cap")?.map(Cents),
        created_ms: row.try_get("created_at")?,
    })
}

/// The state an action changes, as the audit log shows it.
fn state(row: &PlayerRow) -> String {
    let cap = row.bet_cap.map_or("none".to_owned(), |cap| cap.to_string());
    format!(
        "suspended: {}, bet cap: {cap}, balance: {}",
        if row.suspended { "yes" } else { "no" },
        row.balance
    )
}

impl Console {
    /// Players whose username starts with `prefix` (any case), oldest first.
    pub async fn find_players(
        &self,
        _operator: &Operator,
        prefix: &str,
    ) -> Result<Vec<PlayerRow>, ConsoleError> {
        let pattern = format!("{}%", escape_like(&prefix.trim().to_ascii_lowercase()));
        let rows = sqlx::query(&format!(
            "SELECT {PLAYER_COLUMNS} FROM users u LEFT JOIN accounts a ON a.user_id = u.id \
             WHERE u.username_key LIKE $1 ESCAPE '\\' ORDER BY u.id LIMIT $2"
        ))
        .bind(pattern)
        .bind(CONSOLE_ROWS_SHOWN)
        .fetch_all(&self.parts.pool)
        .await?;
        let found = rows.iter().map(player_row);
        Ok(found.collect::<Result<_, sqlx::Error>>()?)
    }

    /// One player's account row.
    pub async fn player_row(&self, username: &str) -> Result<PlayerRow, ConsoleError> {
        let row = sqlx::query(&format!(
            "SELECT {PLAYER_COLUMNS} FROM users u LEFT JOIN accounts a ON a.user_id = u.id \
             WHERE u.username_key = $1"
        ))
        .bind(crate::accounts::username_key(username.trim()))
        .fetch_optional(&self.parts.pool)
        .await?
        .ok_or_else(|| ConsoleError::NotFound(format!("no player is called {username}")))?;
        Ok(player_row(&row)?)
    }

    /// Everything about one player.
    pub async fn player(
        &self,
        operator: &Operator,
        username: &str,
    ) -> Result<PlayerDetail, ConsoleError> {
        let row = self.player_row(username).await?;
        let id = PlayerId(row.player.id);
        let history = History::new(self.parts.pool.clone());
        let filter = protocol::console::AlertFilter {
            username: Some(row.player.username.clone()),
            ..Default::default()
        };
        Ok(PlayerDetail {
            transactions: history.transactions(id).await?,
            dice_bets: history.bets(id, false).await?,
            round_bets: self.round_bets(id).await?,
            sessions: self.sessions(id).await?,
            alerts: self.alerts(operator, &filter).await?,
            row,
        })
    }

    async fn round_bets(&self, player: PlayerId) -> Result<Vec<RoundBetRow>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT {ROUND_BET_COLUMNS} FROM round_bets b JOIN rounds r ON r.id = b.round_id \
             WHERE b.user_id = $1 ORDER BY b.id DESC LIMIT $2"
        ))
        .bind(player.0)
        .bind(CONSOLE_ROWS_SHOWN)
        .fetch_all(&self.parts.pool)
        .await?;
        rows.iter().map(round_bet_row).collect()
    }

    async fn sessions(&self, player: PlayerId) -> Result<Vec<SessionRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT ip, device, created_at, last_seen_at FROM sessions WHERE user_id = $1 \
             ORDER BY created_at DESC LIMIT $2",
        )
        .bind(player.0)
        .bind(CONSOLE_ROWS_SHOWN)
        .fetch_all(&self.parts.pool)
        .await?;
        let sessions = rows.iter().map(|row| {
            Ok(SessionRow {
                ip: row.try_get(0)?,
                device: row.try_get(1)?,
                created_ms: row.try_get(2)?,
                last_seen_ms: row.try_get(3)?,
            })
        });
        sessions.collect()
    }

    /// Suspends, caps (at `cap`), lifts, or logs the player out everywhere; recorded in the
    /// audit log with `reason`. Returns the player's row after it.
    pub async fn act_on_player(
        &self,
        operator: &Operator,
        username: &str,
        action: PlayerAction,
        cap: Option<Cents>,
        reason: &str,
    ) -> Result<PlayerRow, ConsoleError> {
        operator.fresh()?;
        let reason = check_reason(reason)?;
        let before = self.player_row(username).await?;
        let id = PlayerId(before.player.id);
        let name = match action {
            PlayerAction::Suspend => {
                self.parts.risk.set_suspended(id, true).await?;
                "suspend"
            }
            PlayerAction::Unsuspend => {
                self.parts.risk.set_suspended(id, false).await?;
                "unsuspend"
            }
            PlayerAction::Cap => {
                let cap = cap.filter(|cap| cap.0 > 0).ok_or_else(|| {
                    ConsoleError::Invalid("a bet cap is a positive amount".into())
                })?;
                self.parts.risk.set_bet_cap(id, Some(cap.0)).await?;
                "cap_bets"
            }
            PlayerAction::Uncap => {
                self.parts.risk.set_bet_cap(id, None).await?;
                "uncap_bets"
            }
            PlayerAction::EndSessions => {
                let ended = self.parts.accounts.end_sessions(id).await;
                ended.map_err(|_| ConsoleError::Storage)?;
                "end_sessions"
            }
        };
        let after = self.player_row(username).await?;
        let entry = Action {
            action: name,
            target: format!("player {}", after.player.username),
            before: state(&before),
            after: state(&after),
            reason: Some(reason),
        };
        audit::record(&self.parts.pool, operator, entry).await?;
        Ok(after)
    }

    /// Credits (`amount` > 0) or debits the player against the treasury, with `reason`, once
    /// per `idempotency_key`. Returns the player's row after it.
    pub async fn adjust_credit(
        &self,
        operator: &Operator,
        username: &str,
        amount: Cents,
        idempotency_key: &str,
        reason: &str,
    ) -> Result<PlayerRow, ConsoleError> {
        operator.fresh()?;
        let reason = check_reason(reason)?;
        if amount.0 == 0 || amount.0.abs() > ADJUSTMENT_CENTS_MAX {
            return Err(ConsoleError::Invalid(format!(
                "an adjustment is a non-zero amount of at most {} either way",
                Cents(ADJUSTMENT_CENTS_MAX)
            )));
        }
        let before = self.player_row(username).await?;
        let id = PlayerId(before.player.id);
        let done = self
            .parts
            .ledger
            .adjust(id, idempotency_key, amount)
            .await?;
        let after = self.player_row(username).await?;
        if done.repeated {
            // A retry: recorded the first time.
            return Ok(after);
        }
        let entry = Action {
            action: "adjust_credit",
            target: format!("player {}", after.player.username),
            before: format!("balance: {}", before.balance),
            after: format!(
                "balance: {} (transaction {}, {amount})",
                done.balance, done.tx
            ),
            reason: Some(reason),
        };
        audit::record(&self.parts.pool, operator, entry).await?;
        Ok(after)
    }
}

/// The columns [`round_bet_row`] reads, from `round_bets b` and `rounds r`.
pub(super) const ROUND_BET_COLUMNS: &str =
    "b.id, r.game, b.round_id, b.amount, b.choice, b.status, b.multiplier_x100, \
     b.payout, b.created_at, b.settled_at, b.user_id";

pub(super) fn round_bet_row(row: &AnyRow) -> Result<RoundBetRow, sqlx::Error> {
    Ok(RoundBetRow {
        id: row.try_get(0)?,
        game: row.try_get(1)?,
        round: row.try_get(2)?,
        amount: Cents(row.try_get(3)?),
        choice: row.try_get(4)?,
        status: row.try_get(5)?,
        multiplier_x100: row.try_get(6)?,
        payout: row.try_get::<Option<i64>, _>(7)?.map(Cents),
        created_ms: row.try_get(8)?,
        settled_ms: row.try_get(9)?,
    })
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_match_underscores_literally() {
        assert_eq!(super::escape_like("a_b%c\\"), "a\\_b\\%c\\\\");
    }
}
