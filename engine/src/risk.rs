//! The risk engine: scores what players do as it happens, off the bets' path.
//!
//! The server, the ledger writer and the round drivers hand it signals ([`Signal`], through an
//! [`Observer`]: bets, sign-ins with their address and device, refused commands, settled bets,
//! round bets and hand cash-outs) through a bounded queue; one task runs the rules
//! ([`rules`]) over them. Scoring never delays a bet: when the queue is full the signal is
//! dropped and counted (`zerolag_risk_dropped_total`). Each hit becomes an alert in the database
//! (`risk_alerts`: its rule, score, accounts and evidence) and is counted by rule
//! (`zerolag_risk_alerts_total`); a rule whose action is to suspend also suspends the player
//! pending review, and a rule whose action is to cap caps their stakes: every node refuses their
//! commands with `account_suspended`, or stakes over the cap with `bet_capped` (a change crosses
//! nodes as a bus notice, and every node re-reads the restricted players every
//! [`RISK_SUSPENDED_REFRESH_MS`]) while their balance and open bets stay as they are. Operators
//! set and lift both from the console ([`crate::console`]).

pub mod rules;
mod signals;

pub use signals::{Observer, Signal};

use crate::bus::Bus;
use crate::ledger::rows::TOPIC_RISK;
use crate::limits::{RISK_QUEUE_SIGNALS_MAX, RISK_SUSPENDED_REFRESH_MS};
use crate::store::now_ms;
use protocol::PlayerId;
use rules::{Action, Hit, Rules, RISK_BET_CAP_CENTS};
use serde_json::json;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use tokio::sync::mpsc;

/// An alert as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Its id.
    pub id: i64,
    /// The rule that fired (`rules::Rule::as_str`).
    pub rule: String,
    /// 1 to 100.
    pub score: i64,
    /// The accounts concerned.
    pub players: Vec<PlayerId>,
    /// What made it fire (JSON).
    pub evidence: String,
    /// `alert`, `cap` or `suspend`.
    pub action: String,
    /// When (Unix ms).
    pub created_ms: i64,
}

/// The kind of the bus notices that carry a player's restrictions as stored:
/// `<player id> <suspended 0|1> <bet cap in cents, or ->`.
const RESTRICTION_NOTICE: &str = "restriction";

/// What a player may not do while reviewed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restriction {
    /// Every command but a cash-out is refused.
    pub suspended: bool,
    /// Stakes above this (cents) are refused.
    pub bet_cap: Option<i64>,
}

impl Restriction {
    fn is_none(self) -> bool {
        self == Restriction::default()
    }
}

/// The risk engine, shared by cheap clones.
#[derive(Clone)]
pub struct Risk {
    inner: Arc<Inner>,
}

struct Inner {
    pool: AnyPool,
    bus: Option<Bus>,
    /// Whether rules whose action is to suspend or cap do (else they only alert).
    acts: bool,
    /// Whether alerts go to the Kafka export's outbox with the alert.
    exporting: bool,
    observer: Observer,
    restricted: RwLock<HashMap<PlayerId, Restriction>>,
}

impl Risk {
    /// Loads who is restricted and starts scoring. With `acts` false, every rule only alerts
    /// (e.g. while benchmarks, which are bots, run); with `exporting`, each alert is written to
    /// the Kafka export's outbox in its own transaction (topic `risk`, docs/export.md).
    pub async fn start(
        pool: AnyPool,
        bus: Option<Bus>,
        acts: bool,
        exporting: bool,
    ) -> Result<Risk, sqlx::Error> {
        let (signals, queue) = mpsc::channel(RISK_QUEUE_SIGNALS_MAX);
        let (notices, heard) = mpsc::channel(RISK_QUEUE_SIGNALS_MAX);
        if let Some(bus) = &bus {
            bus.listen(RESTRICTION_NOTICE, notices);
        }
        let restricted = restricted_players(&pool).await?;
        let inner = Arc::new(Inner {
            pool,
            bus,
            acts,
            exporting,
            observer: Observer {
                signals,
                dropped: Arc::default(),
            },
            restricted: RwLock::new(restricted),
        });
        tokio::spawn(score(Arc::downgrade(&inner), queue));
        tokio::spawn(hear_restrictions(Arc::downgrade(&inner), heard));
        tokio::spawn(refresh_restrictions(Arc::downgrade(&inner)));
        Ok(Risk { inner })
    }

    /// Hands a signal to the scorer without waiting; a full queue drops it (counted).
    pub fn observe(&self, signal: Signal) {
        self.inner.observer.observe(signal);
    }

    /// What hands it signals, for those that only feed it.
    pub fn observer(&self) -> Observer {
        self.inner.observer.clone()
    }

    /// Signals dropped so far because the scorer's queue was full.
    pub fn dropped(&self) -> u64 {
        self.inner.observer.dropped.load(Ordering::Relaxed)
    }

    /// What the player may not do (nothing, for most).
    pub fn restriction(&self, player: PlayerId) -> Restriction {
        let restricted = self.inner.restricted.read().expect("risk lock");
        restricted.get(&player).copied().unwrap_or_default()
    }

    /// Whether the player is suspended pending review.
    pub fn is_suspended(&self, player: PlayerId) -> bool {
        self.restriction(player).suspended
    }

    /// Suspends the player (`true`) or lifts it (`false`), on every node.
    pub async fn set_suspended(
        &self,
        player: PlayerId,
        suspended: bool,
    ) -> Result<(), sqlx::Error> {
        store_suspension(&self.inner.pool, player, suspended).await?;
        self.inner.spread(player).await
    }

    /// Caps the player's stakes at `cap` cents (`None` lifts it), on every node.
    pub async fn set_bet_cap(&self, player: PlayerId, cap: Option<i64>) -> Result<(), sqlx::Error> {
        store_bet_cap(&self.inner.pool, player, cap).await?;
        self.inner.spread(player).await
    }

    /// The latest alerts, newest first.
    pub async fn alerts(&self, limit: i64) -> Result<Vec<Alert>, sqlx::Error> {
        latest_alerts(&self.inner.pool, limit).await
    }
}

/// The latest alerts in the database `pool`, newest first.
pub async fn latest_alerts(pool: &AnyPool, limit: i64) -> Result<Vec<Alert>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, rule, score, players, evidence, action, created_at FROM risk_alerts \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let players: String = row.try_get(3)?;
            Ok(Alert {
                id: row.try_get(0)?,
                rule: row.try_get(1)?,
                score: row.try_get(2)?,
                players: players
                    .split(',')
                    .filter_map(|id| id.parse().ok().map(PlayerId))
                    .collect(),
                evidence: row.try_get(4)?,
                action: row.try_get(5)?,
                created_ms: row.try_get(6)?,
            })
        })
        .collect()
}

/// Suspends a player (`true`) or lifts it, in the database `pool` only: running nodes take it in
/// within [`RISK_SUSPENDED_REFRESH_MS`] (`zerolag admin suspend`).
pub async fn store_suspension(
    pool: &AnyPool,
    player: PlayerId,
    suspended: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET suspended_at = $1 WHERE id = $2")
        .bind(suspended.then(now_ms))
        .bind(player.0)
        .execute(pool)
        .await?;
    Ok(())
}

/// Caps a player's stakes at `cap` cents (`None` lifts it), in the database `pool` only.
pub async fn store_bet_cap(
    pool: &AnyPool,
    player: PlayerId,
    cap: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET bet_cap = $1 WHERE id = $2")
        .bind(cap)
        .bind(player.0)
        .execute(pool)
        .await?;
    Ok(())
}

fn restriction_of(row: &sqlx::any::AnyRow) -> Result<Restriction, sqlx::Error> {
    Ok(Restriction {
        suspended: row.try_get::<Option<i64>, _>("suspended_at")?.is_some(),
        bet_cap: row.try_get("bet_cap")?,
    })
}

async fn restricted_players(pool: &AnyPool) -> Result<HashMap<PlayerId, Restriction>, sqlx::Error> {
    // Two statements, each on its partial index.
    let mut restricted = HashMap::new();
    for filter in ["suspended_at IS NOT NULL", "bet_cap IS NOT NULL"] {
        let rows = sqlx::query(&format!(
            "SELECT id, suspended_at, bet_cap FROM users WHERE {filter}"
        ))
        .fetch_all(pool)
        .await?;
        for row in &rows {
            restricted.insert(PlayerId(row.try_get("id")?), restriction_of(row)?);
        }
    }
    Ok(restricted)
}

/// Re-reads who is restricted every [`RISK_SUSPENDED_REFRESH_MS`].
async fn refresh_restrictions(inner: std::sync::Weak<Inner>) {
    let mut every =
        tokio::time::interval(std::time::Duration::from_millis(RISK_SUSPENDED_REFRESH_MS));
    every.tick().await;
    loop {
        every.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        match restricted_players(&inner.pool).await {
            Ok(restricted) => *inner.restricted.write().expect("risk lock") = restricted,
            Err(error) => tracing::warn!(%error, "cannot re-read the restricted players"),
        }
    }
}

impl Inner {
    /// Reads the player's restriction as stored, applies it here and tells the other nodes.
    async fn spread(&self, player: PlayerId) -> Result<(), sqlx::Error> {
        let row = sqlx::query("SELECT suspended_at, bet_cap FROM users WHERE id = $1")
            .bind(player.0)
            .fetch_one(&self.pool)
            .await?;
        let restriction = restriction_of(&row)?;
        self.mark(player, restriction);
        if let Some(bus) = &self.bus {
            let cap = restriction
                .bet_cap
                .map_or("-".into(), |cap| cap.to_string());
            let body = format!("{} {} {cap}", player.0, u8::from(restriction.suspended));
            if !bus.notify(RESTRICTION_NOTICE, body.into_bytes()) {
                tracing::error!(player = player.0, "the bus is not taking a restriction");
            }
        }
        tracing::warn!(
            player = player.0,
            ?restriction,
            "account restriction changed"
        );
        Ok(())
    }

    fn mark(&self, player: PlayerId, restriction: Restriction) {
        let mut restricted = self.restricted.write().expect("risk lock");
        if restriction.is_none() {
            restricted.remove(&player);
        } else {
            restricted.insert(player, restriction);
        }
    }

    /// Stores a hit as an alert, and suspends or caps when its rule says so.
    async fn raise(&self, hit: Hit) -> Result<(), sqlx::Error> {
        let action = match hit.rule.action() {
            Action::Suspend | Action::Cap if !self.acts => Action::Alert,
            action => action,
        };
        let players: Vec<String> = hit.players.iter().map(|p| p.0.to_string()).collect();
        let at_ms = now_ms();
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO risk_alerts (rule, score, players, evidence, action, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(hit.rule.as_str())
        .bind(i64::from(hit.score))
        .bind(players.join(","))
        .bind(hit.evidence.to_string())
        .bind(action.as_str())
        .bind(at_ms)
        .fetch_one(&mut *tx)
        .await?;
        if self.exporting {
            let event = json!({
                "type": "risk_alert",
                "alert": id,
                "rule": hit.rule.as_str(),
                "score": hit.score,
                "players": hit.players.iter().map(|p| p.0).collect::<Vec<_>>(),
                "action": action.as_str(),
                "evidence": hit.evidence,
                "at_ms": at_ms,
            });
            // One line of the outbox's format: topic, key, JSON (crate::export).
            let line = format!("{TOPIC_RISK}\t{}\t{event}\n", hit.players[0].0);
            sqlx::query(
                "INSERT INTO export_outbox (events, event_count, created_at) VALUES ($1, 1, $2)",
            )
            .bind(line)
            .bind(at_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        metrics::counter!("zerolag_risk_alerts_total", "rule" => hit.rule.as_str()).increment(1);
        tracing::warn!(rule = hit.rule.as_str(), players = ?hit.players, "risk alert");
        match action {
            Action::Suspend => store_suspension(&self.pool, hit.players[0], true).await?,
            Action::Cap => {
                store_bet_cap(&self.pool, hit.players[0], Some(RISK_BET_CAP_CENTS)).await?
            }
            Action::Alert => return Ok(()),
        }
        self.spread(hit.players[0]).await
    }
}

/// Runs the rules over the signals as they come, and raises what they hit.
async fn score(inner: std::sync::Weak<Inner>, mut queue: mpsc::Receiver<Signal>) {
    let mut rules = Rules::default();
    let mut seen: u64 = 0;
    while let Some(signal) = queue.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        metrics::gauge!("zerolag_risk_queue_depth").set(queue.len() as f64);
        if let Signal::RoundBet { player, .. } | Signal::CashedOut { player, .. } = &signal {
            if !rules.knows_origins(*player) {
                match stored_origins(&inner.pool, *player).await {
                    Ok(origins) => rules.learn_origins(*player, &origins, now_ms()),
                    Err(error) => tracing::warn!(%error, "cannot read a player's origins"),
                }
            }
        }
        for hit in rules.observe(&signal) {
            if let Err(error) = inner.raise(hit).await {
                tracing::error!(%error, "cannot store a risk alert");
            }
        }
        seen += 1;
        if seen.is_multiple_of(RISK_FORGET_EVERY_SIGNALS) {
            rules.forget_idle(now_ms());
        }
    }
}

/// Where `player`'s latest sessions started: address and device cookie.
async fn stored_origins(
    pool: &AnyPool,
    player: PlayerId,
) -> Result<Vec<(IpAddr, Option<String>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT ip, device_id FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2",
    )
    .bind(player.0)
    .bind(RISK_STORED_ORIGINS_READ)
    .fetch_all(pool)
    .await?;
    let mut origins = Vec::new();
    for row in &rows {
        let ip: String = row.try_get(0)?;
        let device: String = row.try_get(1)?;
        if let Ok(ip) = ip.parse() {
            origins.push((ip, (!device.is_empty()).then_some(device)));
        }
    }
    Ok(origins)
}

/// Sessions read per player whose origins the scorer looks up.
const RISK_STORED_ORIGINS_READ: i64 = 4;

/// Signals between two sweeps of the rules' idle players.
const RISK_FORGET_EVERY_SIGNALS: u64 = 100_000;

/// Applies other nodes' restrictions.
async fn hear_restrictions(inner: std::sync::Weak<Inner>, mut heard: mpsc::Receiver<Vec<u8>>) {
    while let Some(body) = heard.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        let text = String::from_utf8_lossy(&body);
        let mut fields = text.split_whitespace();
        let player = fields.next().and_then(|id| id.parse().ok()).map(PlayerId);
        match (player, fields.next(), fields.next()) {
            (Some(player), Some(flag), Some(cap)) => {
                let restriction = Restriction {
                    suspended: flag == "1",
                    bet_cap: cap.parse().ok(),
                };
                inner.mark(player, restriction);
            }
            _ => tracing::error!(%text, "unreadable restriction on the bus"),
        }
    }
}
