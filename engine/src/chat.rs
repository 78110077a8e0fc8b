//! Chat: a global room and one per game, messages stored and fanned out through the hub (and
//! so through the bus to every node), moderation by role.
//!
//! Sending checks, in order: the room exists, the text is 1..=280 characters once trimmed, the
//! player is neither banned nor muted (read from the database, so a mute given on another node
//! counts at once), and the player's rate limit (shared through Redis when there is a bus). The
//! message is stored, then published to `chat:<room>`. Bodies are stored and sent as given
//! (trimmed); showing them as text is the client's part.

use crate::bus::Bus;
use crate::hub::Hub;
use crate::limits::CHAT_LIMITER_KEYS_MAX;
use crate::store::now_ms;
use crate::throttle::{retry_after_secs, KeyedLimit};
use protocol::chat::{self, ChatMessage, Standing};
use protocol::limits::{
    CHAT_BURST_MESSAGES, CHAT_HISTORY_MESSAGES, CHAT_MESSAGE_CHARS_MAX, CHAT_MUTE_MINUTES_MAX,
    CHAT_REASON_CHARS_MAX, CHAT_REFILL_MS,
};
use protocol::records::utc_text;
use protocol::wire::{ErrorCode, PlayerView};
use protocol::{PlayerId, ServerMsg};
use sqlx::{AnyPool, Row};
use std::sync::Arc;

/// Players' roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Everyone.
    Player,
    /// May mute, ban and lift.
    Moderator,
    /// May do what a moderator does.
    Admin,
}

impl Role {
    /// Whether the role may moderate chat and broadcast to everyone.
    pub fn moderates(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }
}

/// Why a chat command was refused (nothing changed).
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// No such room.
    #[error("there is no chat room \"{0}\"")]
    UnknownRoom(String),
    /// Bad text, reason or length.
    #[error("{0}")]
    Invalid(String),
    /// Muted until a time.
    #[error("you are muted until {until} (UTC): {reason}")]
    Muted {
        /// When the mute ends, as text.
        until: String,
        /// The moderator's reason.
        reason: String,
    },
    /// Banned from chat.
    #[error("you are banned from chat: {0}")]
    Banned(String),
    /// Too many messages.
    #[error("too many messages: wait {0} s")]
    RateLimited(u64),
    /// Not a moderator.
    #[error("only moderators may do that")]
    Forbidden,
    /// No such player.
    #[error("no player is called \"{0}\"")]
    UnknownPlayer(String),
    /// The database failed.
    #[error("storage error")]
    Storage(#[from] sqlx::Error),
}

impl ChatError {
    /// The wire error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ChatError::UnknownRoom(_) => ErrorCode::UnknownRoom,
            ChatError::Invalid(_) => ErrorCode::InvalidMessage,
            ChatError::Muted { .. } => ErrorCode::Muted,
            ChatError::Banned(_) => ErrorCode::Banned,
            ChatError::RateLimited(_) => ErrorCode::RateLimited,
            ChatError::Forbidden => ErrorCode::Forbidden,
            ChatError::UnknownPlayer(_) => ErrorCode::UnknownPlayer,
            ChatError::Storage(_) => ErrorCode::Internal,
        }
    }
}

/// Chat's rooms, shared by cheap clones.
#[derive(Clone)]
pub struct Chat {
    pool: AnyPool,
    hub: Hub,
    /// Rate limits shared by every node through it, when there is one.
    bus: Option<Bus>,
    rate: Arc<KeyedLimit<PlayerId>>,
}

impl Chat {
    /// Chat on the database `pool`, publishing through `hub`; with a `bus`, rate limits are
    /// shared by every node.
    pub fn new(pool: AnyPool, hub: Hub, bus: Option<Bus>) -> Chat {
        let rate = KeyedLimit::new(CHAT_BURST_MESSAGES, CHAT_REFILL_MS, CHAT_LIMITER_KEYS_MAX);
        Chat {
            pool,
            hub,
            bus,
            rate: Arc::new(rate),
        }
    }

    /// Stores `body` in `room` from `player` and sends it to the room.
    pub async fn send(
        &self,
        player: &PlayerView,
        room: &str,
        body: &str,
    ) -> Result<ChatMessage, ChatError> {
        let room = known_room(room)?;
        let body = body.trim();
        check_text(body, CHAT_MESSAGE_CHARS_MAX, "a message")?;
        self.check_standing(player.id).await?;
        self.check_rate(player.id).await?;
        let sent_ms = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO chat_messages (room, user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(room)
        .bind(player.id.0)
        .bind(body)
        .bind(sent_ms)
        .fetch_one(&self.pool)
        .await?;
        let message = ChatMessage {
            id,
            room: room.to_owned(),
            username: player.username.clone(),
            body: body.to_owned(),
            sent_ms,
        };
        let event = message.clone();
        self.hub
            .publish(&chat::topic(room), move |topic, seq, at_ms| {
                ServerMsg::ChatMessage {
                    topic,
                    seq,
                    at_ms,
                    message: event,
                }
            });
        Ok(message)
    }

    /// A room's latest messages, oldest first.
    pub async fn history(&self, room: &str) -> Result<Vec<ChatMessage>, ChatError> {
        let room = known_room(room)?;
        let rows = sqlx::query(
            "SELECT m.id, u.username, m.body, m.created_at FROM chat_messages m \
             JOIN users u ON u.id = m.user_id WHERE m.room = $1 ORDER BY m.id DESC LIMIT $2",
        )
        .bind(room)
        .bind(CHAT_HISTORY_MESSAGES as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows
            .iter()
            .map(|row| {
                Ok(ChatMessage {
                    id: row.try_get(0)?,
                    room: room.to_owned(),
                    username: row.try_get(1)?,
                    body: row.try_get(2)?,
                    sent_ms: row.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        messages.reverse();
        Ok(messages)
    }

    /// A moderator mutes `username` for `minutes`.
    pub async fn mute(
        &self,
        moderator: PlayerId,
        username: &str,
        minutes: u32,
        reason: &str,
    ) -> Result<Standing, ChatError> {
        if !(1..=CHAT_MUTE_MINUTES_MAX).contains(&minutes) {
            let range = format!("a mute lasts 1 to {CHAT_MUTE_MINUTES_MAX} minutes");
            return Err(ChatError::Invalid(range));
        }
        let until = now_ms() + i64::from(minutes) * 60_000;
        self.moderate(moderator, username, reason, Some(until), false)
            .await
    }

    /// A moderator bans `username` from chat until lifted.
    pub async fn ban(
        &self,
        moderator: PlayerId,
        username: &str,
        reason: &str,
    ) -> Result<Standing, ChatError> {
        self.moderate(moderator, username, reason, None, true).await
    }

    /// A moderator lifts `username`'s mute or ban.
    pub async fn lift(&self, moderator: PlayerId, username: &str) -> Result<Standing, ChatError> {
        self.moderate(moderator, username, "lifted", None, false)
            .await
    }

    async fn moderate(
        &self,
        moderator: PlayerId,
        username: &str,
        reason: &str,
        muted_until: Option<i64>,
        banned: bool,
    ) -> Result<Standing, ChatError> {
        let reason = reason.trim();
        check_text(reason, CHAT_REASON_CHARS_MAX, "a reason")?;
        if !role_of(&self.pool, moderator).await?.moderates() {
            return Err(ChatError::Forbidden);
        }
        let (target, username) = player_named(&self.pool, username).await?;
        sqlx::query(
            "INSERT INTO chat_standing (user_id, muted_until, banned, reason, set_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET \
             muted_until = excluded.muted_until, banned = excluded.banned, \
             reason = excluded.reason, set_by = excluded.set_by, updated_at = excluded.updated_at",
        )
        .bind(target.0)
        .bind(muted_until)
        .bind(i64::from(banned))
        .bind(reason)
        .bind(moderator.0)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        tracing::info!(moderator = moderator.0, %username, ?muted_until, banned, %reason, "chat moderation");
        Ok(Standing {
            username,
            muted_until_ms: muted_until,
            banned,
        })
    }

    async fn check_standing(&self, player: PlayerId) -> Result<(), ChatError> {
        let row =
            sqlx::query("SELECT muted_until, banned, reason FROM chat_standing WHERE user_id = $1")
                .bind(player.0)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(()) };
        let (muted_until, banned, reason): (Option<i64>, i64, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if banned == 1 {
            return Err(ChatError::Banned(reason));
        }
        match muted_until {
            Some(until) if until > now_ms() => Err(ChatError::Muted {
                until: utc_text(until),
                reason,
            }),
            _ => Ok(()),
        }
    }

    async fn check_rate(&self, player: PlayerId) -> Result<(), ChatError> {
        let name = format!("chat:{}", player.0);
        self.rate
            .check(self.bus.as_ref(), &name, &player)
            .await
            .map_err(|wait| ChatError::RateLimited(retry_after_secs(wait)))
    }
}

/// Gives `username` a role (the `zerolag admin grant` command). A change of role ends every
/// session of the player: a new privilege starts with a new session (they log in again), so no
/// session id outlives the privilege it was issued under. Returns whether the role changed.
pub async fn grant_role(pool: &AnyPool, username: &str, role: Role) -> Result<bool, ChatError> {
    let (player, _) = player_named(pool, username).await?;
    let role: &'static str = role.into();
    let changed = sqlx::query("UPDATE users SET role = $1 WHERE id = $2 AND role <> $1")
        .bind(role)
        .bind(player.0)
        .execute(pool)
        .await?
        .rows_affected()
        > 0;
    if changed {
        crate::accounts::sessions::delete_all(pool, player).await?;
    }
    Ok(changed)
}

/// A player's role.
pub async fn role_of(pool: &AnyPool, player: PlayerId) -> Result<Role, ChatError> {
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(player.0)
        .fetch_one(pool)
        .await?;
    Ok(role.parse().unwrap_or(Role::Player))
}

/// The player called `username` (without regard to case): their id and name as registered.
pub async fn player_named(pool: &AnyPool, username: &str) -> Result<(PlayerId, String), ChatError> {
    let row = sqlx::query("SELECT id, username FROM users WHERE username_key = $1")
        .bind(crate::accounts::username_key(username.trim()))
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| ChatError::UnknownPlayer(username.to_owned()))?;
    Ok((PlayerId(row.try_get(0)?), row.try_get(1)?))
}

fn known_room(room: &str) -> Result<&'static str, ChatError> {
    chat::ROOMS
        .into_iter()
        .find(|known| *known == room)
        .ok_or_else(|| ChatError::UnknownRoom(room.to_owned()))
}

pub(crate) fn check_text(text: &str, chars_max: usize, what: &str) -> Result<(), ChatError> {
    let chars = text.chars().count();
    if chars == 0 || chars > chars_max {
        return Err(ChatError::Invalid(format!(
            "{what} must have 1 to {chars_max} characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_must_be_one_to_the_most_characters() {
        assert!(check_text("", 280, "a message").is_err());
        assert!(check_text(&"é".repeat(280), 280, "a message").is_ok());
        assert!(check_text(&"é".repeat(281), 280, "a message").is_err());
    }
}
