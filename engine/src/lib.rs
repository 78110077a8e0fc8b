//! Zerolag's real-time domain, with its storage and event bus. No HTTP, no UI.
//!
//! - [`store`]: the database (embedded SQLite, or PostgreSQL for several nodes) and its
//!   migrations.
//! - [`ledger`]: the double-entry wallet ledger behind one writer with group commit; dice bets
//!   and seed changes go through it so that money, nonces and seeds move together.
//! - [`accounts`]: registration, login (Argon2id, throttled) and server-side sessions.
//! - [`profiles`]: public profiles: a player's statistics and latest bets.
//! - [`history`]: read-only queries for a player's bets, transactions and revealed seeds.
//! - [`rounds`]: what every shared-round game shares: the round driver (lifecycle on one task
//!   per game), the book of a round's bets, hash chains, and the start-up recovery rule.
//! - [`crash`]: the crash game on the driver: auto cash-outs, ticks, cash-outs, bankroll rule.
//! - [`wheel`]: the wheel on the driver: segments, a shared spin every ~20 s.
//! - [`chat`]: chat rooms, their messages and their moderation.
//! - [`presence`]: how many people are online, across the nodes.
//! - [`notify`]: notifications: bets settled, big wins, broadcasts, the signup grant; the inbox.
//! - [`risk`]: the risk engine: rules over what players do, alerts, suspensions.
//! - [`console`]: the operator console: dashboard, alerts, players, round replays, audit log.
//! - [`pulse`]: this node's bets and answer times over the last second (the dashboard).
//! - [`leaderboard`]: profit and wager boards per game and period, in memory, from the ledger.
//! - [`hub`]: topics -> subscribers; events are encoded once and the same bytes fanned out.
//! - [`bus`]: events between nodes through Redis; [`lease`]: jobs one node does at a time.
//! - [`export`]: the transactional outbox and its relay to Kafka.
//! - [`throttle`]: rate limits per key, shared by the nodes through Redis.
//! - [`limits`]: engine limits as named constants.
//!
//! Data path: the server turns a client frame into a call on [`Engine`] (e.g.
//! [`ledger::Ledger::dice_bet`]); the ledger writer commits it with whatever else arrived at
//! the same time, answers, and publishes the resulting events through the [`hub::Hub`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod accounts;
pub mod bus;
pub mod chat;
pub mod console;
pub mod crash;
pub mod export;
pub mod history;
pub mod hub;
pub mod leaderboard;
pub mod lease;
pub mod ledger;
pub mod limits;
pub mod notify;
pub mod presence;
pub mod profiles;
pub mod pulse;
pub mod recent;
pub mod risk;
pub mod rounds;
pub mod store;
#[doc(hidden)]
pub mod testing;
pub mod throttle;
pub mod wheel;

use rounds::driver::{RoundGame, RoundHandle};
use rounds::seat::Seat;
use std::sync::Arc;

/// Everything the real-time domain needs, shared by cheap clones.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: store::Store,
    hub: hub::Hub,
    bus: Option<bus::Bus>,
    export: Option<export::Export>,
    ledger: ledger::Ledger,
    feed: recent::RecentFeed,
    accounts: accounts::Accounts,
    chat: chat::Chat,
    presence: presence::Presence,
    leaderboards: leaderboard::Leaderboards,
    notices: notify::Notices,
    risk: risk::Risk,
    pulse: pulse::Pulse,
    console: console::Console,
    crash: Option<crash::Crash>,
    crash_history: Option<recent::CrashHistory>,
    wheel: Option<wheel::Wheel>,
}

/// Failure to start the engine.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Opening or migrating the database failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The ledger writer could not open its connection or read its state.
    #[error("cannot start the ledger: {0}")]
    Ledger(#[from] sqlx::Error),
    /// Rounds interrupted by the previous run could not be recovered.
    #[error("cannot recover interrupted rounds: {0}")]
    Recovery(#[from] rounds::RoundsError),
    /// The bus between nodes (Redis) could not be reached.
    #[error("cannot reach Redis: {0}")]
    Bus(#[from] redis::RedisError),
    /// The Kafka client refused the export's configuration.
    #[error("cannot start the export to Kafka: {0}")]
    Export(#[from] rdkafka::error::KafkaError),
}

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// Database URL, e.g. `sqlite://data/zerolag.db`.
    pub database_url: String,
    /// Redis URL of the bus between nodes (`None`: one node, in-process events).
    pub redis_url: Option<String>,
    /// What every name this platform uses in Redis starts with.
    pub redis_prefix: String,
    /// Export committed events to Kafka (`None`: no export, no outbox rows).
    pub export: Option<export::ExportConfig>,
    /// Run the crash game with this timing (`None`: no crash, e.g. for tools).
    pub crash: Option<rounds::driver::RoundTiming>,
    /// Run the wheel with this timing (`None`: no wheel).
    pub wheel: Option<rounds::driver::RoundTiming>,
    /// The time the leaderboards' periods go by (the system's unless a test sets it).
    pub leaderboard_clock: leaderboard::Clock,
    /// Rules whose action is to suspend only alert (benchmarks, which are bots).
    pub risk_alert_only: bool,
    /// The profit from which a bet is announced to everyone as a big win (`None`:
    /// [`protocol::notification::BIG_WIN_CENTS_DEFAULT`]).
    pub big_win: Option<protocol::Cents>,
}

impl Engine {
    /// Opens the database at `database_url`, migrates it and starts the ledger writer, without
    /// round games.
    pub async fn start(database_url: &str) -> Result<Engine, StartError> {
        Engine::start_with(EngineConfig {
            database_url: database_url.to_owned(),
            redis_url: None,
            redis_prefix: String::new(),
            export: None,
            crash: None,
            wheel: None,
            leaderboard_clock: leaderboard::Clock::default(),
            big_win: None,
            risk_alert_only: false,
        })
        .await
    }

    /// Starts the engine as configured: database, ledger writer, recovery, round games.
    pub async fn start_with(config: EngineConfig) -> Result<Engine, StartError> {
        let database_url = config.database_url.as_str();
        let store = store::Store::open(database_url).await?;
        let hub = hub::Hub::new();
        let bus = match &config.redis_url {
            Some(url) => Some(bus::Bus::start(url, &config.redis_prefix, hub.clone()).await?),
            None => None,
        };
        let exporting = config.export.is_some();
        let (feed, risk, leaderboards, notices, published) =
            consumers(&config, &store, (&hub, &bus)).await?;
        let ledger = ledger::Ledger::start(&store, hub.clone(), published, exporting).await?;
        let export = match config.export.clone() {
            Some(export) => Some(export::Export::start(&store, export)?),
            None => None,
        };
        let accounts = accounts::Accounts::new(
            store.pool().clone(),
            ledger.clone(),
            hub.clone(),
            bus.clone(),
        );
        let chat = chat::Chat::new(store.pool().clone(), hub.clone(), bus.clone());
        let presence = presence::Presence::start(hub.clone(), bus.clone());
        let pulse = pulse::Pulse::default();
        let console = console::Console::start(console::Parts {
            pool: store.pool().clone(),
            hub: hub.clone(),
            risk: risk.clone(),
            accounts: accounts.clone(),
            ledger: ledger.clone(),
            leaderboards: leaderboards.clone(),
            presence: presence.clone(),
            pulse: pulse.clone(),
        });
        let parts = (&store, &ledger, &hub);
        let (crash, crash_history, wheel) = match store.backend() {
            store::Backend::Postgres(_) => leased_games(&config, parts, bus.clone()).await?,
            store::Backend::Sqlite(_) => owned_games(&config, parts).await?,
        };
        let inner = Inner {
            store,
            hub,
            bus,
            export,
            ledger,
            feed,
            accounts,
            chat,
            presence,
            leaderboards,
            notices,
            risk,
            pulse,
            console,
            crash,
            crash_history,
            wheel,
        };
        Ok(Engine {
            inner: Arc::new(inner),
        })
    }

    /// The public dice feed's latest bets, newest first (from memory).
    pub fn recent_feed(&self) -> Vec<protocol::dice::FeedBet> {
        self.inner.feed.newest_first()
    }

    /// The database.
    pub fn store(&self) -> &store::Store {
        &self.inner.store
    }

    /// The event hub.
    pub fn hub(&self) -> &hub::Hub {
        &self.inner.hub
    }

    /// The bus between nodes, when Redis is configured.
    pub fn bus(&self) -> Option<&bus::Bus> {
        self.inner.bus.as_ref()
    }

    /// The export to Kafka, when configured.
    pub fn export(&self) -> Option<&export::Export> {
        self.inner.export.as_ref()
    }

    /// The wallet ledger.
    pub fn ledger(&self) -> &ledger::Ledger {
        &self.inner.ledger
    }

    /// Accounts and sessions.
    pub fn accounts(&self) -> &accounts::Accounts {
        &self.inner.accounts
    }

    /// Chat rooms.
    pub fn chat(&self) -> &chat::Chat {
        &self.inner.chat
    }

    /// Who is online.
    pub fn presence(&self) -> &presence::Presence {
        &self.inner.presence
    }

    /// The leaderboards.
    pub fn leaderboards(&self) -> &leaderboard::Leaderboards {
        &self.inner.leaderboards
    }

    /// Notifications and the inbox.
    pub fn notices(&self) -> &notify::Notices {
        &self.inner.notices
    }

    /// The risk engine.
    pub fn risk(&self) -> &risk::Risk {
        &self.inner.risk
    }

    /// This node's answered commands, for the console's dashboard.
    pub fn pulse(&self) -> &pulse::Pulse {
        &self.inner.pulse
    }

    /// The operator console.
    pub fn console(&self) -> &console::Console {
        &self.inner.console
    }

    /// The crash game, when running.
    pub fn crash(&self) -> Option<&crash::Crash> {
        self.inner.crash.as_ref()
    }

    /// The latest crash points, newest first: from the running game's memory, else (no crash
    /// game in this process) from the database.
    pub async fn crash_history(
        &self,
    ) -> Result<Vec<protocol::crash::CrashHistoryItem>, sqlx::Error> {
        match &self.inner.crash_history {
            Some(history) => Ok(history.newest_first()),
            None => crash::recent_crash_points(self.store().pool()).await,
        }
    }

    /// The wheel, when running.
    pub fn wheel(&self) -> Option<&wheel::Wheel> {
        self.inner.wheel.as_ref()
    }

    /// Joins a connection to every running round game: each sends it its state and then its
    /// events. Returns the topics joined.
    pub async fn join_round_games(&self, outbox: &hub::Outbox) -> Vec<&'static str> {
        let mut topics = Vec::new();
        if let Some(crash) = self.crash() {
            topics.push(join(crash, outbox).await);
        }
        if let Some(wheel) = self.wheel() {
            topics.push(join(wheel, outbox).await);
        }
        topics
    }

    /// Read-only history queries.
    pub fn history(&self) -> history::History {
        history::History::new(self.inner.store.pool().clone())
    }
}

/// What the ledger writer's committed bets feed beyond the hub, with what they feed it.
type Consumers = (
    recent::RecentFeed,
    risk::Risk,
    leaderboard::Leaderboards,
    notify::Notices,
    ledger::Published,
);

/// What consumes the ledger writer's committed bets beyond the hub: the feed's latest bets, the
/// risk engine, the leaderboards and the notifications.
async fn consumers(
    config: &EngineConfig,
    store: &store::Store,
    (hub, bus): (&hub::Hub, &Option<bus::Bus>),
) -> Result<Consumers, StartError> {
    let stored = history::History::new(store.pool().clone())
        .stored_feed()
        .await?;
    let recent = recent::RecentFeed::new(stored, protocol::limits::FEED_BETS_SHOWN);
    let (acts, exporting) = (!config.risk_alert_only, config.export.is_some());
    let risk = risk::Risk::start(store.pool().clone(), bus.clone(), acts, exporting).await?;
    let (leaderboards, settled) = leaderboard::Leaderboards::start(
        store.pool().clone(),
        hub.clone(),
        bus.clone(),
        config.leaderboard_clock.clone(),
    )
    .await?;
    let big_win = config
        .big_win
        .unwrap_or(protocol::notification::BIG_WIN_CENTS_DEFAULT);
    let (notices, reporter) = notify::Notices::start(store.pool().clone(), hub.clone(), big_win);
    let published = ledger::Published {
        recent: recent.clone(),
        settled,
        reporter,
        risk: risk.observer(),
    };
    Ok((recent, risk, leaderboards, notices, published))
}

/// The round games this engine runs, their seats and the crash history kept in memory.
type Games = (
    Option<crash::Crash>,
    Option<recent::CrashHistory>,
    Option<wheel::Wheel>,
);

/// On PostgreSQL other nodes may share the database: each game is driven by the node holding
/// its lease, which recovers the game's open rounds when it takes over. The crash history is
/// read from the database (another node may be driving).
async fn leased_games(
    config: &EngineConfig,
    parts: (&store::Store, &ledger::Ledger, &hub::Hub),
    bus: Option<bus::Bus>,
) -> Result<Games, StartError> {
    let (store, ledger, hub) = parts;
    let runs = |game| match game {
        protocol::Game::Crash => config.crash.is_some(),
        protocol::Game::Wheel => config.wheel.is_some(),
    };
    for game in protocol::Game::ALL.into_iter().filter(|game| !runs(*game)) {
        rounds::seat::recover_if_undriven(store, ledger, game).await?;
    }
    let crash = config.crash.map(|timing| {
        let (pool, hub) = (store.pool().clone(), hub.clone());
        let new_game = move || {
            let (pool, hub) = (pool.clone(), hub.clone());
            async move { crash::CrashGame::new(&pool, hub, timing).await }
        };
        rounds::seat::drive_under_lease(parts, bus.clone(), new_game)
    });
    let wheel = config.wheel.map(|timing| {
        let (pool, hub) = (store.pool().clone(), hub.clone());
        let new_game = move || {
            let (pool, hub) = (pool.clone(), hub.clone());
            async move { wheel::WheelGame::new(&pool, hub, timing).await }
        };
        rounds::seat::drive_under_lease(parts, bus.clone(), new_game)
    });
    Ok((crash, None, wheel))
}

/// On SQLite this node owns the database: it recovers every open round and drives every game.
async fn owned_games(
    config: &EngineConfig,
    parts: (&store::Store, &ledger::Ledger, &hub::Hub),
) -> Result<Games, StartError> {
    let (store, ledger, hub) = parts;
    rounds::recover(store.pool(), ledger).await?;
    let (crash, crash_history) = match config.crash {
        Some(timing) => {
            let game = crash::CrashGame::new(store.pool(), hub.clone(), timing).await?;
            let history = game.history();
            (Some(start_round_game(parts, game).await?), Some(history))
        }
        None => (None, None),
    };
    let wheel = match config.wheel {
        Some(timing) => {
            let game = wheel::WheelGame::new(store.pool(), hub.clone(), timing).await?;
            Some(start_round_game(parts, game).await?)
        }
        None => None,
    };
    Ok((crash, crash_history, wheel))
}

/// Starts a round game's driver on the engine's database, ledger and hub (one node).
async fn start_round_game<G: RoundGame>(
    (store, ledger, hub): (&store::Store, &ledger::Ledger, &hub::Hub),
    game: G,
) -> Result<Seat<G>, rounds::RoundsError> {
    let handle =
        RoundHandle::start(store.pool().clone(), ledger.clone(), hub.clone(), game).await?;
    Ok(Seat::local(handle, hub.clone()))
}

/// Joins a connection to one round game; returns its topic.
async fn join<G: RoundGame>(game: &Seat<G>, outbox: &hub::Outbox) -> &'static str {
    // The game sends its state and subscribes the connection between its own events.
    game.join(outbox).await;
    G::TOPIC
}
