//! Deployment configuration: flags with environment-variable fallbacks. Hard limits are not
//! configuration; they live in `limits.rs`.

use clap::{Parser, Subcommand, ValueEnum};
use engine::rounds::driver::RoundTiming;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Zerolag: a self-hostable real-time gaming platform.
#[derive(Parser, Debug, Clone)]
#[command(version, about)]
pub struct Config {
    /// An administration command instead of serving (e.g. `admin grant alice moderator`).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on.
    #[arg(long, env = "ZEROLAG_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory for the embedded database (created if missing).
    #[arg(long, env = "ZEROLAG_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL; defaults to the SQLite file `zerolag.db` in the data directory.
    #[arg(long, env = "ZEROLAG_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Redis URL of the bus between nodes (several nodes on one PostgreSQL database), e.g.
    /// `redis://10.0.0.5:6379`. Without it, events stay within this node.
    #[arg(long, env = "ZEROLAG_REDIS_URL")]
    pub redis_url: Option<String>,

    /// What every name this platform uses in Redis starts with (several platforms may share one
    /// Redis, each with its own prefix).
    #[arg(long, env = "ZEROLAG_REDIS_PREFIX", default_value = "zerolag")]
    pub redis_prefix: String,

    /// Export every committed ledger transaction, bet and round event to Kafka at these brokers
    /// (`host:port[,host:port...]`; docs/export.md). Set it on every node of a cluster.
    #[arg(long, env = "ZEROLAG_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,

    /// What the exported topics' names start with: `zerolag.` gives `zerolag.ledger`,
    /// `zerolag.bets` and `zerolag.rounds`.
    #[arg(long, env = "ZEROLAG_KAFKA_TOPIC_PREFIX", default_value = "zerolag.")]
    pub kafka_topic_prefix: String,

    /// This node's name, in its logs and in its Kafka client id (`zerolag-<node-id>`; without
    /// it, `zerolag`).
    #[arg(long, env = "ZEROLAG_NODE_ID")]
    pub node_id: Option<String>,

    /// Log filter, e.g. `info` or `zerolag=debug,engine=debug`.
    #[arg(long, env = "ZEROLAG_LOG", default_value = "info")]
    pub log: String,

    /// Extra origins allowed to open WebSockets and post forms (e.g. `https://play.example.com`).
    /// The origin the server is reached at (its Host header) is always allowed.
    #[arg(
        long = "allowed-origin",
        env = "ZEROLAG_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// Load balancers in front of this node (e.g. `10.0.0.2`): for requests from them, the
    /// client's address is the last one in `X-Forwarded-For` (per-address login throttles).
    #[arg(
        long = "trusted-proxy",
        env = "ZEROLAG_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Open WebSocket connections one client address may hold at once (on all nodes together
    /// when they share Redis); more are refused with 429.
    #[arg(long, env = "ZEROLAG_WS_CONNECTIONS_PER_IP", default_value_t = crate::limits::WS_CONNECTIONS_PER_IP_MAX)]
    pub ws_connections_per_ip: usize,

    /// The profit, in cents, from which a bet is announced to everyone as a big win
    /// (100000: 1,000.00 credits).
    #[arg(long, env = "ZEROLAG_BIG_WIN_CENTS", default_value_t = protocol::notification::BIG_WIN_CENTS_DEFAULT.0, value_parser = clap::value_parser!(i64).range(1..))]
    pub big_win_cents: i64,

    /// Addresses allowed to read `/metrics` without the token (the scraper's; by default this
    /// machine's).
    #[arg(
        long = "metrics-allow",
        env = "ZEROLAG_METRICS_ALLOW",
        value_delimiter = ',',
        default_value = "127.0.0.1,::1"
    )]
    pub metrics_allow: Vec<std::net::IpAddr>,

    /// A token that also lets a request read `/metrics`, from any address, as
    /// `Authorization: Bearer <token>`.
    #[arg(long, env = "ZEROLAG_METRICS_TOKEN")]
    pub metrics_token: Option<String>,

    /// Whether the risk engine suspends players when a rule says so (`false`: it only raises
    /// alerts; the benchmarks, which are bots, run so).
    #[arg(long, env = "ZEROLAG_RISK_SUSPENSIONS", default_value_t = true, action = clap::ArgAction::Set)]
    pub risk_suspensions: bool,

    /// Mark session cookies `Secure` (set this when served over https).
    #[arg(long, env = "ZEROLAG_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Crash betting window in milliseconds (tests shorten it).
    #[arg(long, env = "ZEROLAG_CRASH_BETTING_MS", default_value_t = engine::crash::CRASH_BETTING_MS, hide = true)]
    pub crash_betting_ms: u64,

    /// Pause between crash rounds in milliseconds (tests shorten it).
    #[arg(long, env = "ZEROLAG_CRASH_INTERMISSION_MS", default_value_t = engine::crash::CRASH_INTERMISSION_MS, hide = true)]
    pub crash_intermission_ms: u64,

    /// Wheel betting window in milliseconds (tests shorten it).
    #[arg(long, env = "ZEROLAG_WHEEL_BETTING_MS", default_value_t = engine::wheel::WHEEL_BETTING_MS, hide = true)]
    pub wheel_betting_ms: u64,

    /// Wheel spin in milliseconds (tests shorten it).
    #[arg(long, env = "ZEROLAG_WHEEL_SPIN_MS", default_value_t = engine::wheel::WHEEL_SPIN_MS, hide = true)]
    pub wheel_spin_ms: u64,

    /// Seed and length of the first wheel chain, for tests (not a flag).
    #[arg(skip)]
    pub wheel_first_chain: Option<([u8; 32], usize)>,

    /// Seed and length of the first crash chain, for tests that must know outcomes in advance.
    /// Not a flag: production always draws a secret random seed.
    #[arg(skip)]
    pub crash_first_chain: Option<([u8; 32], usize)>,

    /// Directory of the built site (JS, WASM, CSS, static assets).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
}

/// Commands besides serving.
#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Administration of the database the flags name.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

/// What `zerolag admin` does.
#[derive(Subcommand, Debug, Clone)]
pub enum AdminAction {
    /// Gives a player a role: `moderator` and `admin` may mute and ban in chat.
    Grant {
        /// The player's username.
        username: String,
        /// The role.
        role: GrantedRole,
    },
    /// Suspends a player pending review: their commands are refused with `account_suspended`
    /// (running nodes take it in within 5 s).
    Suspend {
        /// The player's username.
        username: String,
    },
    /// Lifts a player's suspension.
    Unsuspend {
        /// The player's username.
        username: String,
    },
    /// Lists the risk engine's latest alerts, newest first.
    Alerts {
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// Roles `zerolag admin grant` gives.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum GrantedRole {
    /// Takes a moderator's or an admin's role away.
    Player,
    /// Moderates chat.
    Moderator,
    /// Moderates chat (and, later, the operator console).
    Admin,
}

impl From<GrantedRole> for engine::chat::Role {
    fn from(role: GrantedRole) -> Self {
        match role {
            GrantedRole::Player => engine::chat::Role::Player,
            GrantedRole::Moderator => engine::chat::Role::Moderator,
            GrantedRole::Admin => engine::chat::Role::Admin,
        }
    }
}

impl Config {
    /// What the engine is started with.
    pub fn engine(&self) -> engine::EngineConfig {
        engine::EngineConfig {
            database_url: self.database_url(),
            redis_url: self.redis_url.clone(),
            redis_prefix: self.redis_prefix.clone(),
            export: self.export(),
            crash: Some(self.crash_timing()),
            wheel: Some(self.wheel_timing()),
            leaderboard_clock: engine::leaderboard::Clock::default(),
            big_win: Some(protocol::Cents(self.big_win_cents)),
            risk_alert_only: !self.risk_suspensions,
        }
    }

    /// The crash game's timing.
    pub fn crash_timing(&self) -> RoundTiming {
        RoundTiming {
            betting_ms: self.crash_betting_ms,
            pause_ms: self.crash_intermission_ms,
            first_chain: self.crash_first_chain,
        }
    }

    /// The wheel's timing.
    pub fn wheel_timing(&self) -> RoundTiming {
        RoundTiming {
            betting_ms: self.wheel_betting_ms,
            pause_ms: self.wheel_spin_ms,
            first_chain: self.wheel_first_chain,
        }
    }

    /// The export to Kafka, when brokers are configured.
    pub fn export(&self) -> Option<engine::export::ExportConfig> {
        let brokers = self.kafka_brokers.clone()?;
        Some(engine::export::ExportConfig {
            brokers,
            topic_prefix: self.kafka_topic_prefix.clone(),
            client_id: match &self.node_id {
                Some(node) => format!("zerolag-{node}"),
                None => "zerolag".to_owned(),
            },
        })
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("zerolag.db").display()))
    }
}
