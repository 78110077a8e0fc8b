//! Engine limits, with units in their names. Wire and game limits shared with the browser live
//! in `protocol::limits`.

/// Commands the ledger writer accepts in one group commit.
pub const LEDGER_BATCH_COMMANDS_MAX: usize = 2_048;
/// Commands waiting for the ledger writer before senders wait (backpressure).
pub const LEDGER_QUEUE_COMMANDS_MAX: usize = 8_192;
/// Players whose ledger state the writer keeps in memory before it starts over from the database.
pub const LEDGER_CACHE_PLAYERS_MAX: usize = 100_000;
/// A ledger batch's query is kept prepared for reuse when its text is at most this long (8 KiB,
/// a batch of a few dozen bets); longer ones are prepared for one use.
pub const BATCH_SQL_CACHED_BYTES_MAX: usize = 8 * 1024;
/// SQLite accepts at most 32,766 bound parameters per statement; stay well under it.
pub const SQL_BIND_PARAMS_MAX: usize = 30_000;

/// A session ends after this long without use (7 days).
pub const SESSION_IDLE_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// A session ends this long after login whatever its use (30 days).
pub const SESSION_ABSOLUTE_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// A session's last-seen time is written at most this often (5 minutes).
pub const SESSION_TOUCH_INTERVAL_MS: i64 = 5 * 60 * 1000;
/// Bytes of randomness in a session token (256 bits).
pub const SESSION_TOKEN_BYTES: usize = 32;
/// Characters of a browser's user agent kept with its session (the console shows it).
pub const SESSION_DEVICE_CHARS_MAX: usize = 200;
/// How long a browser keeps its device cookie (`zl_device`) after its latest sign-in: 400
/// days, the most browsers allow.
pub const DEVICE_COOKIE_MAX_AGE_MS: i64 = 400 * 86_400_000;

/// Login attempts per client IP: burst, then one more every `LOGIN_IP_REFILL_MS`.
pub const LOGIN_IP_BURST: u32 = 20;
/// See [`LOGIN_IP_BURST`] (3 s).
pub const LOGIN_IP_REFILL_MS: u64 = 3_000;
/// Login attempts per (account, IP): burst, then one more every `LOGIN_PAIR_REFILL_MS`.
pub const LOGIN_PAIR_BURST: u32 = 5;
/// See [`LOGIN_PAIR_BURST`] (12 s).
pub const LOGIN_PAIR_REFILL_MS: u64 = 12_000;
/// Login attempts per account from all IPs together: generous, so a distributed attacker only
/// delays the owner while the attack lasts and for at most one refill after it.
pub const LOGIN_ACCOUNT_BURST: u32 = 50;
/// See [`LOGIN_ACCOUNT_BURST`] (1 s).
pub const LOGIN_ACCOUNT_REFILL_MS: u64 = 1_000;
/// Keys a login throttle tracks before it forgets the ones that are full again.
pub const LOGIN_THROTTLE_KEYS_MAX: usize = 100_000;

/// Settled dice bets the public feed carries per second, at most (and in a burst): every bet
/// while play is lighter, a sample beyond it. Every tab receives the feed, so this bounds the
/// fan-out a bet costs; a player's own bets are always confirmed by their `ack`.
pub const DICE_FEED_BETS_PER_SECOND: u32 = 50;
/// Events a shared topic keeps for subscribers that resume or join (the feed shows 20).
pub const TOPIC_HISTORY_EVENTS: usize = 64;
/// Frames queued to one connection before it is dropped as a slow consumer.
pub const OUTBOX_FRAMES_MAX: usize = 1_024;

/// Rows returned by one history query (bets, transactions).
pub const HISTORY_ROWS_MAX: i64 = 100;

/// Commands waiting for a round game's task.
pub const ROUND_QUEUE_COMMANDS_MAX: usize = 4_096;
/// Retried bet commands a round game keeps waiting for the answer to their original hold;
/// beyond it a retry is refused with `rate_limited`.
pub const ROUND_RETRIES_WAITING_MAX: usize = 4_096;

/// Attempts at a round's final settlement when storage fails, a pause apart; after the last
/// the round is left to start-up recovery (its open bets are voided) and is not revealed.
pub const ROUND_SETTLE_ATTEMPTS_MAX: u32 = 5;

/// Messages waiting to go out on the bus between nodes before new ones are dropped (and logged).
pub const BUS_QUEUE_MESSAGES_MAX: usize = 65_536;
/// Messages sent to Redis in one pipeline (one round trip).
pub const BUS_PIPELINE_MESSAGES_MAX: usize = 512;
/// The longest wait between two attempts to reach Redis again (2 s); the first is 100 ms.
pub const BUS_RECONNECT_WAIT_MAX_MS: u64 = 2_000;
/// How long a node waits for the node that drives a round game to answer a command sent over
/// the bus (5 s); then the command fails as unavailable (retry with the same key).
pub const ROUND_REMOTE_TIMEOUT_MS: u64 = 5_000;
/// How long a slot counted across the cluster (one WebSocket connection of a client address)
/// lasts unless its node renews it (60 s): a node that dies frees its slots this long after.
pub const SLOT_TTL_MS: u64 = 60_000;
/// How often a node renews the slots its connections hold (20 s).
pub const SLOT_RENEW_MS: u64 = 20_000;
/// Players the local chat rate limiter remembers before it forgets those whose limit has refilled.
pub const CHAT_LIMITER_KEYS_MAX: usize = 100_000;
/// How often a node looks whether the presence counts changed, and sends them if so (1 s).
pub const PRESENCE_REFRESH_MS: u64 = 1_000;
/// How often a node renews its people's presence in Redis (3 s).
pub const PRESENCE_RENEW_MS: u64 = 3_000;
/// How long a person's presence lasts in Redis unless renewed (10 s): a person whose last tab
/// closed leaves the counts within this.
pub const PRESENCE_TTL_MS: u64 = 10_000;
/// How often a node that does not do a one-node job (drive a round game, relay the export)
/// tries to take its lease (1 s), and how often the holder checks it still holds it.
pub const LEASE_CHECK_MS: u64 = 1_000;

/// Events one outbox row holds (a batch with more fills several rows). An event's id is its
/// row's id times this, plus its place in the row.
pub const EXPORT_EVENTS_PER_ROW_MAX: i64 = 16_384;
/// Outbox rows the export relay looks at in one step.
pub const EXPORT_BATCH_ROWS_MAX: i64 = 256;
/// Events the export relay sends in one step, from as many whole rows as fit (at least one);
/// the Kafka producer's queue holds 100,000.
pub const EXPORT_BATCH_EVENTS_MAX: i64 = 65_536;
/// How long the export relay waits before it looks at an empty outbox again (100 ms): the most
/// an event waits in the outbox while the broker is up.
pub const EXPORT_POLL_MS: u64 = 100;
/// How long the export relay waits after the broker or the database failed it (1 s).
pub const EXPORT_RETRY_WAIT_MS: u64 = 1_000;
/// How often the number of events waiting in the outbox is counted for the metric (1 s).
pub const EXPORT_PENDING_REFRESH_MS: u64 = 1_000;
/// How long the export relay waits for the broker to answer a request to create its topics (5 s).
pub const EXPORT_ADMIN_TIMEOUT_MS: u64 = 5_000;

/// How often a node sends its viewers what changed on the leaderboards, and rolls their periods
/// over (200 ms): the most a change waits.
pub const LEADERBOARD_PUBLISH_MS: u64 = 200;
/// Batches of settled bets waiting for the leaderboards. When the queue is full a batch is
/// dropped, counted (`zerolag_leaderboard_dropped_total`), and the boards are rebuilt from the
/// ledger.
pub const LEADERBOARD_QUEUE_BATCHES_MAX: usize = 4_096;
/// Big wins waiting to be kept and announced; past it a big win is not announced (and logged).
pub const NOTICES_QUEUE_WINS_MAX: usize = 1_024;
/// Signals waiting for the risk engine's scorer; past it a signal is dropped and counted
/// (`zerolag_risk_dropped_total`): scoring never slows a bet down.
pub const RISK_QUEUE_SIGNALS_MAX: usize = 65_536;
/// How often a node re-reads who is suspended (5 s): what it missed on the bus, or what
/// `zerolag admin suspend` changed, takes effect within this.
pub const RISK_SUSPENDED_REFRESH_MS: u64 = 5_000;
