-- Keys of the operator wallet API (docs/operator-api.md), created and revoked in the console. The
-- secret is kept to check request signatures (HMAC-SHA256); it is shown once, at creation.
CREATE TABLE api_keys (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_id      TEXT    NOT NULL UNIQUE,   -- 'zk_' and 12 hex digits, sent with every request
    name        TEXT    NOT NULL,
    secret      TEXT    NOT NULL,          -- 64 hex digits
    created_by  BIGINT  NOT NULL REFERENCES users (id),
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);
