-- Chat (engine/src/chat.rs): messages, players' standing in chat, and roles. A player's role
-- decides who may moderate; the first moderator or admin is granted with
-- `zerolag admin grant USERNAME ROLE`.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'player'
    CHECK (role IN ('player', 'moderator', 'admin'));

CREATE TABLE chat_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    room       TEXT    NOT NULL,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    body       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX chat_messages_by_room ON chat_messages (room, id);

-- One row per player ever muted or banned: the current standing, and who set it.
CREATE TABLE chat_standing (
    user_id     BIGINT  PRIMARY KEY REFERENCES users (id),
    muted_until BIGINT,                    -- Unix ms; NULL: not muted
    banned      BIGINT  NOT NULL DEFAULT 0 CHECK (banned IN (0, 1)),
    reason      TEXT    NOT NULL,
    set_by      BIGINT  NOT NULL REFERENCES users (id),
    updated_at  BIGINT  NOT NULL
);
