-- Notifications (engine/src/notify.rs): the ones kept for the inbox. A row for one player
-- (`user_id`), or for everyone (`user_id` NULL: broadcasts). `delivered_at` is NULL until a
-- notification kept while its player had no connection (the signup grant) was sent.
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT  REFERENCES users (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('big_win', 'broadcast', 'signup_grant')),
    body         TEXT    NOT NULL,
    username     TEXT    NOT NULL,
    amount       BIGINT,
    game         TEXT,
    created_at   BIGINT  NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);

-- The newest notification id the player marked read.
ALTER TABLE users ADD COLUMN notifications_read_upto BIGINT NOT NULL DEFAULT 0;
