//! The live dashboard: this node's figures, published on the `admin` topic every
//! [`ADMIN_STATS_PUBLISH_MS`] while at least one admin watches (nothing is computed otherwise).

use super::alerts::open_alerts;
use super::{Console, ConsoleError, Operator, Parts};
use crate::hub::{Hub, Outbox};
use crate::store::now_ms;
use protocol::console::{DashboardStats, GameResult, ADMIN_STATS_PUBLISH_MS, ADMIN_TOPIC};
use protocol::leaderboard::{Period, Scope};
use protocol::{Cents, ServerMsg};
use std::sync::Weak;
use std::time::Duration;

/// Stakes open in the current crash round (betting or running).
const CRASH_EXPOSURE: &str = "SELECT CAST(COALESCE(SUM(b.amount), 0) AS BIGINT) FROM round_bets b \
     JOIN rounds r ON r.id = b.round_id \
     WHERE r.phase IN ('betting', 'running') AND r.game = 'crash' AND b.status = 'open'";

impl Console {
    /// The figures now. Takes the pulse's window: meant to be called once a second.
    async fn stats(&self) -> Result<DashboardStats, sqlx::Error> {
        let (connections, players_online) = self.parts.presence.here();
        let beat = self.parts.pulse.take();
        let house_today = [Scope::Dice, Scope::Crash, Scope::Wheel]
            .into_iter()
            .map(|scope| {
                let totals = self.parts.leaderboards.totals(scope, Period::Day);
                GameResult {
                    game: scope.as_str().to_owned(),
                    wagered: Cents(totals.wagered),
                    house: Cents(-totals.profit),
                }
            })
            .collect();
        let exposure: i64 = sqlx::query_scalar(CRASH_EXPOSURE)
            .fetch_one(&self.parts.pool)
            .await?;
        let (open_alerts, latest_alerts) = open_alerts(&self.parts.pool).await?;
        Ok(DashboardStats {
            connections,
            players_online,
            bets_per_sec: beat.bets,
            ack_p50_us: beat.ack_p50_us,
            ack_p99_us: beat.ack_p99_us,
            house_today,
            crash_exposure: Cents(exposure),
            open_alerts,
            latest_alerts,
            at_ms: now_ms(),
        })
    }

    /// Sends the operator's connection the figures now, then every second.
    pub async fn watch(&self, _operator: &Operator, outbox: &Outbox) -> Result<(), ConsoleError> {
        let stats = self.stats().await?;
        self.parts
            .hub
            .subscribe_with(ADMIN_TOPIC, outbox, |topic, seq, at_ms| {
                ServerMsg::AdminStats {
                    topic,
                    seq,
                    at_ms,
                    stats,
                }
            });
        Ok(())
    }
}

/// Publishes the figures every second while someone watches; ends with the engine.
pub(super) fn start(parts: Weak<Parts>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(ADMIN_STATS_PUBLISH_MS));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(parts) = parts.upgrade() else { return };
            let console = Console { parts };
            if console.parts.hub.subscriber_count(ADMIN_TOPIC) == 0 {
                continue;
            }
            match console.stats().await {
                Ok(stats) => publish(&console.parts.hub, stats),
                Err(error) => tracing::warn!(%error, "cannot read the dashboard's figures"),
            }
        }
    });
}

fn publish(hub: &Hub, stats: DashboardStats) {
    hub.publish(ADMIN_TOPIC, |topic, seq, at_ms| ServerMsg::AdminStats {
        topic,
        seq,
        at_ms,
        stats,
    });
}
