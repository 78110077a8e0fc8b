-- The suspended players, which every node re-reads every few seconds (engine/src/risk.rs).
CREATE INDEX users_suspended ON users (id) WHERE suspended_at IS NOT NULL;
