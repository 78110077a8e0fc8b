//! The operator console's domain: who may act ([`Console::operator`]: the `admin` role, and a
//! password typed within [`ADMIN_REAUTH_MS`] for anything that changes state), what operators
//! see (the live dashboard, alerts with their linked accounts, players, rounds replayed from
//! their chain and ledger rows) and what they do (dismiss an alert, suspend, cap, end sessions,
//! adjust credit). Every action is written to the append-only audit log ([`audit`]) with who,
//! on what, the state before and after, and why.

pub mod alerts;
pub mod audit;
pub mod dashboard;
pub mod keys;
pub mod players;
pub mod replay;

use crate::accounts::{Accounts, Session};
use crate::chat::{role_of, Role};
use crate::hub::Hub;
use crate::leaderboard::Leaderboards;
use crate::ledger::{Ledger, LedgerError};
use crate::presence::Presence;
use crate::pulse::Pulse;
use crate::risk::Risk;
use crate::store::now_ms;
use protocol::console::{ADMIN_REASON_CHARS_MAX, ADMIN_REAUTH_MS};
use protocol::wire::PlayerView;
use sqlx::AnyPool;
use std::sync::Arc;

/// Why the console refused (nothing changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsoleError {
    /// The caller is not an `admin`.
    #[error("this needs the admin role")]
    Forbidden,
    /// The operator last typed their password more than 15 minutes ago.
    #[error("confirm your password to act (every 15 minutes)")]
    Reauthenticate,
    /// No such player, alert or round.
    #[error("{0}")]
    NotFound(String),
    /// A field is out of range (the message says which).
    #[error("{0}")]
    Invalid(String),
    /// The ledger refused the adjustment.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The database failed; details are in the log.
    #[error("something went wrong; please try again")]
    Storage,
}

impl ConsoleError {
    /// The stable code clients may match on.
    pub fn code(&self) -> &'static str {
        match self {
            ConsoleError::Forbidden => "forbidden",
            ConsoleError::Reauthenticate => "reauthenticate",
            ConsoleError::NotFound(_) => "not_found",
            ConsoleError::Invalid(_) => "invalid",
            ConsoleError::Ledger(error) => error.code().into(),
            ConsoleError::Storage => "internal",
        }
    }
}

impl From<sqlx::Error> for ConsoleError {
    fn from(error: sqlx::Error) -> ConsoleError {
        tracing::error!(%error, "console storage failed");
        ConsoleError::Storage
    }
}

impl From<crate::chat::ChatError> for ConsoleError {
    fn from(error: crate::chat::ChatError) -> ConsoleError {
        match error {
            crate::chat::ChatError::UnknownPlayer(name) => {
                ConsoleError::NotFound(format!("no player is called {name}"))
            }
            other => {
                tracing::error!(error = %other, "console lookup failed");
                ConsoleError::Storage
            }
        }
    }
}

/// An operator checked for the admin role.
#[derive(Debug, Clone)]
pub struct Operator {
    /// Who.
    pub player: PlayerView,
    authenticated_ms: i64,
}

impl Operator {
    /// Refuses unless the operator typed their password within [`ADMIN_REAUTH_MS`].
    pub fn fresh(&self) -> Result<&Operator, ConsoleError> {
        if now_ms() - self.authenticated_ms > ADMIN_REAUTH_MS {
            return Err(ConsoleError::Reauthenticate);
        }
        Ok(self)
    }
}

/// The console, shared by cheap clones.
#[derive(Clone)]
pub struct Console {
    parts: Arc<Parts>,
}

/// What the console reads and acts through.
pub struct Parts {
    /// The database.
    pub pool: AnyPool,
    /// Where the dashboard's figures are published.
    pub hub: Hub,
    /// Suspensions and caps.
    pub risk: Risk,
    /// Sessions.
    pub accounts: Accounts,
    /// Credit adjustments.
    pub ledger: Ledger,
    /// Today's totals per game.
    pub leaderboards: Leaderboards,
    /// Connections and players here.
    pub presence: Presence,
    /// Bets and answer times here.
    pub pulse: Pulse,
}

impl Console {
    /// The console over the engine's parts; publishes the dashboard while admins watch.
    pub fn start(parts: Parts) -> Console {
        let console = Console {
            parts: Arc::new(parts),
        };
        dashboard::start(Arc::downgrade(&console.parts));
        console
    }

    /// The session's player as an operator, if they have the `admin` role now (read again: a
    /// WebSocket's session was read when it connected).
    pub async fn operator(&self, session: &Session) -> Result<Operator, ConsoleError> {
        if role_of(&self.parts.pool, session.player.id).await? != Role::Admin {
            return Err(ConsoleError::Forbidden);
        }
        Ok(Operator {
            player: session.player.clone(),
            authenticated_ms: session.authenticated_ms,
        })
    }
}

/// Checks an operator's reason: 1 to [`ADMIN_REASON_CHARS_MAX`] characters after trimming.
pub fn check_reason(reason: &str) -> Result<&str, ConsoleError> {
    let reason = reason.trim();
    let chars = reason.chars().count();
    if chars == 0 || chars > ADMIN_REASON_CHARS_MAX {
        return Err(ConsoleError::Invalid(format!(
            "give a reason of 1 to {ADMIN_REASON_CHARS_MAX} characters"
        )));
    }
    Ok(reason)
}
