-- The transactional outbox of the export to Kafka (`engine/src/export.rs`): the ledger writer adds
-- a row per exported event in the same transaction as the bet, settlement or round it describes,
-- and the relay deletes a row once the broker has acknowledged it. Written only when the node is
-- started with `--kafka-brokers`.
--
-- AUTOINCREMENT: an id is never used twice, even after the rows holding the highest ids were
-- sent and deleted (consumers de-duplicate by it).
CREATE TABLE export_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    topic      TEXT    NOT NULL,           -- 'ledger', 'bets' or 'rounds' (after the topic prefix)
    msg_key    TEXT    NOT NULL,           -- the Kafka message key
    payload    TEXT    NOT NULL,           -- JSON, without its event_id
    created_at BIGINT  NOT NULL
);
