-- Accounts, sessions, the double-entry ledger, idempotency keys and provably-fair dice.
-- Times are Unix milliseconds. Money is integer cents.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE, -- lowercase: names are unique regardless of case
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,      -- SHA-256 of the cookie token; the token is never stored
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Every balance lives in an account. The treasury mints grants (it goes negative), the house
-- wins and pays bets, in_play holds stakes between a bet and its settlement. Invariant: the
-- sum of all balances is zero.
CREATE TABLE accounts (
    id      INTEGER PRIMARY KEY,
    kind    TEXT    NOT NULL CHECK (kind IN ('treasury', 'house', 'in_play', 'player')),
    user_id INTEGER UNIQUE REFERENCES users (id),
    balance INTEGER NOT NULL DEFAULT 0,
    CHECK (kind NOT IN ('player', 'in_play') OR balance >= 0),
    CHECK ((kind = 'player') = (user_id IS NOT NULL))
);
INSERT INTO accounts (id, kind, balance) VALUES (1, 'treasury', 0), (2, 'house', 0), (3, 'in_play', 0);

CREATE TABLE ledger_txs (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('grant', 'bet_hold', 'bet_settle', 'bet_void')),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    bet_id     INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX ledger_txs_by_user ON ledger_txs (user_id, id);

CREATE TABLE entries (
    tx_id      INTEGER NOT NULL REFERENCES ledger_txs (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    amount     INTEGER NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (tx_id, account_id)
) WITHOUT ROWID;

-- A money-moving command's key, stored in the same transaction as its effects.
CREATE TABLE idempotency (
    scoped_key  TEXT    PRIMARY KEY,       -- '<user id>:<command kind>:<client key>'
    fingerprint TEXT    NOT NULL,          -- what the command asked for
    result      TEXT    NOT NULL,          -- compact reference to the original result
    created_at  INTEGER NOT NULL
);

CREATE TABLE server_seeds (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    server_seed TEXT    NOT NULL,
    commitment  TEXT    NOT NULL,
    client_seed TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    revealed_at INTEGER,
    bets        INTEGER                    -- set at reveal: nonces 0..bets were used
);
CREATE UNIQUE INDEX one_active_seed_per_user ON server_seeds (user_id) WHERE revealed_at IS NULL;

CREATE TABLE dice_bets (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    seed_id         INTEGER NOT NULL REFERENCES server_seeds (id),
    client_seed     TEXT    NOT NULL,
    nonce           INTEGER NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount > 0),
    target          INTEGER NOT NULL,
    roll            INTEGER NOT NULL,
    multiplier_x100 INTEGER NOT NULL,
    payout          INTEGER NOT NULL CHECK (payout >= 0),
    created_at      INTEGER NOT NULL,
    UNIQUE (seed_id, nonce)
);
CREATE INDEX dice_bets_by_user ON dice_bets (user_id, id);
