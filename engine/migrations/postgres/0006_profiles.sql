-- Public profiles (`/u/<username>`): a player may hide their statistics and recent bets.
ALTER TABLE users ADD COLUMN stats_hidden BIGINT NOT NULL DEFAULT 0 CHECK (stats_hidden IN (0, 1));
