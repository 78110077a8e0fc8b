-- The device cookie (`zl_device`) a browser carried when a session started: the risk engine
-- links accounts signing in from one browser by it (multi-accounting, collusion), and the
-- console lists accounts sharing it. Empty for sessions started before it, or by clients
-- without cookies.
ALTER TABLE sessions ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_by_device_id ON sessions (device_id);
