-- Round games are a value set the code owns: the game columns lose their CHECK lists, so adding
-- a game needs no migration. A bet's game-specific choice (crash: the auto cash-out in
-- hundredths or ''; wheel: the segment) becomes one text column its game writes and reads.
--
-- SQLite cannot drop a CHECK or a column in place: each table is copied aside, dropped,
-- recreated and filled again. Foreign keys stay on; deferring them lets the rows referring to a
-- table wait for its rows to come back before the transaction commits.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE round_bets_copy AS SELECT * FROM round_bets;
DROP TABLE round_bets;
CREATE TABLE round_bets (
    id              INTEGER PRIMARY KEY,
    round_id        INTEGER NOT NULL REFERENCES rounds (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    choice          TEXT    NOT NULL,          -- the game's own: crash '' or '250'; wheel 'blue'
    status          TEXT    NOT NULL CHECK (status IN ('open', 'cashed', 'won', 'lost', 'voided')),
    multiplier_x100 INTEGER,                   -- what it was paid at (cash-out or segment)
    payout          INTEGER CHECK (payout >= 0),
    created_at      INTEGER NOT NULL,
    settled_at      INTEGER
);
INSERT INTO round_bets (id, round_id, user_id, amount, choice, status, multiplier_x100, payout, created_at, settled_at)
SELECT id, round_id, user_id, amount,
       COALESCE(segment, CAST(auto_cashout_x100 AS TEXT), ''),
       status, multiplier_x100, payout, created_at, settled_at
FROM round_bets_copy;
DROP TABLE round_bets_copy;
CREATE INDEX round_bets_by_round ON round_bets (round_id);
CREATE INDEX round_bets_by_user ON round_bets (user_id, id);

CREATE TABLE rounds_copy AS SELECT * FROM rounds;
DROP TABLE rounds;
CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    game        TEXT    NOT NULL,              -- protocol::Game's name
    chain_id    INTEGER NOT NULL REFERENCES round_chains (id),
    number      INTEGER NOT NULL,              -- position in the chain, from 1
    phase       TEXT    NOT NULL CHECK (phase IN ('betting', 'running', 'ended', 'interrupted')),
    hash        TEXT,                          -- revealed when the round ends
    outcome     INTEGER,                       -- the game's outcome (crash point x100, wheel slot)
    opened_at   INTEGER NOT NULL,
    running_at  INTEGER,
    ended_at    INTEGER,
    UNIQUE (chain_id, number)
);
INSERT INTO rounds SELECT id, game, chain_id, number, phase, hash, outcome, opened_at, running_at, ended_at FROM rounds_copy;
DROP TABLE rounds_copy;
CREATE INDEX rounds_by_game ON rounds (game, id);
CREATE INDEX rounds_open ON rounds (phase) WHERE phase IN ('betting', 'running');

CREATE TABLE round_chains_copy AS SELECT * FROM round_chains;
DROP TABLE round_chains;
CREATE TABLE round_chains (
    id            INTEGER PRIMARY KEY,
    game          TEXT    NOT NULL,            -- protocol::Game's name
    seed          TEXT    NOT NULL,            -- secret: hex of the last round's hash
    terminal_hash TEXT    NOT NULL,            -- public commitment: hash of round 1's hash
    salt          TEXT    NOT NULL,            -- public
    rounds        INTEGER NOT NULL CHECK (rounds > 0),
    created_at    INTEGER NOT NULL
);
INSERT INTO round_chains SELECT id, game, seed, terminal_hash, salt, rounds, created_at FROM round_chains_copy;
DROP TABLE round_chains_copy;

-- Round bets' idempotency fingerprints no longer name the round (a retry in a later round is the
-- same command) and carry the game and its choice: rewrite the stored ones from their bets, so a
-- retry of a bet placed before this migration is still recognised. Their results still read
-- '<bet id>:<balance>'.
UPDATE idempotency
SET fingerprint = (
    SELECT 'round:' || r.game || ':' || b.amount || ':' || b.choice
    FROM round_bets b JOIN rounds r ON r.id = b.round_id
    WHERE b.id = CAST(substr(idempotency.result, 1, instr(idempotency.result, ':') - 1) AS INTEGER)
)
WHERE substr(scoped_key, instr(scoped_key, ':') + 1, 6) = 'round:'
  AND instr(result, ':') > 0;
