//! The operator console's server functions. Every one needs a session of a player with the
//! `admin` role (401 without a session, 403 `Forbidden` for anyone else); those that change
//! state also need the password typed within the last 15 minutes (403 `Reauthenticate`; the
//! console's form posts it to `/auth/confirm`). Each action is in the audit log.

use super::AppError;
use leptos::prelude::*;
use protocol::console::{
    AlertDetail, AlertView, ApiKeyView, AuditEntry, NewApiKey, PlayerAction, PlayerDetail,
    PlayerRow, RoundReplay,
};
use protocol::Cents;
use serde::{Deserialize, Serialize};

/// The signed-in operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    /// Their username.
    pub username: String,
    /// Until when they may act without typing their password again (Unix ms).
    pub fresh_until_ms: i64,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::super::ssr::{engine, refuse, require_session};
    use super::AppError;
    use engine::console::{Console, ConsoleError, Operator};
    use leptos::server_fn::ServerFn;

    /// The console and the caller as an operator, or the refusal of `F`'s call.
    pub async fn operator<F: ServerFn>() -> Result<(Console, Operator, i64), AppError> {
        let session = require_session::<F>().await?;
        let console = engine()?.console().clone();
        let operator = console
            .operator(&session)
            .await
            .map_err(|error| refusal::<F>(error))?;
        Ok((console, operator, session.authenticated_ms))
    }

    /// A console refusal as the app's error, with its HTTP status.
    pub fn refusal<F: ServerFn>(error: ConsoleError) -> AppError {
        let error = match error {
            ConsoleError::Forbidden => AppError::Forbidden,
            ConsoleError::Reauthenticate => AppError::Reauthenticate,
            ConsoleError::Storage => return AppError::Internal,
            other => AppError::Refused {
                code: other.code().to_owned(),
                message: other.to_string(),
            },
        };
        refuse::<F>(error)
    }
}

/// The signed-in operator (refused for anyone without the `admin` role).
#[server]
pub async fn admin_operator() -> Result<OperatorView, AppError> {
    let (_, operator, authenticated_ms) = ssr::operator::<AdminOperator>().await?;
    Ok(OperatorView {
        username: operator.player.username,
        fresh_until_ms: authenticated_ms + protocol::console::ADMIN_REAUTH_MS,
    })
}

/// The latest alerts of `rule`, in `status`, naming `username` (each filter when given).
#[server]
pub async fn admin_alerts(
    rule: Option<String>,
    status: Option<String>,
    username: Option<String>,
) -> Result<Vec<AlertView>, AppError> {
    let (console, operator, _) = ssr::operator::<AdminAlerts>().await?;
    let filter = protocol::console::AlertFilter {
        rule,
        status,
        username,
    };
    let alerts = console.alerts(&operator, &filter).await;
    alerts.map_err(ssr::refusal::<AdminAlerts>)
}

/// One alert with the accounts linked to its players.
#[server]
pub async fn admin_alert(id: i64) -> Result<AlertDetail, AppError> {
    let (console, operator, _) = ssr::operator::<AdminAlert>().await?;
    let alert = console.alert(&operator, id).await;
    alert.map_err(ssr::refusal::<AdminAlert>)
}

/// Resolves an alert: `action` is `dismiss`, or a player action (`suspend`, `unsuspend`,
/// `cap` with `cap`, `uncap`) on its first player.
#[server]
pub async fn admin_resolve_alert(
    id: i64,
    action: String,
    cap: Option<Cents>,
    reason: String,
) -> Result<AlertView, AppError> {
    use engine::console::alerts::Resolution;
    let (console, operator, _) = ssr::operator::<AdminResolveAlert>().await?;
    let resolution = match action.as_str() {
        "dismiss" => Resolution::Dismiss,
        other => match serde_json::from_value(serde_json::Value::String(other.to_owned())) {
            Ok(action) => Resolution::Act(action),
            Err(_) => {
                return Err(super::ssr::refuse::<AdminResolveAlert>(AppError::Refused {
                    code: "invalid".into(),
                    message: format!("no alert action is called \"{other}\""),
                }))
            }
        },
    };
    let resolved = console
        .resolve_alert(&operator, id, resolution, cap, &reason)
        .await;
    resolved.map_err(ssr::refusal::<AdminResolveAlert>)
}

/// Players whose username starts with `prefix`.
#[server]
pub async fn admin_players(prefix: String) -> Result<Vec<PlayerRow>, AppError> {
    let (console, operator, _) = ssr::operator::<AdminPlayers>().await?;
    let found = console.find_players(&operator, &prefix).await;
    found.map_err(ssr::refusal::<AdminPlayers>)
}

/// Everything about one player.
#[server]
pub async fn admin_player(username: String) -> Result<PlayerDetail, AppError> {
    let (console, operator, _) = ssr::operator::<AdminPlayer>().await?;
    let player = console.player(&operator, &username).await;
    player.map_err(ssr::refusal::<AdminPlayer>)
}

/// Suspends, caps, lifts, or logs a player out everywhere, with a reason.
#[server]
pub async fn admin_act_on_player(
    username: String,
    action: PlayerAction,
    cap: Option<Cents>,
    reason: String,
) -> Result<PlayerRow, AppError> {
    let (console, operator, _) = ssr::operator::<AdminActOnPlayer>().await?;
    let done = console
        .act_on_player(&operator, &username, action, cap, &reason)
        .await;
    done.map_err(ssr::refusal::<AdminActOnPlayer>)
}

/// Credits (positive `amount`) or debits a player against the treasury, once per key.
#[server]
pub async fn admin_adjust_credit(
    username: String,
    amount: Cents,
    idempotency_key: String,
    reason: String,
) -> Result<PlayerRow, AppError> {
    let (console, operator, _) = ssr::operator::<AdminAdjustCredit>().await?;
    let done = console
        .adjust_credit(&operator, &username, amount, &idempotency_key, &reason)
        .await;
    done.map_err(ssr::refusal::<AdminAdjustCredit>)
}

/// Replays round `number` of `game` (`crash` or `wheel`).
#[server]
pub async fn admin_replay(game: String, number: i64) -> Result<RoundReplay, AppError> {
    let (console, operator, _) = ssr::operator::<AdminReplay>().await?;
    let Some(game) = protocol::Game::parse(&game) else {
        return Err(super::ssr::refuse::<AdminReplay>(AppError::Refused {
            code: "invalid".into(),
            message: format!("no round game is called \"{game}\""),
        }));
    };
    let replay = console.replay(&operator, game, number).await;
    replay.map_err(ssr::refusal::<AdminReplay>)
}

/// The latest entries of the audit log, optionally only one action's.
#[server]
pub async fn admin_audit_log(action: Option<String>) -> Result<Vec<AuditEntry>, AppError> {
    let (console, operator, _) = ssr::operator::<AdminAuditLog>().await?;
    let entries = console.audit_log(&operator, action.as_deref()).await;
    entries.map_err(ssr::refusal::<AdminAuditLog>)
}

/// Every key of the operator wallet API, newest first.
#[server]
pub async fn admin_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    let (console, operator, _) = ssr::operator::<AdminApiKeys>().await?;
    let keys = console.api_keys(&operator).await;
    keys.map_err(ssr::refusal::<AdminApiKeys>)
}

/// Creates a key named `name`; the answer carries its secret, shown this once.
#[server]
pub async fn admin_create_api_key(name: String) -> Result<NewApiKey, AppError> {
    let (console, operator, _) = ssr::operator::<AdminCreateApiKey>().await?;
    let created = console.create_api_key(&operator, &name).await;
    created.map_err(ssr::refusal::<AdminCreateApiKey>)
}

/// Revokes the key `key_id`.
#[server]
pub async fn admin_revoke_api_key(key_id: String) -> Result<(), AppError> {
    let (console, operator, _) = ssr::operator::<AdminRevokeApiKey>().await?;
    let revoked = console.revoke_api_key(&operator, &key_id).await;
    revoked.map_err(ssr::refusal::<AdminRevokeApiKey>)
}
