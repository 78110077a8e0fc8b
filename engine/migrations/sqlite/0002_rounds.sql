-- Shared rounds (crash, wheel): hash chains, rounds, bets held across a round, and an audit log.

CREATE TABLE round_chains (
    id            INTEGER PRIMARY KEY,
    game          TEXT    NOT NULL CHECK (game IN ('crash', 'wheel')),
    seed          TEXT    NOT NULL,        -- secret: hex of the last round's hash
    terminal_hash TEXT    NOT NULL,        -- public commitment: hash of round 1's hash
    salt          TEXT    NOT NULL,        -- public
    rounds        INTEGER NOT NULL CHECK (rounds > 0),
    created_at    INTEGER NOT NULL
);

CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    game        TEXT    NOT NULL CHECK (game IN ('crash', 'wheel')),
    chain_id    INTEGER NOT NULL REFERENCES round_chains (id),
    number      INTEGER NOT NULL,          -- position in the chain, from 1
    phase       TEXT    NOT NULL CHECK (phase IN ('betting', 'running', 'ended', 'interrupted')),
    hash        TEXT,                      -- revealed when the round ends
    outcome     INTEGER,                   -- crash point x100, or wheel slot
    opened_at   INTEGER NOT NULL,
    running_at  INTEGER,
    ended_at    INTEGER,
    UNIQUE (chain_id, number)
);
CREATE INDEX rounds_by_game ON rounds (game, id);
CREATE INDEX rounds_open ON rounds (phase) WHERE phase IN ('betting', 'running');

CREATE TABLE round_bets (
    id                INTEGER PRIMARY KEY,
    round_id          INTEGER NOT NULL REFERENCES rounds (id),
    user_id           INTEGER NOT NULL REFERENCES users (id),
    amount            INTEGER NOT NULL CHECK (amount > 0),
    auto_cashout_x100 INTEGER,             -- crash: cash out automatically at this multiplier
    segment           TEXT,                -- wheel: the segment bet on
    status            TEXT    NOT NULL CHECK (status IN ('open', 'cashed', 'won', 'lost', 'voided')),
    multiplier_x100   INTEGER,             -- what it was paid at (cash-out or segment)
    payout            INTEGER CHECK (payout >= 0),
    created_at        INTEGER NOT NULL,
    settled_at        INTEGER
);
CREATE INDEX round_bets_by_round ON round_bets (round_id);
CREATE INDEX round_bets_by_user ON round_bets (user_id, id);

ALTER TABLE ledger_txs ADD COLUMN round_bet_id INTEGER REFERENCES round_bets (id);

-- What happened outside normal play (interrupted rounds and their refunds).
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL,           -- JSON
    created_at INTEGER NOT NULL
);
