-- The risk engine (engine/src/risk.rs): its alerts, and players suspended pending review.
CREATE TABLE risk_alerts (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule       TEXT    NOT NULL,
    score      BIGINT  NOT NULL CHECK (score BETWEEN 1 AND 100),
    players    TEXT    NOT NULL,           -- the accounts concerned: ids, comma-separated
    evidence   TEXT    NOT NULL,           -- JSON: what made the rule fire
    action     TEXT    NOT NULL CHECK (action IN ('alert', 'suspend')),
    status     TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed')),
    created_at BIGINT  NOT NULL
);

-- Unix ms of the suspension; NULL: not suspended.
ALTER TABLE users ADD COLUMN suspended_at BIGINT;
