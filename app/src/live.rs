//! The client's live connection: one WebSocket per tab to `/ws`, shared by every page.
//!
//! It exposes signals (connection state, balance, seed pair, the public feed) and
//! [`Live::request`], which sends a command and calls back with its one `ack` or `error`.
//! On a dropped connection it reconnects with exponential backoff and jitter; commands marked
//! `retry` (those with an idempotency key) are sent again with the same key, so a bet whose
//! answer was lost is answered from the server's record rather than placed twice.

use leptos::prelude::*;
use protocol::ids::RoundId;
#[cfg(feature = "hydrate")]
use protocol::limits::FEED_BETS_SHOWN;
use protocol::wire::{
    AckResult, CrashBetView, CrashHistoryItem, CrashRoundView, ErrorCode, FeedBet, PlayerView,
    SeedView, WheelBetView, WheelRoundView,
};
#[cfg(feature = "hydrate")]
use protocol::ServerMsg;
use protocol::{Cents, ClientMsg};

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

/// The crash game's state on this client.
#[derive(Clone, Debug, PartialEq)]
pub struct CrashLive {
    /// Current round.
    pub round: CrashRoundView,
    /// Its bets.
    pub bets: Vec<CrashBetView>,
    /// Latest crash points, newest first.
    pub history: Vec<CrashHistoryItem>,
}

/// The wheel's state on this client.
#[derive(Clone, Debug, PartialEq)]
pub struct WheelLive {
    /// Current round.
    pub round: WheelRoundView,
    /// Its bets (settled once spinning).
    pub bets: Vec<WheelBetView>,
    /// Latest slots, newest first.
    pub history: Vec<u32>,
}

/// A crash tick as received.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrashTickSeen {
    /// Round it belongs to.
    pub round: RoundId,
    /// Server's elapsed milliseconds.
    pub elapsed_ms: u64,
    /// Server's multiplier in hundredths.
    pub multiplier_x100: u64,
    /// When it arrived, local milliseconds.
    pub received_ms: f64,
}

/// A command's answer: the `ack` result, or the `error` code and message.
pub type Reply = Result<AckResult, (ErrorCode, String)>;

/// Handle to the tab's live connection and its state. `Copy`, from context.
#[derive(Clone, Copy)]
pub struct Live {
    /// Connection state.
    pub state: RwSignal<ConnState>,
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
    #[cfg(feature = "hydrate")]
    conn: StoredValue<client::Conn, LocalStorage>,
}

/// Creates the tab's [`Live`] and, in the browser, starts connecting.
pub fn provide() -> Live {
    let live = Live {
        state: RwSignal::new(ConnState::Connecting),
        player: RwSignal::new(None),
        balance: RwSignal::new(None),
        seed: RwSignal::new(None),
        feed: RwSignal::new(Vec::new()),
        crash: RwSignal::new(None),
        crash_tick: RwSignal::new(None),
        wheel: RwSignal::new(None),
        #[cfg(feature = "hydrate")]
        conn: StoredValue::new_local(client::Conn::default()),
    };
    provide_context(live);
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(client::run(live));
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
        client::request(*self, build, retry, Box::new(on_reply));
        #[cfg(not(feature = "hydrate"))]
        {
            // Commands are only sent from event handlers, which run in the browser.
            let _ = (build, retry, on_reply);
        }
    }

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
                self.conn.update_value(|conn| {
                    if conn.epoch != Some(epoch) {
                        // A new server run: its feed snapshot follows; drop the old run's seq.
                        conn.epoch = Some(epoch);
                        conn.dice_seq = None;
                    }
                });
                self.player.set(player);
                self.balance.set(balance);
                self.seed.set(seed);
                self.state.set(ConnState::Live);
                None
            }
            ServerMsg::Ack { req, result } => {
                if let AckResult::Seed { seed, .. } = &result {
                    self.seed.set(Some(seed.clone()));
                }
                if let AckResult::Dice { bet, .. } = &result {
                    self.seed.update(|s| {
                        if let Some(s) = s.as_mut().filter(|s| s.commitment == bet.seed_commitment)
                        {
                            s.next_nonce = s.next_nonce.max(bet.nonce + 1);
                        }
                    });
                }
                Some((req, Ok(result)))
            }
            ServerMsg::Error { req, code, message } => req.map(|req| (req, Err((code, message)))),
            ServerMsg::Balance { balance, .. } => {
                self.balance.set(Some(balance));
                None
            }
            ServerMsg::CrashState {
                round,
                bets,
                history,
                ..
            } => {
                self.crash.set(Some(CrashLive {
                    round,
                    bets,
                    history,
                }));
                None
            }
            ServerMsg::CrashRound { round, .. } => {
                self.crash.update(|state| {
                    let Some(state) = state.as_mut() else { return };
                    if round.id != state.round.id {
                        state.bets.clear();
                    }
                    if let Some(crash_x100) = round.crash_x100 {
                        if !state.history.iter().any(|h| h.id == round.id) {
                            state.history.insert(
                                0,
                                CrashHistoryItem {
                                    id: round.id,
                                    crash_x100,
                                },
                            );
                            state
                                .history
                                .truncate(protocol::limits::CRASH_HISTORY_ROUNDS);
                        }
                    }
                    state.round = round;
                });
                None
            }
            ServerMsg::CrashTick {
                round,
                elapsed_ms,
                multiplier_x100,
                ..
            } => {
                let received_ms = js_sys::Date::now();
                self.crash_tick.set(Some(CrashTickSeen {
                    round,
                    elapsed_ms,
                    multiplier_x100,
                    received_ms,
                }));
                None
            }
            ServerMsg::CrashBet { round, bet, .. } => {
                self.crash.update(|state| {
                    let Some(state) = state.as_mut().filter(|s| s.round.id == round) else {
                        return;
                    };
                    upsert_by_username(&mut state.bets, bet, |b| &b.username);
                });
                None
            }
            ServerMsg::WheelState {
                round,
                bets,
                history,
                ..
            } => {
                self.wheel.set(Some(WheelLive {
                    round,
                    bets,
                    history,
                }));
                None
            }
            ServerMsg::WheelRound { round, bets, .. } => {
                self.wheel.update(|state| {
                    let Some(state) = state.as_mut() else { return };
                    if let Some(slot) = round
                        .slot
                        .filter(|_| state.round.id != round.id || state.round.slot.is_none())
                    {
                        state.history.insert(0, slot);
                        state
                            .history
                            .truncate(protocol::limits::WHEEL_HISTORY_ROUNDS);
                    }
                    state.bets = bets;
                    state.round = round;
                });
                None
            }
            ServerMsg::WheelBet { round, bet, .. } => {
                self.wheel.update(|state| {
                    let Some(state) = state.as_mut().filter(|s| s.round.id == round) else {
                        return;
                    };
                    upsert_by_username(&mut state.bets, bet, |b| &b.username);
                });
                None
            }
            ServerMsg::DiceFeed { bet, seq, .. } => {
                self.conn.update_value(|conn| conn.dice_seq = Some(seq));
                self.feed.update(|feed| {
                    if !feed.iter().any(|b| b.id == bet.id) {
                        feed.insert(0, bet);
                        feed.sort_by(|a, b| b.id.cmp(&a.id));
                        feed.truncate(FEED_BETS_SHOWN);
                    }
                });
                None
            }
        }
    }
}

/// Replaces the bet of the same player, or adds it.
#[cfg(feature = "hydrate")]
fn upsert_by_username<T>(bets: &mut Vec<T>, bet: T, username: impl Fn(&T) -> &String) {
    match bets.iter().position(|b| username(b) == username(&bet)) {
        Some(i) => bets[i] = bet,
        None => bets.push(bet),
    }
}

/// A fresh random idempotency key (128 bits, hex) from the browser's CSPRNG.
pub fn new_idempotency_key() -> String {
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

#[cfg(feature = "hydrate")]
mod client {
    use super::{ConnState, Live, Reply};
    use futures::channel::mpsc;
    use futures::{SinkExt, StreamExt};
    use gloo_net::websocket::{futures::WebSocket, Message};
    use leptos::prelude::*;
    use protocol::wire::ErrorCode;
    use protocol::{ClientMsg, ServerMsg};
    use std::collections::BTreeMap;

    /// First reconnect delay; doubles per failed attempt.
    const RECONNECT_DELAY_MS_MIN: u32 = 250;
    /// Longest reconnect delay (10 s).
    const RECONNECT_DELAY_MS_MAX: u32 = 10_000;

    struct Pending {
        frame: String,
        retry: bool,
        on_reply: Box<dyn FnOnce(Reply)>,
    }

    #[derive(Default)]
    pub struct Conn {
        next_req: u64,
        socket: Option<mpsc::UnboundedSender<String>>,
        pending: BTreeMap<u64, Pending>,
        /// The server run the seqs below belong to.
        pub epoch: Option<u64>,
        /// Last seq seen on the dice feed, to resume from after a reconnect.
        pub dice_seq: Option<u64>,
    }

    pub fn request(
        live: Live,
        build: impl FnOnce(u64) -> ClientMsg,
        retry: bool,
        on_reply: Box<dyn FnOnce(Reply)>,
    ) {
        let refused = live.conn.try_update_value(|conn| {
            conn.next_req += 1;
            let req = conn.next_req;
            let frame = serde_json::to_string(&build(req)).expect("client messages serialise");
            let sent = conn
                .socket
                .as_ref()
                .is_some_and(|s| s.unbounded_send(frame.clone()).is_ok());
            if sent || retry {
                conn.pending.insert(
                    req,
                    Pending {
                        frame,
                        retry,
                        on_reply,
                    },
                );
                None
            } else {
                Some(on_reply)
            }
        });
        if let Some(Some(on_reply)) = refused {
            on_reply(Err((
                ErrorCode::Internal,
                "not connected; try again in a moment".into(),
            )));
        }
    }

    fn deliver(live: Live, req: u64, reply: Reply) {
        let pending = live
            .conn
            .try_update_value(|conn| conn.pending.remove(&req))
            .flatten();
        if let Some(pending) = pending {
            (pending.on_reply)(reply);
        }
    }

    /// On connect: resend retryable commands in order.
    fn attach(live: Live, socket: mpsc::UnboundedSender<String>) {
        live.conn.update_value(|conn| {
            for pending in conn.pending.values() {
                let _ = socket.unbounded_send(pending.frame.clone());
            }
            conn.socket = Some(socket);
        });
    }

    /// On disconnect: fail commands that must not be repeated; keep the retryable ones.
    fn detach(live: Live) {
        let failed: Vec<Pending> = live
            .conn
            .try_update_value(|conn| {
                conn.socket = None;
                let keys: Vec<u64> = conn
                    .pending
                    .iter()
                    .filter(|(_, p)| !p.retry)
                    .map(|(k, _)| *k)
                    .collect();
                keys.into_iter()
                    .filter_map(|k| conn.pending.remove(&k))
                    .collect()
            })
            .unwrap_or_default();
        for pending in failed {
            (pending.on_reply)(Err((
                ErrorCode::Internal,
                "connection lost; try again".into(),
            )));
        }
    }

    fn url(live: Live) -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        let resume = live
            .conn
            .with_value(|conn| conn.epoch.zip(conn.dice_seq))
            .map(|(epoch, seq)| format!("?epoch={epoch}&dice={seq}"))
            .unwrap_or_default();
        Some(format!("{scheme}://{}/ws{resume}", location.host().ok()?))
    }

    pub async fn run(live: Live) {
        let mut attempt: u32 = 0;
        loop {
            let Some(url) = url(live) else { return };
            if let Ok(socket) = WebSocket::open(&url) {
                let (mut write, mut read) = socket.split();
                let (tx, mut rx) = mpsc::unbounded::<String>();
                attach(live, tx);
                let writer = async move {
                    while let Some(frame) = rx.next().await {
                        if write.send(Message::Text(frame)).await.is_err() {
                            break;
                        }
                    }
                };
                let reader = async move {
                    while let Some(Ok(message)) = read.next().await {
                        let Message::Text(text) = message else {
                            continue;
                        };
                        let Ok(msg) = serde_json::from_str::<ServerMsg>(&text) else {
                            continue;
                        };
                        if let Some((req, reply)) = live.handle(msg) {
                            deliver(live, req, reply);
                        }
                    }
                };
                futures::future::select(Box::pin(writer), Box::pin(reader)).await;
                detach(live);
                if live.state.get_untracked() == ConnState::Live {
                    attempt = 0;
                }
            }
            live.state.set(ConnState::Reconnecting);
            let backoff = RECONNECT_DELAY_MS_MIN
                .saturating_mul(1 << attempt.min(6))
                .min(RECONNECT_DELAY_MS_MAX);
            let jitter = (js_sys::Math::random() * f64::from(backoff) / 2.0) as u32;
            gloo_timers::future::TimeoutFuture::new(backoff / 2 + jitter).await;
            attempt += 1;
        }
    }
}
