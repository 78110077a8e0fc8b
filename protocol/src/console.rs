//! The operator console's records: what `/admin` pages show and the live dashboard's event
//! (`admin_stats` on the `admin` topic). Only players with the `admin` role see them.

use crate::records::{BetRecord, TxRecord};
use crate::Cents;
use serde::{Deserialize, Serialize};

/// The topic of the live dashboard (one node's figures), watched with `admin_watch`.
pub const ADMIN_TOPIC: &str = "admin";
/// How often the dashboard's figures are published while someone watches (ms).
pub const ADMIN_STATS_PUBLISH_MS: u64 = 1_000;
/// Open alerts the dashboard lists.
pub const DASHBOARD_ALERTS_SHOWN: usize = 5;
/// The risk engine's rules, by the names alerts carry (the console filters alerts by them).
pub const RISK_RULES: [&str; 9] = [
    "bot_regularity",
    "identical_stakes",
    "signup_farming",
    "command_abuse",
    "outcome_anomaly",
    "multi_accounting",
    "reaction_time",
    "collusion",
    "fresh_account_wins",
];
/// Rows a console list shows (alerts, players found, audit entries, a player's bets).
pub const CONSOLE_ROWS_SHOWN: i64 = 100;
/// How long after typing their password an operator may act (15 min).
pub const ADMIN_REAUTH_MS: i64 = 15 * 60 * 1_000;
/// Longest reason an operator gives (characters).
pub const ADMIN_REASON_CHARS_MAX: usize = 200;
/// Largest credit adjustment, either way (1,000,000.00).
pub const ADJUSTMENT_CENTS_MAX: i64 = 100_000_000;
/// Longest name of an operator API key (characters).
pub const API_KEY_NAME_CHARS_MAX: usize = 60;

/// One node's figures, published every [`ADMIN_STATS_PUBLISH_MS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DashboardStats {
    /// Open WebSocket connections on this node.
    pub connections: u64,
    /// Distinct players connected to this node.
    pub players_online: u64,
    /// Bets acknowledged by this node in the last second.
    pub bets_per_sec: u64,
    /// Median time from a command's arrival to its answer over the last second (µs).
    pub ack_p50_us: u64,
    /// 99th percentile of the same (µs).
    pub ack_p99_us: u64,
    /// The house's result today (UTC) per game, from every node: stakes minus payouts.
    pub house_today: Vec<GameResult>,
    /// Stakes open in the current crash round.
    pub crash_exposure: Cents,
    /// Alerts waiting for an operator.
    pub open_alerts: u64,
    /// The latest of them, newest first (at most [`DASHBOARD_ALERTS_SHOWN`]).
    pub latest_alerts: Vec<AlertView>,
    /// When these figures were taken (Unix ms).
    pub at_ms: i64,
}

/// A game's result for the house.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameResult {
    /// `dice`, `crash` or `wheel`.
    pub game: String,
    /// Stakes settled today.
    pub wagered: Cents,
    /// Stakes minus payouts (negative: players are ahead).
    pub house: Cents,
}

/// A player as the console names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    /// Player id.
    pub id: i64,
    /// Username.
    pub username: String,
}

/// A risk alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    /// Its id.
    pub id: i64,
    /// The rule that fired.
    pub rule: String,
    /// What the rule means.
    pub explanation: String,
    /// 1 to 100.
    pub score: i64,
    /// The accounts concerned (the first fired it).
    pub players: Vec<Named>,
    /// What made it fire (JSON).
    pub evidence: String,
    /// What the engine did: `alert`, `cap` or `suspend`.
    pub action: String,
    /// `open`, `dismissed` or `actioned`.
    pub status: String,
    /// The operator's reason or action, once resolved.
    pub resolution: Option<String>,
    /// When it fired (Unix ms).
    pub created_ms: i64,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertFilter {
    /// Only this rule.
    pub rule: Option<String>,
    /// Only this status (`open`, `dismissed`, `actioned`).
    pub status: Option<String>,
    /// Only alerts naming this player.
    pub username: Option<String>,
}

/// Two accounts that share an address or a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// One account.
    pub from: Named,
    /// The other.
    pub to: Named,
    /// What they share: `ip 203.0.113.7`, or `device 0a1b2c3d` (the start of a browser's
    /// device cookie).
    pub via: String,
}

/// An alert with the accounts linked to its players.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertDetail {
    /// The alert.
    pub alert: AlertView,
    /// Accounts sharing an address or device with its players (edges of the graph).
    pub links: Vec<Link>,
}

/// A player in a search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerRow {
    /// Who.
    pub player: Named,
    /// `player`, `moderator` or `admin`.
    pub role: String,
    /// Committed balance.
    pub balance: Cents,
    /// Suspended pending review.
    pub suspended: bool,
    /// Largest stake allowed while reviewed.
    pub bet_cap: Option<Cents>,
    /// Registration time (Unix ms).
    pub created_ms: i64,
}

/// A login session of a player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    /// Address it logged in from.
    pub ip: String,
    /// The browser's user agent.
    pub device: String,
    /// Login time (Unix ms).
    pub created_ms: i64,
    /// Last request (Unix ms, to within a minute).
    pub last_seen_ms: i64,
}

/// A round bet in a player's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundBetRow {
    /// Bet id.
    pub id: i64,
    /// `crash` or `wheel`.
    pub game: String,
    /// Its round's id.
    pub round: i64,
    /// Stake.
    pub amount: Cents,
    /// Crash: the auto cash-out in hundredths or empty; wheel: the segment.
    pub choice: String,
    /// `open`, `cashed`, `won`, `lost` or `voided`.
    pub status: String,
    /// Paid at (hundredths), if it won.
    pub multiplier_x100: Option<i64>,
    /// What it paid, once settled.
    pub payout: Option<Cents>,
    /// Placed (Unix ms).
    pub created_ms: i64,
    /// Settled (Unix ms).
    pub settled_ms: Option<i64>,
}

/// Everything the console shows about one player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerDetail {
    /// The account.
    pub row: PlayerRow,
    /// Latest ledger transactions, newest first.
    pub transactions: Vec<TxRecord>,
    /// Latest dice bets, newest first.
    pub dice_bets: Vec<BetRecord>,
    /// Latest round bets, newest first.
    pub round_bets: Vec<RoundBetRow>,
    /// Live sessions, newest first.
    pub sessions: Vec<SessionRow>,
    /// Alerts naming the player, newest first.
    pub alerts: Vec<AlertView>,
}

/// A round bet as replayed: what was stored and what the rules give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayedBet {
    /// The bet as stored.
    pub bet: RoundBetRow,
    /// Its player.
    pub player: Named,
    /// When it was cashed out, if it was (Unix ms).
    pub cashed_out_ms: Option<i64>,
    /// The payout the outcome and the bet's choice give.
    pub expected_payout: Option<Cents>,
    /// What the ledger moved to the player at settlement.
    pub ledger_paid: Option<Cents>,
    /// Whether stored payout, recomputed payout and ledger agree.
    pub matches: bool,
}

/// A shared round replayed from its chain and its ledger rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundReplay {
    /// `crash` or `wheel`.
    pub game: String,
    /// Round id.
    pub id: i64,
    /// Position in its chain.
    pub number: i64,
    /// `betting`, `running`, `ended` or `interrupted`.
    pub phase: String,
    /// The revealed hash, once ended.
    pub hash: Option<String>,
    /// Whether the hash sits at this number in the chain of the published terminal hash.
    pub in_chain: bool,
    /// The outcome stored (crash point x100 or wheel slot).
    pub stored_outcome: Option<i64>,
    /// The outcome the hash gives.
    pub computed_outcome: Option<i64>,
    /// Opened, started running, ended (Unix ms).
    pub opened_ms: i64,
    /// When it started running.
    pub running_ms: Option<i64>,
    /// When it ended.
    pub ended_ms: Option<i64>,
    /// Every bet with its check.
    pub bets: Vec<ReplayedBet>,
    /// Whether everything matches.
    pub matches: bool,
    /// What differs, in words (empty when everything matches).
    pub differences: Vec<String>,
}

/// An entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id.
    pub id: i64,
    /// The operator, or `None` for the system.
    pub actor: Option<String>,
    /// What was done (`suspend`, `adjust_credit`, `round_interrupted`, ...).
    pub action: String,
    /// On what (`player alice`, `alert 12`, ...).
    pub target: Option<String>,
    /// The state before.
    pub before: Option<String>,
    /// The state after.
    pub after: Option<String>,
    /// The operator's reason.
    pub reason: Option<String>,
    /// The system's detail (JSON) for its own entries.
    pub detail: String,
    /// When (Unix ms).
    pub created_ms: i64,
}

/// An operator action on a player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlayerAction {
    /// Suspend pending review.
    Suspend,
    /// Lift a suspension.
    Unsuspend,
    /// Cap the player's stakes.
    Cap,
    /// Lift a cap.
    Uncap,
    /// End every session (log out everywhere).
    EndSessions,
}

/// A key of the operator wallet API (docs/operator-api.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    /// What requests name it by: `zk_` and 12 hex digits.
    pub key_id: String,
    /// What it is for.
    pub name: String,
    /// The admin who created it.
    pub created_by: String,
    /// When (Unix ms).
    pub created_ms: i64,
    /// When it was revoked, if it was (Unix ms).
    pub revoked_ms: Option<i64>,
}

/// A key just created, with its secret: shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    /// The key.
    pub key: ApiKeyView,
    /// Its secret, 64 hex digits: the HMAC key of its requests' signatures.
    pub secret: String,
}
