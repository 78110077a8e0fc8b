-- The transactional outbox of the export to Kafka (`engine/src/export.rs`). The ledger writer adds
-- a row per batch, holding the events of what the batch commits, in the same transaction; the
-- relay deletes a row once the broker has acknowledged all its events. Written only by nodes
-- started with `--kafka-brokers`.
--
-- The id is drawn one at a time, inside the transaction and after the batch has locked its
-- players' rows, so two batches touching one player get ids in the order they were committed:
-- the relay sends rows in id order, which keeps each key's events in order.
CREATE TABLE export_outbox (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    events      TEXT    NOT NULL,          -- a line per event: topic, key, JSON payload (tab-separated)
    event_count BIGINT  NOT NULL,          -- lines in `events`
    created_at  BIGINT  NOT NULL
);
