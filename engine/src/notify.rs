//! Notifications (`protocol::notification` names the kinds): toasts sent the moment something
//! happens, and the inbox that keeps some of them.
//!
//! A ledger writer reports every bet it settles ([`Reporter`], on the writer's own thread, after
//! the commit): the player's tabs are told at once (topic `player:<id>`), and a win of at least
//! the big-win threshold goes to this node's notices task, which keeps it in the winner's inbox
//! and tells everyone (topic `notices`). Both topics cross nodes. A moderator's broadcast is kept
//! for every player and told to everyone. A new account's grant is kept undelivered until the
//! player's first connection, which then receives it once ([`Notices::deliver_pending`]).
//!
//! The inbox is the kept notifications of a player (theirs, and the broadcasts since they
//! joined); what is unread is what is newer than the last id they marked read.

use crate::chat::{check_text, role_of, ChatError};
use crate::hub::{player_topic, Hub};
use crate::leaderboard::Settled;
use crate::limits::NOTICES_QUEUE_WINS_MAX;
use crate::store::now_ms;
use protocol::limits::SIGNUP_GRANT_CENTS;
use protocol::notification::{
    Inbox, Kind, Notification, BROADCAST_CHARS_MAX, INBOX_SHOWN, NOTICES_TOPIC,
};
use protocol::{Cents, PlayerId, ServerMsg};
use sqlx::{AnyPool, Row};
use tokio::sync::mpsc;

/// The columns a kept notification is read from, in [`from_row`]'s order, each after `prefix`
/// (a table alias and a dot, or nothing).
fn columns(prefix: &str) -> String {
    [
        "id",
        "kind",
        "body",
        "username",
        "amount",
        "game",
        "created_at",
    ]
    .map(|column| format!("{prefix}{column}"))
    .join(", ")
}

/// The kept notifications of the player `u`: theirs, and the broadcasts since they joined.
const MINE: &str = "(n.user_id = u.id OR (n.user_id IS NULL AND n.created_at >= u.created_at))";

/// Where a ledger writer reports the bets it settled.
#[derive(Clone)]
pub struct Reporter {
    hub: Hub,
    big_win: Cents,
    wins: mpsc::Sender<Settled>,
}

impl Reporter {
    /// Tells the player their bet was played out, and everyone when it won big.
    pub fn report(&self, bet: &Settled) {
        let profit = bet.payout.0 - bet.stake.0;
        let (verb, amount) = match profit {
            1.. => ("won", Cents(profit)),
            _ => ("lost", Cents(-profit)),
        };
        let game = bet.scope.as_str();
        let notification = Notification {
            id: None,
            kind: Kind::BetSettled,
            text: format!("You {verb} {amount} on {game}"),
            username: bet.username.clone(),
            amount: Some(amount),
            game: Some(game.to_owned()),
            sent_ms: now_ms(),
        };
        publish(&self.hub, &player_topic(bet.player), notification);
        if profit >= self.big_win.0 && self.wins.try_send(bet.clone()).is_err() {
            tracing::warn!(
                player = bet.player.0,
                "the notices task is behind; a big win is not announced"
            );
        }
    }

    /// A reporter nobody listens to (tests of the writer's other events).
    #[cfg(test)]
    pub(crate) fn unheard() -> Reporter {
        Reporter {
            hub: Hub::new(),
            big_win: Cents(i64::MAX),
            wins: mpsc::channel(1).0,
        }
    }
}

/// Notifications on the database `pool`, told through `hub`. Cheap to clone.
#[derive(Clone)]
pub struct Notices {
    pool: AnyPool,
    hub: Hub,
}

impl Notices {
    /// Starts the notices task; returns the notices and the writer's [`Reporter`]. Wins of at
    /// least `big_win` are announced.
    pub fn start(pool: AnyPool, hub: Hub, big_win: Cents) -> (Notices, Reporter) {
        let (wins, queue) = mpsc::channel(NOTICES_QUEUE_WINS_MAX);
        let notices = Notices { pool, hub };
        tokio::spawn(announce_wins(notices.clone(), queue));
        let reporter = Reporter {
            hub: notices.hub.clone(),
            big_win,
            wins,
        };
        (notices, reporter)
    }

    /// A moderator's message to everyone: kept for every player and sent to every connection.
    pub async fn broadcast(
        &self,
        moderator: &protocol::wire::PlayerView,
        body: &str,
    ) -> Result<Notification, ChatError> {
        let body = body.trim();
        check_text(body, BROADCAST_CHARS_MAX, "a broadcast")?;
        if !role_of(&self.pool, moderator.id).await?.moderates() {
            return Err(ChatError::Forbidden);
        }
        let mut notification = Notification {
            id: None,
            kind: Kind::Broadcast,
            text: body.to_owned(),
            username: moderator.username.clone(),
            amount: None,
            game: None,
            sent_ms: now_ms(),
        };
        notification.id = Some(keep(&self.pool, None, &notification, true).await?);
        publish(&self.hub, NOTICES_TOPIC, notification.clone());
        Ok(notification)
    }

    /// Sends the player's notifications kept while they had no connection (the signup grant) to
    /// their tabs, once: the first connection to ask takes them.
    pub async fn deliver_pending(&self, player: PlayerId) -> Result<(), sqlx::Error> {
        // Read first: nearly every connection has nothing pending, and a read takes no write
        // lock from the ledger writer (SQLite).
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM notifications WHERE user_id = $1 AND delivered_at IS NULL LIMIT 1",
        )
        .bind(player.0)
        .fetch_optional(&self.pool)
        .await?;
        if pending.is_none() {
            return Ok(());
        }
        let rows = sqlx::query(&format!(
            "UPDATE notifications SET delivered_at = $1 \
             WHERE user_id = $2 AND delivered_at IS NULL RETURNING {}",
            columns("")
        ))
        .bind(now_ms())
        .bind(player.0)
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            publish(&self.hub, &player_topic(player), from_row(&row)?);
        }
        Ok(())
    }

    /// The player's inbox.
    pub async fn inbox(&self, player: PlayerId) -> Result<Inbox, ChatError> {
        let items = sqlx::query(&format!(
            "SELECT {} FROM notifications n JOIN users u ON u.id = $1 \
             WHERE {MINE} ORDER BY n.id DESC LIMIT $2",
            columns("n.")
        ))
        .bind(player.0)
        .bind(INBOX_SHOWN as i64)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let (unread, read_upto) = self.unread(player).await?;
        Ok(Inbox {
            items,
            unread,
            read_upto,
            can_broadcast: role_of(&self.pool, player).await?.moderates(),
        })
    }

    /// How many of the player's kept notifications are unread, and the newest id they marked
    /// read.
    pub async fn unread(&self, player: PlayerId) -> Result<(u64, i64), sqlx::Error> {
        let counts = sqlx::query(&format!(
            "SELECT CAST(COUNT(n.id) AS BIGINT), u.notifications_read_upto FROM users u \
             LEFT JOIN notifications n ON {MINE} AND n.id > u.notifications_read_upto \
             WHERE u.id = $1 GROUP BY u.notifications_read_upto"
        ))
        .bind(player.0)
        .fetch_one(&self.pool)
        .await?;
        Ok((counts.try_get::<i64, _>(0)? as u64, counts.try_get(1)?))
    }

    /// Marks the player's notifications up to `upto` (an id they have seen) as read.
    pub async fn mark_read(&self, player: PlayerId, upto: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE users SET notifications_read_upto = CASE \
             WHEN notifications_read_upto < $1 THEN $1 ELSE notifications_read_upto END \
             WHERE id = $2",
        )
        .bind(upto)
        .bind(player.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Keeps the new player's signup grant, to be delivered to their first connection.
pub async fn keep_signup_grant(
    pool: &AnyPool,
    player: PlayerId,
    username: &str,
) -> Result<(), sqlx::Error> {
    let notification = Notification {
        id: None,
        kind: Kind::SignupGrant,
        text: format!(
            "Welcome, {username}! {SIGNUP_GRANT_CENTS} credits were added to your balance."
        ),
        username: username.to_owned(),
        amount: Some(SIGNUP_GRANT_CENTS),
        game: None,
        sent_ms: now_ms(),
    };
    keep(pool, Some(player), &notification, false).await?;
    Ok(())
}

/// Keeps a notification (for `player`, or for everyone), marked delivered or not; returns its
/// id.
async fn keep(
    pool: &AnyPool,
    player: Option<PlayerId>,
    notification: &Notification,
    delivered: bool,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO notifications (user_id, kind, body, username, amount, game, created_at, delivered_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(player.map(|player| player.0))
    .bind(notification.kind.as_str())
    .bind(&notification.text)
    .bind(&notification.username)
    .bind(notification.amount.map(|amount| amount.0))
    .bind(notification.game.as_deref())
    .bind(notification.sent_ms)
    .bind(delivered.then_some(notification.sent_ms))
    .fetch_one(pool)
    .await
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Notification, sqlx::Error> {
    let kind: String = row.try_get(1)?;
    Ok(Notification {
        id: Some(row.try_get(0)?),
        kind: Kind::parse(&kind).ok_or_else(|| sqlx::Error::Decode(kind.into()))?,
        text: row.try_get(2)?,
        username: row.try_get(3)?,
        amount: row.try_get::<Option<i64>, _>(4)?.map(Cents),
        game: row.try_get(5)?,
        sent_ms: row.try_get(6)?,
    })
}

fn publish(hub: &Hub, topic: &str, notification: Notification) {
    hub.publish(topic, move |topic, seq, at_ms| ServerMsg::Notification {
        topic,
        seq,
        at_ms,
        notification,
    });
}

/// Keeps each big win in its winner's inbox and tells everyone.
async fn announce_wins(notices: Notices, mut wins: mpsc::Receiver<Settled>) {
    while let Some(bet) = wins.recv().await {
        let profit = Cents(bet.payout.0 - bet.stake.0);
        let game = bet.scope.as_str();
        let mut notification = Notification {
            id: None,
            kind: Kind::BigWin,
            text: format!("{} won {profit} on {game}", bet.username),
            username: bet.username.clone(),
            amount: Some(profit),
            game: Some(game.to_owned()),
            sent_ms: now_ms(),
        };
        match keep(&notices.pool, Some(bet.player), &notification, true).await {
            Ok(id) => notification.id = Some(id),
            Err(error) => tracing::error!(%error, "cannot keep a big win; announcing it anyway"),
        }
        publish(&notices.hub, NOTICES_TOPIC, notification);
    }
}
