//! Limits at the edge, with units in their names. Wire limits shared with the browser are in
//! `protocol::limits` (for example `WS_MESSAGE_BYTES_MAX`).

/// Frames above this size end the connection (close code 1009) instead of getting an error
/// reply; between `WS_MESSAGE_BYTES_MAX` and this, the frame is refused with `too_large`.
pub const WS_FRAME_BYTES_HARD_MAX: usize = 64 * 1024;
/// Bytes a WebSocket reads from its socket at a time. Frames are small (commands of a few hundred
/// bytes); a larger one is read in several chunks. The default (128 KiB) made each idle connection
/// cost about 135 KiB of memory (measured, docs/benchmarks.md).
pub const WS_READ_BUFFER_BYTES: usize = 1024;
/// Bytes of outgoing frames a WebSocket gathers before writing them to the socket. At 0 each
/// frame is written as it is queued: gathering 2 KiB kept that much buffer per connection for its
/// life (+1 KiB per idle connection) and saved no measurable CPU at 5,000 bets/s, where a player's
/// ack and balance are rarely queued in the same instant (docs/benchmarks.md).
pub const WS_WRITE_BUFFER_BYTES: usize = 0;
/// Commands one connection may send per second, sustained.
pub const WS_COMMANDS_PER_SECOND: u32 = 50;
/// Commands one connection may send in a burst.
pub const WS_COMMANDS_BURST: u32 = 100;
/// Commands of one connection being processed at once.
pub const WS_COMMANDS_IN_FLIGHT_MAX: usize = 64;
/// The server pings every connection this often (20 s).
pub const WS_PING_INTERVAL_MS: u64 = 20_000;
/// A connection silent for this long (no frame, no pong) is closed (60 s).
pub const WS_IDLE_TIMEOUT_MS: u64 = 60_000;
/// Open WebSocket connections the server accepts at once.
pub const WS_CONNECTIONS_MAX: usize = 50_000;
/// Open WebSocket connections one client address may hold at once, on all nodes together when
/// they share Redis (the default of `--ws-connections-per-ip`): enough for a household or an
/// office behind one address with several tabs and devices each.
pub const WS_CONNECTIONS_PER_IP_MAX: usize = 64;
/// Largest form body accepted by the auth endpoints (4 KiB).
pub const AUTH_FORM_BYTES_MAX: usize = 4 * 1024;
/// Largest request body of any other endpoint (64 KiB).
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;
/// How long a client has to send a whole request head (the WebSocket handshake included) after
/// its connection opens or its previous request is answered, before the server disconnects it
/// (slowloris).
pub const HTTP_HEADER_READ_TIMEOUT_MS: u64 = 10_000;

/// Close code: the peer could not keep up with its messages (application-defined range).
pub const CLOSE_SLOW_CONSUMER: u16 = 4008;
/// Close code: the login session ended.
pub const CLOSE_SESSION_ENDED: u16 = 4001;
/// Close code: no activity within the idle timeout.
pub const CLOSE_IDLE: u16 = 4002;
/// Close code: server shutting down (standard "going away").
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code: message too big (standard).
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code: this node is stopping (standard "service restart"); connect again, and the load
/// balancer sends the client to a node that serves.
pub const CLOSE_RESTARTING: u16 = 1012;

/// How long a stopping node waits for its WebSocket connections to finish the commands they
/// read and close (10 s) before it stops anyway.
pub const DRAIN_TIMEOUT_MS: u64 = 10_000;
/// How long `/readyz` waits for the database to answer (1 s).
pub const READY_DATABASE_TIMEOUT_MS: u64 = 1_000;

/// Largest body of an operator wallet API call (docs/operator-api.md).
pub const OPERATOR_API_BODY_BYTES_MAX: usize = 4_096;
/// How far an operator API call's timestamp may be from the server's clock (5 min): older
/// requests are refused, so a captured one cannot be replayed later.
pub const OPERATOR_API_SKEW_SECS: i64 = 300;
