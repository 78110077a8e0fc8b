-- Round games are a value set the code owns: the game columns lose their CHECK lists, so adding
-- a game needs no migration. A bet's game-specific choice (crash: the auto cash-out in
-- hundredths or ''; wheel: the segment) becomes one text column its game writes and reads.
-- (PostgreSQL changes the tables in place; SQLite has to copy them.)

ALTER TABLE round_chains DROP CONSTRAINT round_chains_game_check;
ALTER TABLE rounds DROP CONSTRAINT rounds_game_check;

ALTER TABLE round_bets ADD COLUMN choice TEXT NOT NULL DEFAULT '';
UPDATE round_bets SET choice = COALESCE(segment, CAST(auto_cashout_x100 AS TEXT), '');
ALTER TABLE round_bets ALTER COLUMN choice DROP DEFAULT;
ALTER TABLE round_bets DROP COLUMN auto_cashout_x100, DROP COLUMN segment;

-- Round bets' idempotency fingerprints no longer name the round (a retry in a later round is the
-- same command) and carry the game and its choice; their results still read
-- '<bet id>:<balance>'.
UPDATE idempotency
SET fingerprint = (
    SELECT 'round:' || r.game || ':' || b.amount || ':' || b.choice
    FROM round_bets b JOIN rounds r ON r.id = b.round_id
    WHERE b.id = CAST(split_part(idempotency.result, ':', 1) AS BIGINT)
)
WHERE split_part(scoped_key, ':', 2) = 'round'
  AND strpos(result, ':') > 0;
