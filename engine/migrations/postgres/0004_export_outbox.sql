-- The transactional outbox of the export to Kafka (`engine/src/export.rs`): the ledger writer adds
-- a row per exported event in the same transaction as the bet, settlement or round it describes,
-- and the relay deletes a row once the broker has acknowledged it. Written only by nodes started
-- with `--kafka-brokers`.
--
-- The id is drawn one at a time, inside the transaction and after the batch has locked its
-- players' rows, so two events of one player get ids in the order they were committed: the relay
-- sends rows in id order, which keeps each key's events in order.
CREATE TABLE export_outbox (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic      TEXT    NOT NULL,           -- 'ledger', 'bets' or 'rounds' (after the topic prefix)
    msg_key    TEXT    NOT NULL,           -- the Kafka message key
    payload    TEXT    NOT NULL,           -- JSON, without its event_id
    created_at BIGINT  NOT NULL
);
