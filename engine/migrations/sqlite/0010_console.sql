-- The operator console (engine/src/console.rs): operators' credit adjustments in the ledger,
-- bet caps, sessions' address and device, re-authentication, resolved alerts, and the audit
-- log's operator columns (append-only).
--
-- SQLite cannot change a CHECK in place: ledger_txs and risk_alerts are copied aside, dropped,
-- recreated and filled again. Foreign keys stay on; deferring them lets the entries wait for
-- their transactions to come back before the transaction commits (as in 0003).
PRAGMA defer_foreign_keys = ON;

CREATE TABLE ledger_txs_copy AS SELECT * FROM ledger_txs;
DROP TABLE ledger_txs;
CREATE TABLE ledger_txs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('grant', 'bet_hold', 'bet_settle', 'bet_void', 'adjustment')),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    bet_id       INTEGER,
    created_at   INTEGER NOT NULL,
    round_bet_id INTEGER REFERENCES round_bets (id)
);
INSERT INTO ledger_txs (id, kind, user_id, bet_id, created_at, round_bet_id)
SELECT id, kind, user_id, bet_id, created_at, round_bet_id FROM ledger_txs_copy;
DROP TABLE ledger_txs_copy;
CREATE INDEX ledger_txs_by_user ON ledger_txs (user_id, id);

CREATE TABLE risk_alerts_copy AS SELECT * FROM risk_alerts;
DROP TABLE risk_alerts;
CREATE TABLE risk_alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rule        TEXT    NOT NULL,
    score       BIGINT  NOT NULL CHECK (score BETWEEN 1 AND 100),
    players     TEXT    NOT NULL,          -- the accounts concerned: ids, comma-separated
    evidence    TEXT    NOT NULL,          -- JSON: what made the rule fire
    action      TEXT    NOT NULL CHECK (action IN ('alert', 'cap', 'suspend')),
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'actioned')),
    created_at  BIGINT  NOT NULL,
    resolution  TEXT,                      -- the operator's reason or action
    resolved_by BIGINT  REFERENCES users (id),
    resolved_at BIGINT
);
INSERT INTO risk_alerts (id, rule, score, players, evidence, action, status, created_at)
SELECT id, rule, score, players, evidence, action, status, created_at FROM risk_alerts_copy;
DROP TABLE risk_alerts_copy;
CREATE INDEX risk_alerts_open ON risk_alerts (status, id);

-- Largest stake in cents the player may place while reviewed; NULL: no cap.
ALTER TABLE users ADD COLUMN bet_cap BIGINT;
CREATE INDEX users_capped ON users (id) WHERE bet_cap IS NOT NULL;

-- Where a session was started, and when its owner last typed their password.
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN authenticated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sessions_by_ip ON sessions (ip);

-- Operator actions: who, on what, the state before and after, and why. NULL actor: the system.
ALTER TABLE audit_log ADD COLUMN actor_id BIGINT REFERENCES users (id);
ALTER TABLE audit_log ADD COLUMN target TEXT;
ALTER TABLE audit_log ADD COLUMN before_state TEXT;
ALTER TABLE audit_log ADD COLUMN after_state TEXT;
ALTER TABLE audit_log ADD COLUMN reason TEXT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

