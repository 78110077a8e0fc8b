-- The operator console (engine/src/console.rs): operators' credit adjustments in the ledger,
-- bet caps, sessions' address and device, re-authentication, resolved alerts, and the audit
-- log's operator columns (append-only).
ALTER TABLE ledger_txs DROP CONSTRAINT ledger_txs_kind_check;
ALTER TABLE ledger_txs ADD CONSTRAINT ledger_txs_kind_check
    CHECK (kind IN ('grant', 'bet_hold', 'bet_settle', 'bet_void', 'adjustment'));

ALTER TABLE risk_alerts DROP CONSTRAINT risk_alerts_action_check;
ALTER TABLE risk_alerts ADD CONSTRAINT risk_alerts_action_check
    CHECK (action IN ('alert', 'cap', 'suspend'));
ALTER TABLE risk_alerts DROP CONSTRAINT risk_alerts_status_check;
ALTER TABLE risk_alerts ADD CONSTRAINT risk_alerts_status_check
    CHECK (status IN ('open', 'dismissed', 'actioned'));
ALTER TABLE risk_alerts ADD COLUMN resolution TEXT;
ALTER TABLE risk_alerts ADD COLUMN resolved_by BIGINT REFERENCES users (id);
ALTER TABLE risk_alerts ADD COLUMN resolved_at BIGINT;
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
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

