//! The client's live connection: one WebSocket per tab to `/ws`, shared by every page.
//!
//! [`Live`] holds one signal per piece of live state, and [`Live::request`] sends a command and
//! calls back with its one `ack` or `error`. The state lives in one module per concern:
//!
//! - `connection` (browser only): the socket, reconnecting with exponential backoff and jitter,
//!   a `ping` every few seconds whose round trip the header shows, matching replies to requests, and sending commands marked `retry` (those with an
//!   idempotency key) again with the same key after a reconnect, so a bet whose answer was lost
//!   is answered from the server's record rather than placed twice.
//! - `player` (browser only): who is signed in, their balance and seed pair (the dice nonce).
//! - `round`: what the shared round games have in common ([`RoundLive`]: the round, one bet
//!   per player, the latest outcomes); each round game's page module has a `live` module with
//!   what that game adds ([`CrashLive`], [`CrashTickSeen`], [`WheelLive`]) and how its events
//!   change it.
//! - `feed`: the public feed of settled dice bets, and where to resume it after a reconnect.
//!
//! Every server message goes through `Live::handle`, which hands it to the module it concerns.

#[cfg(feature = "hydrate")]
mod connection;
#[cfg(any(feature = "hydrate", test))]
mod feed;
#[cfg(feature = "hydrate")]
mod player;
mod round;

use crate::pages::{crash::live as crash, wheel::live as wheel};
pub use crash::{CrashLive, CrashTickSeen};
pub use round::{RoundBet, RoundLive, RoundView};
pub use wheel::WheelLive;

use leptos::prelude::*;
use protocol::dice::FeedBet;
use protocol::leaderboard::{BoardKey, Ranked};
use protocol::wire::{AckResult, ErrorCode, PlayerView, SeedView};
#[cfg(feature = "hydrate")]
use protocol::ServerMsg;
use protocol::{Cents, ClientMsg};

/// Chat messages a tab keeps: a room's page shows at most its latest 100.
#[cfg(feature = "hydrate")]
const CHAT_KEPT_MESSAGES: usize =
    protocol::limits::CHAT_HISTORY_MESSAGES * protocol::chat::ROOMS.len();

/// Where the connection stands; the header shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// First connection attempt (also what the server renders).
    Connecting,
    /// Connected and welcomed.
    Live,
    /// Lost; trying again.
    Reconnecting,
}

impl ConnState {
    /// What the connection indicator says.
    pub fn label(self) -> &'static str {
        match self {
            ConnState::Connecting => "Connecting",
            ConnState::Live => "Live",
            ConnState::Reconnecting => "Reconnecting",
        }
    }
}

/// A command's answer: the `ack` result, or the `error` code and message.
pub type Reply = Result<AckResult, (ErrorCode, String)>;

/// Handle to the tab's live connection and its state. `Copy`, from context.
#[derive(Clone, Copy)]
pub struct Live {
    /// Connection state.
    pub state: RwSignal<ConnState>,
    /// The last measured round trip of a command on the live connection, in milliseconds.
    pub round_trip_ms: RwSignal<Option<u32>>,
    /// Signed-in player, once welcomed.
    pub player: RwSignal<Option<PlayerView>>,
    /// Latest balance pushed by the server.
    pub balance: RwSignal<Option<Cents>>,
    /// Current seed pair.
    pub seed: RwSignal<Option<SeedView>>,
    /// Bets settled since this page loaded, newest first.
    pub feed: RwSignal<Vec<FeedBet>>,
    /// The crash game as last reported.
    pub crash: RwSignal<Option<CrashLive>>,
    /// The latest crash tick: round, server elapsed ms, server multiplier, local receive time (ms).
    pub crash_tick: RwSignal<Option<CrashTickSeen>>,
    /// The wheel as last reported.
    pub wheel: RwSignal<Option<WheelLive>>,
    /// Chat messages of every room received since the page loaded, oldest first (the latest
    /// few hundred).
    pub chat: RwSignal<Vec<protocol::chat::ChatMessage>>,
    /// How many times the server has welcomed this tab: more than once after a reconnect.
    pub welcomes: RwSignal<u32>,
    /// How many people are online, once the server has said.
    pub presence: RwSignal<Option<protocol::presence::Counts>>,
    /// Notifications shown as toasts now, each with a number of this tab's, oldest first.
    pub toasts: RwSignal<Vec<(u64, protocol::notification::Notification)>>,
    /// Unread kept notifications as this tab last set them (`None`: as loaded with the page).
    pub unread: RwSignal<Option<u64>>,
    /// Kept notifications for this player that arrived since `unread` was last set.
    pub kept: RwSignal<u64>,
    /// The tops of the boards this tab watches, as the server last sent them.
    pub leaderboards: RwSignal<std::collections::HashMap<BoardKey, Vec<Ranked>>>,
    /// The console's dashboard figures, once an admin's tab watches them.
    pub admin: RwSignal<Option<protocol::console::DashboardStats>>,
    #[cfg(feature = "hydrate")]
    conn: StoredValue<connection::Conn, LocalStorage>,
}

/// Creates the tab's [`Live`] and, in the browser, starts connecting.
pub fn provide() -> Live {
    let live = Live {
        state: RwSignal::new(ConnState::Connecting),
        round_trip_ms: RwSignal::new(None),
        player: RwSignal::new(None),
        balance: RwSignal::new(None),
        seed: RwSignal::new(None),
        feed: RwSignal::new(Vec::new()),
        crash: RwSignal::new(None),
        crash_tick: RwSignal::new(None),
        wheel: RwSignal::new(None),
        chat: RwSignal::new(Vec::new()),
        welcomes: RwSignal::new(0),
        presence: RwSignal::new(None),
        leaderboards: RwSignal::new(std::collections::HashMap::new()),
        toasts: RwSignal::new(Vec::new()),
        unread: RwSignal::new(None),
        kept: RwSignal::new(0),
        admin: RwSignal::new(None),
        #[cfg(feature = "hydrate")]
        conn: StoredValue::new_local(connection::Conn::default()),
    };
    provide_context(live);
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(connection::run(live));
    live
}

impl Live {
    /// Whether commands can be sent now.
    pub fn is_live(&self) -> bool {
        self.state.get() == ConnState::Live
    }

    /// Sends a command built from its `req`, and calls `on_reply` with its answer. With
    /// `retry`, the command survives a reconnect and is sent again unchanged.
    pub fn request(
        &self,
        build: impl FnOnce(u64) -> ClientMsg,
        retry: bool,
        on_reply: impl FnOnce(Reply) + 'static,
    ) {
        #[cfg(feature = "hydrate")]
        connection::request(*self, build, retry, Box::new(on_reply));
        #[cfg(not(feature = "hydrate"))]
        {
            // Commands are only sent from event handlers, which run in the browser.
            let _ = (build, retry, on_reply);
        }
    }

    /// Sends a command that carries an idempotency key: `build` gets its `req` and a fresh key,
    /// and the command is sent again, with the same key, after a reconnect.
    pub fn request_idempotent(
        &self,
        build: impl FnOnce(u64, String) -> ClientMsg,
        on_reply: impl FnOnce(Reply) + 'static,
    ) {
        let idem = new_idempotency_key();
        self.request(move |req| build(req, idem), true, on_reply);
    }

    /// Applies one server message to the state it concerns; a command's answer is returned
    /// with its `req` for the connection to deliver.
    #[cfg(feature = "hydrate")]
    fn handle(&self, msg: ServerMsg) -> Option<(u64, Reply)> {
        match msg {
            ServerMsg::Welcome {
                player,
                balance,
                seed,
                epoch,
                ..
            } => {
                self.conn.update_value(|conn| conn.feed.welcomed(epoch));
                player::welcome(*self, player, balance, seed);
                self.state.set(ConnState::Live);
                self.welcomes.update(|n| *n += 1);
            }
            ServerMsg::Ack { req, result } => {
                player::acknowledged(*self, &result);
                return Some((req, Ok(result)));
            }
            ServerMsg::Error { req, code, message } => {
                return req.map(|req| (req, Err((code, message))));
            }
            ServerMsg::Balance { balance, .. } => self.balance.set(Some(balance)),
            ServerMsg::Crash(event) => crash::apply(*self, event),
            ServerMsg::Wheel(event) => wheel::apply(*self, event),
            ServerMsg::Presence { counts, .. } => self.presence.set(Some(counts)),
            ServerMsg::Notification { notification, .. } => self.notify(notification),
            ServerMsg::AdminStats { stats, .. } => self.admin.set(Some(stats)),
            ServerMsg::Leaderboard { changes, .. } => self.leaderboards.update(|boards| {
                for change in changes {
                    change.apply(boards.entry(change.key).or_default());
                }
            }),
            ServerMsg::ChatMessage { message, .. } => {
                self.chat.update(|chat| {
                    chat.push(message);
                    let kept = CHAT_KEPT_MESSAGES;
                    let extra = chat.len().saturating_sub(kept);
                    chat.drain(..extra);
                });
            }
            ServerMsg::Dice(protocol::dice::Event::Feed { bet, seq, .. }) => {
                self.conn.update_value(|conn| conn.feed.seen(seq));
                self.feed.update(|feed| feed::record(feed, bet));
            }
        }
        None
    }
}

impl Live {
    /// Shows a notification as a toast for [`crate::notifications::TOAST_MS`], and counts it
    /// unread when it is kept for this player.
    #[cfg(feature = "hydrate")]
    fn notify(&self, notification: protocol::notification::Notification) {
        use crate::notifications::{TOASTS_SHOWN_MAX, TOAST_MS};
        let me = self
            .player
            .with_untracked(|p| p.as_ref().map(|p| p.username.clone()));
        if me.is_some_and(|me| notification.kept_for(&me)) {
            self.kept.update(|kept| *kept += 1);
        }
        let id = self
            .conn
            .try_update_value(|conn| conn.next_toast())
            .unwrap_or_default();
        self.toasts.update(|toasts| {
            toasts.push((id, notification));
            let extra = toasts.len().saturating_sub(TOASTS_SHOWN_MAX);
            toasts.drain(..extra);
        });
        let toasts = self.toasts;
        set_timeout(
            move || toasts.update(|toasts| toasts.retain(|(shown, _)| *shown != id)),
            std::time::Duration::from_millis(TOAST_MS),
        );
    }
}

/// Updates a game's state if the game has reported it yet.
#[cfg(feature = "hydrate")]
pub(crate) fn update_some<T: Send + Sync + 'static>(
    state: RwSignal<Option<T>>,
    change: impl FnOnce(&mut T),
) {
    state.update(|state| {
        if let Some(state) = state.as_mut() {
            change(state);
        }
    });
}

/// A fresh random idempotency key (128 bits, hex) from the browser's CSPRNG.
pub(crate) fn new_idempotency_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut bytes = [0u8; 16];
        let filled = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok())
            .unwrap_or(false);
        if !filled {
            // No Web Crypto: still unique enough per player for idempotency (not a secret).
            let now = js_sys::Date::now().to_bits().to_le_bytes();
            let noise = js_sys::Math::random().to_bits().to_le_bytes();
            bytes[..8].copy_from_slice(&now);
            bytes[8..].copy_from_slice(&noise);
        }
        hex::encode(bytes)
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}
