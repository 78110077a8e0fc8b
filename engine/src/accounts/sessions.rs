//! Server-side sessions. The browser holds a random 256-bit token; the database holds only its
//! SHA-256, so a leaked database does not log anyone in. Sessions end after
//! [`SESSION_IDLE_MS`] without use or [`SESSION_ABSOLUTE_MS`] after login.

use crate::limits::{
    SESSION_ABSOLUTE_MS, SESSION_DEVICE_CHARS_MAX, SESSION_IDLE_MS, SESSION_TOKEN_BYTES,
    SESSION_TOUCH_INTERVAL_MS,
};
use crate::store::now_ms;
use protocol::wire::PlayerView;
use protocol::PlayerId;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

/// The secret a browser presents; goes in the cookie and nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

/// A live login session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Stable id of the session (the token's hash), safe to log and to key connections by.
    pub id: String,
    /// Who is logged in.
    pub player: PlayerView,
    /// When its owner last typed their password (login, or re-authentication), Unix ms.
    pub authenticated_ms: i64,
    /// Its owner's role, as stored when the session was read (every request reads it).
    pub role: crate::chat::Role,
}

/// Where a session is started from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client's address.
    pub ip: std::net::IpAddr,
    /// Its browser's user agent (cut to [`SESSION_DEVICE_CHARS_MAX`] characters).
    pub device: String,
    /// Its browser's device cookie ([`DeviceId`]), if it has one.
    pub device_id: Option<DeviceId>,
}

impl From<std::net::IpAddr> for Client {
    fn from(ip: std::net::IpAddr) -> Client {
        Client {
            ip,
            device: String::new(),
            device_id: None,
        }
    }
}

/// A browser's device cookie: 128 random bits in hex, set on its first sign-in and kept for
/// [`crate::limits::DEVICE_COOKIE_MAX_AGE_MS`]. It proves nothing (a client may send any); the
/// risk engine only links the accounts that sign in from one browser by it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// A new random one.
    pub fn new() -> DeviceId {
        let mut bytes = [0u8; DEVICE_ID_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        DeviceId(hex::encode(bytes))
    }

    /// The cookie's value when it is one the server could have set (so a client cannot fill
    /// the database with arbitrary text through it).
    pub fn parse(text: &str) -> Option<DeviceId> {
        let plain = text.len() == DEVICE_ID_BYTES * 2
            && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        plain.then(|| DeviceId(text.to_owned()))
    }

    /// Its text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for DeviceId {
    fn default() -> DeviceId {
        DeviceId::new()
    }
}

/// Random bytes in a device cookie.
const DEVICE_ID_BYTES: usize = 16;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn create(
    pool: &AnyPool,
    player: PlayerView,
    client: &Client,
) -> Result<(Session, SessionToken), sqlx::Error> {
    let mut bytes = [0u8; SESSION_TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let id = token_hash(&token);
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip, device, \
         authenticated_at, device_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(player.id.0)
    .bind(now)
    .bind(now)
    .bind(client.ip.to_string())
    .bind(
        client
            .device
            .chars()
            .take(SESSION_DEVICE_CHARS_MAX)
            .collect::<String>(),
    )
    .bind(now)
    .bind(client.device_id.as_ref().map_or("", DeviceId::as_str))
    .execute(pool)
    .await?;
    let role = sqlx::query_scalar::<_, String>("SELECT role FROM users WHERE id = $1")
        .bind(player.id.0)
        .fetch_one(pool)
        .await?;
    let session = Session {
        id,
        player,
        authenticated_ms: now,
        role: role.parse().unwrap_or(crate::chat::Role::Player),
    };
    Ok((session, SessionToken(token)))
}

pub async fn find(pool: &AnyPool, token: &str) -> Result<Option<Session>, sqlx::Error> {
    if token.len() != SESSION_TOKEN_BYTES * 2 {
        return Ok(None);
    }
    let id = token_hash(token);
    let now = now_ms();
    let Some(row) = sqlx::query(
        "SELECT s.user_id, s.created_at, s.last_seen_at, s.authenticated_at, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1",
    )
    .bind(&id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let created: i64 = row.get("created_at");
    let last_seen: i64 = row.get("last_seen_at");
    if now - last_seen > SESSION_IDLE_MS || now - created > SESSION_ABSOLUTE_MS {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&id)
            .execute(pool)
            .await?;
        return Ok(None);
    }
    if now - last_seen > SESSION_TOUCH_INTERVAL_MS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(&id)
            .execute(pool)
            .await?;
    }
    let player = PlayerView {
        id: PlayerId(row.get("user_id")),
        username: row.get("username"),
    };
    Ok(Some(Session {
        id,
        player,
        authenticated_ms: row.get("authenticated_at"),
        role: row
            .get::<String, _>("role")
            .parse()
            .unwrap_or(crate::chat::Role::Player),
    }))
}

/// Deletes a session; returns its id if it existed.
pub async fn delete(pool: &AnyPool, token: &str) -> Result<Option<String>, sqlx::Error> {
    let id = token_hash(token);
    let deleted = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(&id)
        .execute(pool)
        .await?;
    Ok((deleted.rows_affected() > 0).then_some(id))
}

/// Marks a session as just authenticated (its owner typed their password again).
pub async fn authenticated(pool: &AnyPool, id: &str) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    sqlx::query("UPDATE sessions SET authenticated_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(now)
}

/// Deletes every session of a player; returns their ids.
pub async fn delete_all(pool: &AnyPool, player: PlayerId) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM sessions WHERE user_id = $1 RETURNING token_hash")
        .bind(player.0)
        .fetch_all(pool)
        .await
}

#[cfg(test)]
mod device_tests {
    use super::DeviceId;

    #[test]
    fn device_cookies_are_what_the_server_sets_or_nothing() {
        let new = DeviceId::new();
        assert_eq!(DeviceId::parse(new.as_str()), Some(new.clone()));
        assert_ne!(DeviceId::new(), new);
        for bad in ["", "abc", &"A".repeat(32), &"0".repeat(33), &"g".repeat(32)] {
            assert_eq!(DeviceId::parse(bad), None, "{bad}");
        }
    }
}
