//! Players' accounts: registration, login and logout, and server-side sessions.
//!
//! Passwords are hashed with Argon2id at OWASP's parameters ([`password`]). Login attempts are
//! throttled per IP, per (account, IP) and per account ([`throttle`]). A session is a random
//! 256-bit token held by the browser in an HttpOnly cookie; only its SHA-256 is stored
//! ([`sessions`]). Unknown users and wrong passwords get the same error after the same work.

mod password;
pub(crate) mod sessions;
mod throttle;

use crate::bus::Bus;
use crate::hub::Hub;
use crate::ledger::Ledger;
use crate::store::now_ms;
use protocol::limits::{
    PASSWORD_BYTES_MAX, PASSWORD_CHARS_MIN, USERNAME_CHARS_MAX, USERNAME_CHARS_MIN,
};
use protocol::wire::PlayerView;
use protocol::PlayerId;
use sqlx::{AnyPool, Row};
use std::net::IpAddr;
use std::sync::Arc;

pub use sessions::{Client, DeviceId, Session, SessionToken};

/// Why an account operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Username is not 3-20 letters, digits or underscores.
    #[error("usernames are {USERNAME_CHARS_MIN} to {USERNAME_CHARS_MAX} letters, digits or _")]
    InvalidUsername,
    /// Password shorter than the minimum (or absurdly long).
    #[error("passwords have at least {PASSWORD_CHARS_MIN} characters")]
    WeakPassword,
    /// Someone already has this username.
    #[error("that username is taken")]
    UsernameTaken,
    /// Unknown user or wrong password; deliberately the same error.
    #[error("wrong username or password")]
    InvalidCredentials,
    /// Too many attempts; try again later.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    Throttled {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// Something failed on the server.
    #[error("something went wrong; please try again")]
    Internal,
}

impl AuthError {
    /// Stable code for clients and query strings.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::InvalidUsername => "invalid_username",
            AuthError::WeakPassword => "weak_password",
            AuthError::UsernameTaken => "username_taken",
            AuthError::InvalidCredentials => "invalid_credentials",
            AuthError::Throttled { .. } => "throttled",
            AuthError::Internal => "internal",
        }
    }
}

impl From<sqlx::Error> for AuthError {
    fn from(error: sqlx::Error) -> AuthError {
        tracing::error!(%error, "account storage failed");
        AuthError::Internal
    }
}

/// Accounts and sessions. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    pool: AnyPool,
    ledger: Ledger,
    hub: Hub,
    throttle: Arc<throttle::LoginThrottle>,
}

/// Checks a username's shape: 3-20 ASCII letters, digits or underscores.
pub fn parse_username(text: &str) -> Result<&str, AuthError> {
    let chars = text.chars().count();
    let allowed = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !(USERNAME_CHARS_MIN..=USERNAME_CHARS_MAX).contains(&chars) || !allowed {
        return Err(AuthError::InvalidUsername);
    }
    Ok(text)
}

fn check_password(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < PASSWORD_CHARS_MIN || password.len() > PASSWORD_BYTES_MAX {
        return Err(AuthError::WeakPassword);
    }
    Ok(())
}

/// The stored key of a username (`users.username_key`): names are unique, and found, without
/// regard to case.
pub fn username_key(username: &str) -> String {
    username.to_ascii_lowercase()
}

impl Accounts {
    /// Accounts over `pool`; wallets are opened through `ledger`; logouts close connections
    /// through `hub`; with a `bus`, login throttles are shared by every node.
    pub fn new(pool: AnyPool, ledger: Ledger, hub: Hub, bus: Option<Bus>) -> Accounts {
        Accounts {
            pool,
            ledger,
            hub,
            throttle: Arc::new(throttle::LoginThrottle::new(bus)),
        }
    }

    /// Creates an account with its wallet (and signup grant) and logs it in.
    pub async fn register(
        &self,
        username: &str,
        password: &str,
        client: impl Into<Client>,
    ) -> Result<(Session, SessionToken), AuthError> {
        let client = client.into();
        let username = parse_username(username)?;
        check_password(password)?;
        self.throttle.check_registration(client.ip).await?;
        let hash = password::hash(password.to_owned()).await?;
        let inserted = sqlx::query(
            "INSERT INTO users (username, username_key, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(username)
        .bind(username_key(username))
        .bind(&hash)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await;
        let player = match inserted {
            Ok(row) => PlayerId(row.get("id")),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AuthError::UsernameTaken)
            }
            Err(e) => return Err(e.into()),
        };
        let view = PlayerView {
            id: player,
            username: username.to_owned(),
        };
        let started = self.start_session(view, &client).await?;
        // The grant is in the ledger now; its notification waits for the first connection.
        crate::notify::keep_signup_grant(&self.pool, player, username).await?;
        Ok(started)
    }

    /// Checks a username and password and starts a new session (always a new token).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: impl Into<Client>,
    ) -> Result<(Session, SessionToken), AuthError> {
        let client = client.into();
        let key = username_key(username);
        self.throttle.check_login(&key, client.ip).await?;
        let found = if parse_username(username).is_ok() && password.len() <= PASSWORD_BYTES_MAX {
            sqlx::query("SELECT id, username, password_hash FROM users WHERE username_key = $1")
                .bind(&key)
                .fetch_optional(&self.pool)
                .await?
        } else {
            None
        };
        let (view, stored_hash) = match found {
            Some(row) => (
                Some(PlayerView {
                    id: PlayerId(row.get("id")),
                    username: row.get("username"),
                }),
                row.get::<String, _>("password_hash"),
            ),
            // Same work for an unknown user as for a wrong password.
            None => (None, password::decoy_hash().to_owned()),
        };
        let matches = password::verify(
            password.chars().take(PASSWORD_BYTES_MAX).collect(),
            stored_hash,
        )
        .await?;
        match view {
            Some(view) if matches => self.start_session(view, &client).await,
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    async fn start_session(
        &self,
        player: PlayerView,
        client: &Client,
    ) -> Result<(Session, SessionToken), AuthError> {
        // Idempotent: creates the wallet and signup grant if an earlier attempt stopped short.
        self.ledger
            .open_wallet(player.id, &player.username)
            .await
            .map_err(|error| {
                tracing::error!(%error, "opening a wallet failed");
                AuthError::Internal
            })?;
        Ok(sessions::create(&self.pool, player, client).await?)
    }

    /// The live session for a cookie token, if any; refreshes its last-seen time.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, AuthError> {
        Ok(sessions::find(&self.pool, token).await?)
    }

    /// Checks the session owner's password again (throttled like a login) and marks the
    /// session as just authenticated; returns when (Unix ms).
    pub async fn reauthenticate(
        &self,
        session: &Session,
        password: &str,
        ip: IpAddr,
    ) -> Result<i64, AuthError> {
        let key = username_key(&session.player.username);
        self.throttle.check_login(&key, ip).await?;
        let stored_hash: String =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(session.player.id.0)
                .fetch_one(&self.pool)
                .await?;
        let candidate = password.chars().take(PASSWORD_BYTES_MAX).collect();
        if !password::verify(candidate, stored_hash).await? {
            return Err(AuthError::InvalidCredentials);
        }
        Ok(sessions::authenticated(&self.pool, &session.id).await?)
    }

    /// Ends every session of a player and closes their WebSocket connections; returns how
    /// many sessions there were.
    pub async fn end_sessions(&self, player: PlayerId) -> Result<usize, AuthError> {
        let ended = sessions::delete_all(&self.pool, player).await?;
        for session_id in &ended {
            self.hub.end_session(session_id);
        }
        Ok(ended.len())
    }

    /// Ends the session and closes its WebSocket connections.
    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        if let Some(session_id) = sessions::delete(&self.pool, token).await? {
            self.hub.end_session(&session_id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_short_words() {
        assert!(parse_username("alice_01").is_ok());
        for bad in [
            "ab",
            "a".repeat(21).as_str(),
            "bob smith",
            "<script>",
            "x'; DROP TABLE users;--",
            "Élodie",
        ] {
            assert_eq!(
                parse_username(bad),
                Err(AuthError::InvalidUsername),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert_eq!(check_password("1234567"), Err(AuthError::WeakPassword));
        assert!(check_password("12345678").is_ok());
        assert_eq!(
            check_password(&"x".repeat(PASSWORD_BYTES_MAX + 1)),
            Err(AuthError::WeakPassword)
        );
    }
}
