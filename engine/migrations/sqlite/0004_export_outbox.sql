-- The transactional outbox of the export to Kafka (`engine/src/export.rs`). The ledger writer adds
-- a row per batch, holding the events of what the batch commits, in the same transaction; the
-- relay deletes a row once the broker has acknowledged all its events. Written only when the node
-- is started with `--kafka-brokers`.
--
-- AUTOINCREMENT: an id is never used twice, even after the rows holding the highest ids were sent
-- and deleted (events' ids are made from it, and consumers de-duplicate by them).
CREATE TABLE export_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    events      TEXT    NOT NULL,          -- a line per event: topic, key, JSON payload (tab-separated)
    event_count BIGINT  NOT NULL,          -- lines in `events`
    created_at  BIGINT  NOT NULL
);
