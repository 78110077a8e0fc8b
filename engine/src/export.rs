//! The export to Kafka (`--kafka-brokers`): every committed ledger transaction, bet and round
//! event, as JSON messages on three topics (docs/export.md).
//!
//! A transactional outbox: the ledger writer adds each event to the `export_outbox` table in
//! the same transaction as what it describes (`ledger/rows/outbox.rs`), so an event exists if
//! and only if its bet, settlement or round was committed, and a bet never waits for the broker.
//! A batch's events share one row, a line each. The relay here reads the outbox in id order,
//! sends each event with an idempotent producer (librdkafka through `rdkafka`: no duplicates
//! from its own retries, order kept per partition), and deletes a row once the broker has
//! acknowledged all its events. Delivery is at least once: a relay that stops between the
//! acknowledgement and the delete sends the row's events again after a restart, with the same
//! `event_id`s (row id x [`EXPORT_EVENTS_PER_ROW_MAX`] + line), which consumers
//! de-duplicate by.
//!
//! While the broker is down, messages wait in the producer without a deadline and the outbox
//! grows; bets go on. `zerolag_export_outbox_pending` says how many events wait. With several
//! nodes, one relays at a time: the holder of the relay's lease ([`crate::lease`]).

use crate::lease::{Job, Lease};
use crate::ledger::rows::{TOPIC_BETS, TOPIC_LEDGER, TOPIC_RISK, TOPIC_ROUNDS};
use crate::limits::{
    EXPORT_ADMIN_TIMEOUT_MS, EXPORT_BATCH_EVENTS_MAX, EXPORT_BATCH_ROWS_MAX,
    EXPORT_EVENTS_PER_ROW_MAX, EXPORT_PENDING_REFRESH_MS, EXPORT_POLL_MS, EXPORT_RETRY_WAIT_MS,
};
use crate::store::{Backend, Store};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The header every message carries its `event_id` in (also the payload's first field).
pub const EVENT_ID_HEADER: &str = "zerolag-event-id";

/// Where and how to export.
#[derive(Clone, Debug)]
pub struct ExportConfig {
    /// Kafka bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// What the topics' names start with (`zerolag.`: `zerolag.ledger`, `zerolag.bets`,
    /// `zerolag.rounds`).
    pub topic_prefix: String,
    /// The producer's client id, as the broker logs it.
    pub client_id: String,
}

impl ExportConfig {
    /// The three topics' full names.
    pub fn topics(&self) -> [String; 4] {
        [TOPIC_LEDGER, TOPIC_BETS, TOPIC_ROUNDS, TOPIC_RISK]
            .map(|topic| format!("{}{topic}", self.topic_prefix))
    }
}

/// The running export: what its relay has done, for health and metrics.
#[derive(Clone)]
pub struct Export {
    status: Arc<Status>,
}

struct Status {
    /// Events waiting in the outbox at the last count (-1 before the first).
    pending: AtomicI64,
    /// Messages this node's relay has had acknowledged.
    sent: AtomicU64,
    /// Whether this node holds the relay's lease.
    relaying: AtomicBool,
}

impl Export {
    /// Starts the relay (and the outbox count) on the runtime; fails only on a configuration
    /// librdkafka refuses. The broker need not be up.
    pub fn start(store: &Store, config: ExportConfig) -> Result<Export, KafkaError> {
        let mut client = ClientConfig::new();
        client
            .set("bootstrap.servers", &config.brokers)
            .set("client.id", &config.client_id);
        let admin: AdminClient<DefaultClientContext> = client.create()?;
        let producer: FutureProducer = client
            .clone()
            .set("enable.idempotence", "true")
            // No deadline: while the broker is away messages wait, in order, and go when it
            // is back; the outbox, not the producer, is what holds them durably.
            .set("message.timeout.ms", "0")
            // Keys land on the partitions the Java client would choose for them.
            .set("partitioner", "murmur2_random")
            .set("linger.ms", "5")
            .create()?;
        let status = Arc::new(Status {
            pending: AtomicI64::new(-1),
            sent: AtomicU64::new(0),
            relaying: AtomicBool::new(false),
        });
        let relay = Relay {
            store: store.clone(),
            producer,
            admin,
            config,
            status: status.clone(),
        };
        tokio::spawn(count_pending(store.pool().clone(), status.clone()));
        tokio::spawn(relay.run());
        Ok(Export { status })
    }

    /// Events waiting in the outbox at the last count (once a second), `None` before the first.
    pub fn pending(&self) -> Option<u64> {
        u64::try_from(self.status.pending.load(Ordering::Relaxed)).ok()
    }

    /// Messages this node has sent and had acknowledged since it started.
    pub fn sent(&self) -> u64 {
        self.status.sent.load(Ordering::Relaxed)
    }

    /// Whether this node is the one relaying the outbox now.
    pub fn relaying(&self) -> bool {
        self.status.relaying.load(Ordering::Relaxed)
    }
}

/// Counts the outbox's rows for [`Export::pending`] and the metric.
async fn count_pending(pool: sqlx::AnyPool, status: Arc<Status>) {
    let mut every = tokio::time::interval(Duration::from_millis(EXPORT_PENDING_REFRESH_MS));
    loop {
        every.tick().await;
        let count = sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COALESCE(SUM(event_count), 0) AS BIGINT) FROM export_outbox",
        )
        .fetch_one(&pool)
        .await;
        match count {
            Ok(count) => {
                status.pending.store(count, Ordering::Relaxed);
                metrics::gauge!("zerolag_export_outbox_pending").set(count as f64);
            }
            Err(error) => tracing::warn!(%error, "cannot count the export outbox"),
        }
    }
}

/// One outbox row as read: its id and its events, a line each (`ledger/rows/outbox.rs`).
type OutboxRow = (i64, String);

struct Relay {
    store: Store,
    producer: FutureProducer,
    admin: AdminClient<DefaultClientContext>,
    config: ExportConfig,
    status: Arc<Status>,
}

impl Relay {
    /// Relays while this node holds the lease (always, on SQLite: one node), forever.
    async fn run(self) {
        loop {
            let lease = match self.store.backend() {
                Backend::Postgres(_) => Some(Lease::acquire(&self.store, Job::ExportRelay).await),
                Backend::Sqlite(_) => None,
            };
            self.set_relaying(true);
            tracing::info!(brokers = %self.config.brokers, "relaying the export outbox to Kafka");
            tokio::select! {
                _ = self.relay() => {}
                _ = async { match lease { Some(lease) => lease.lost().await, None => std::future::pending().await } } => {
                    tracing::warn!("lost the export relay's lease; another node relays");
                }
            }
            self.set_relaying(false);
        }
    }

    fn set_relaying(&self, relaying: bool) {
        self.status.relaying.store(relaying, Ordering::Relaxed);
        metrics::gauge!("zerolag_export_relaying").set(if relaying { 1.0 } else { 0.0 });
    }

    /// Creates the topics that are missing, then sends the outbox as it fills.
    async fn relay(&self) {
        let retry = Duration::from_millis(EXPORT_RETRY_WAIT_MS);
        while let Err(error) = self.create_topics().await {
            tracing::warn!(%error, "cannot reach Kafka to create the export topics; trying again");
            tokio::time::sleep(retry).await;
        }
        loop {
            let rows = match self.read().await {
                Ok(rows) => rows,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the export outbox");
                    tokio::time::sleep(retry).await;
                    continue;
                }
            };
            if rows.is_empty() {
                tokio::time::sleep(Duration::from_millis(EXPORT_POLL_MS)).await;
                continue;
            }
            let sent = self.send(&rows).await;
            while let Err(error) = self.delete(&sent).await {
                // Sent but still in the outbox: sent again if this node stops now (at least once).
                tracing::warn!(%error, "cannot delete sent events from the export outbox");
                tokio::time::sleep(retry).await;
            }
            let messages: usize = rows
                .iter()
                .filter(|(id, _)| sent.contains(id))
                .map(|(_, events)| events.lines().count())
                .sum();
            self.status
                .sent
                .fetch_add(messages as u64, Ordering::Relaxed);
            metrics::counter!("zerolag_export_messages_total").increment(messages as u64);
            if sent.len() < rows.len() {
                tokio::time::sleep(retry).await;
            }
        }
    }

    /// Creates the three topics with the broker's default partitions and replication; a topic
    /// that exists is left as it is. Fails only when the broker cannot be reached.
    async fn create_topics(&self) -> Result<(), KafkaError> {
        let names = self.config.topics();
        let topics: Vec<NewTopic> = names
            .iter()
            .map(|name| NewTopic::new(name, -1, TopicReplication::Fixed(-1)))
            .collect();
        let options = AdminOptions::new()
            .request_timeout(Some(Duration::from_millis(EXPORT_ADMIN_TIMEOUT_MS)));
        for result in self.admin.create_topics(&topics, &options).await? {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                // Not allowed to create it, say: it may exist, or be created by the operator.
                Err((topic, code)) => {
                    tracing::warn!(%topic, ?code, "cannot create an export topic")
                }
            }
        }
        Ok(())
    }

    /// The next rows in id order: as many whole rows as fit in [`EXPORT_BATCH_EVENTS_MAX`]
    /// events (at least one).
    async fn read(&self) -> Result<Vec<OutboxRow>, sqlx::Error> {
        let pool = self.store.pool();
        let sizes: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, event_count FROM export_outbox ORDER BY id LIMIT $1")
                .bind(EXPORT_BATCH_ROWS_MAX)
                .fetch_all(pool)
                .await?;
        let mut budget = EXPORT_BATCH_EVENTS_MAX;
        let mut last = None;
        for (id, count) in sizes {
            if last.is_some() && count > budget {
                break;
            }
            budget -= count;
            last = Some(id);
        }
        let Some(last) = last else {
            return Ok(Vec::new());
        };
        // Rows up to `last` that commit meanwhile (PostgreSQL: a lower id still in flight) are
        // read too: they are whole and in order, and the next step would take them anyway.
        sqlx::query_as("SELECT id, events FROM export_outbox WHERE id <= $1 ORDER BY id")
            .bind(last)
            .fetch_all(pool)
            .await
    }

    /// Sends every event of the rows (the producer pipelines them) and returns the ids of the
    /// rows whose events the broker all acknowledged.
    async fn send(&self, rows: &[OutboxRow]) -> Vec<i64> {
        let mut deliveries = Vec::new();
        // The row whose events the producer stopped taking (its queue full): not all sent.
        let mut cut = None;
        'rows: for (row, events) in rows {
            for (line, event) in events.lines().enumerate() {
                let event_id = row * EXPORT_EVENTS_PER_ROW_MAX + line as i64;
                match self.send_event(event_id, event) {
                    Some(Ok(delivery)) => deliveries.push((*row, event_id, delivery)),
                    Some(Err(error)) => {
                        tracing::warn!(%error, "the Kafka producer refused an event; sent later");
                        cut = Some(*row);
                        break 'rows;
                    }
                    None => {
                        tracing::error!(
                            row,
                            line,
                            "a malformed event in the export outbox; skipped"
                        )
                    }
                }
            }
        }
        let mut failed: HashSet<i64> = cut.into_iter().collect();
        let mut sent: Vec<i64> = Vec::new();
        for (row, event_id, delivery) in deliveries {
            if sent.last() != Some(&row) {
                sent.push(row);
            }
            match delivery.await {
                Ok(Ok(_)) => continue,
                Ok(Err((error, _))) => {
                    tracing::warn!(%error, event_id, "Kafka did not take an event; sent again")
                }
                Err(_) => tracing::warn!(event_id, "a Kafka delivery was cancelled"),
            }
            failed.insert(row);
        }
        sent.retain(|row| !failed.contains(row));
        sent
    }

    /// Hands one outbox line to the producer: `None` when the line is malformed.
    fn send_event(&self, event_id: i64, line: &str) -> Option<Result<DeliveryFuture, KafkaError>> {
        let mut fields = line.splitn(3, '\t');
        let (topic, key, payload) = (fields.next()?, fields.next()?, fields.next()?);
        let topic = format!("{}{topic}", self.config.topic_prefix);
        let id_text = event_id.to_string();
        let message = with_event_id(event_id, payload);
        let headers = OwnedHeaders::new().insert(Header {
            key: EVENT_ID_HEADER,
            value: Some(&id_text),
        });
        let record = FutureRecord::to(&topic)
            .key(key)
            .payload(&message)
            .headers(headers);
        Some(
            self.producer
                .send_result(record)
                .map_err(|(error, _)| error),
        )
    }

    async fn delete(&self, ids: &[i64]) -> Result<(), sqlx::Error> {
        for chunk in ids.chunks(EXPORT_BATCH_ROWS_MAX as usize) {
            // The ids are integers written into the statement: the `Any` driver's query builder
            // writes `?` placeholders, which PostgreSQL does not take.
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let sql = format!(
                "DELETE FROM export_outbox WHERE id IN ({})",
                list.join(", ")
            );
            sqlx::query(&sql).execute(self.store.pool()).await?;
        }
        Ok(())
    }
}

/// The payload with `"event_id": id` as its first field (payloads are JSON objects).
fn with_event_id(id: i64, payload: &str) -> String {
    let rest = payload.strip_prefix('{').unwrap_or(payload);
    let comma = if rest.trim_start().starts_with('}') {
        ""
    } else {
        ","
    };
    format!("{{\"event_id\":{id}{comma}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_id_comes_first_in_the_payload() {
        let message = with_event_id(42, r#"{"type":"dice_bet","player":7}"#);
        assert_eq!(message, r#"{"event_id":42,"type":"dice_bet","player":7}"#);
        let value: serde_json::Value = serde_json::from_str(&message).unwrap();
        assert_eq!(value["event_id"], 42);
        assert_eq!(with_event_id(1, "{}"), r#"{"event_id":1}"#);
    }
}
