//! Where a round game's commands go on this node: to the game's driver when this node runs it,
//! otherwise over the bus to the node that does (several nodes on one PostgreSQL database and
//! one Redis). The driver's node answers them as its own players' ([`serve`]).
//!
//! On PostgreSQL each game is driven under its lease ([`drive_under_lease`]): the node that
//! takes it first applies the recovery rule to the game's rounds a previous driver left open,
//! then drives the game until the lease is lost; meanwhile another node waits to take over.

use super::driver::{RoundGame, RoundHandle};
use super::{recovery, CashOutAck, RoundBetAck, RoundError, RoundsError};
use crate::bus::{Bus, Request};
use crate::hub::{Hub, Outbox};
use crate::lease::{Job, Lease};
use crate::ledger::Ledger;
use crate::limits::ROUND_QUEUE_COMMANDS_MAX;
use crate::store::{now_ms, Store};
use protocol::wire::{ErrorCode, PlayerView};
use protocol::{Cents, PlayerId};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A round game's commands, as they cross the bus.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum RemoteCommand {
    Bet {
        player: PlayerView,
        idem: String,
        amount: Cents,
        choice: serde_json::Value,
    },
    /// The game's own command (crash: cash out), received at `received_at_ms` (Unix ms).
    Game {
        player: PlayerId,
        received_at_ms: i64,
    },
    Join {
        node: u64,
        connection: u64,
    },
}

/// A refusal, as it crosses the bus.
#[derive(Serialize, Deserialize)]
struct RemoteError {
    code: ErrorCode,
    message: String,
}

/// Where one round game's commands go. Cheap to clone.
pub struct Seat<G: RoundGame> {
    /// The game's driver, while this node runs it.
    local: Arc<RwLock<Option<RoundHandle<G>>>>,
    /// The bus to the node that runs it otherwise.
    bus: Option<Bus>,
    hub: Hub,
}

impl<G: RoundGame> Clone for Seat<G> {
    fn clone(&self) -> Self {
        Seat {
            local: self.local.clone(),
            bus: self.bus.clone(),
            hub: self.hub.clone(),
        }
    }
}

impl<G: RoundGame> Seat<G> {
    /// A game this node always drives (one node: SQLite).
    pub fn local(handle: RoundHandle<G>, hub: Hub) -> Seat<G> {
        Seat {
            local: Arc::new(RwLock::new(Some(handle))),
            bus: None,
            hub,
        }
    }

    fn driver(&self) -> Option<RoundHandle<G>> {
        self.local.read().expect("seat lock").clone()
    }

    /// Whether this node drives the game right now.
    pub fn drives(&self) -> bool {
        self.driver().is_some()
    }

    /// Sends the game's state to a connection and subscribes it to the game's events.
    pub async fn join(&self, outbox: &Outbox) {
        if let Some(driver) = self.driver() {
            return driver.join(outbox.clone()).await;
        }
        // Subscribed now: the events come as soon as a driver publishes them; with a bus the
        // state comes from the driver's node in the topic's stream.
        self.hub.subscribe(G::TOPIC, outbox, None);
        if let Some(bus) = &self.bus {
            let join = RemoteCommand::Join {
                node: bus.node(),
                connection: outbox.id(),
            };
            bus.tell(G::GAME.as_str(), encode(&join));
        }
    }

    /// Places a bet in the current round's betting window (or answers a retry).
    pub async fn bet(
        &self,
        player: PlayerView,
        idem: String,
        amount: Cents,
        choice: G::Choice,
    ) -> Result<RoundBetAck, RoundError> {
        if let Some(driver) = self.driver() {
            return driver.bet(player, idem, amount, choice).await;
        }
        let choice = serde_json::to_value(&choice).map_err(|_| RoundError::Unavailable)?;
        self.call(RemoteCommand::Bet {
            player,
            idem,
            amount,
            choice,
        })
        .await
    }

    /// Sends the game's own command for a player (crash: cash out at `received`).
    pub async fn game_command(
        &self,
        player: PlayerId,
        received: Instant,
    ) -> Result<CashOutAck, RoundError> {
        if let Some(driver) = self.driver() {
            let (command, answer) =
                G::remote_command(player, received).ok_or(RoundError::Unavailable)?;
            driver.command(command).await?;
            return answer.await.map_err(|_| RoundError::Unavailable)?;
        }
        let age_ms = i64::try_from(received.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.call(RemoteCommand::Game {
            player,
            received_at_ms: now_ms().saturating_sub(age_ms),
        })
        .await
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        command: RemoteCommand,
    ) -> Result<T, RoundError> {
        let bus = self.bus.as_ref().ok_or(RoundError::Unavailable)?;
        let answer = bus
            .call(G::GAME.as_str(), encode(&command))
            .await
            .ok_or(RoundError::Unavailable)?;
        match serde_json::from_slice::<Result<T, RemoteError>>(&answer) {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(RemoteError { code, message })) => Err(RoundError::Remote { code, message }),
            Err(_) => Err(RoundError::Unavailable),
        }
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("commands and answers serialise")
}

fn answer<T: Serialize>(result: Result<T, RoundError>) -> Vec<u8> {
    let result = result.map_err(|error| RemoteError {
        code: error.code(),
        message: error.to_string(),
    });
    encode(&result)
}

/// Drives the game while this node holds its lease, and waits to take it over otherwise;
/// returns the game's seat at once. `new_game` builds the game each time this node takes over
/// (with its history as the database has it).
pub fn drive_under_lease<G, F, Fut>(
    parts: (&Store, &Ledger, &Hub),
    bus: Option<Bus>,
    new_game: F,
) -> Seat<G>
where
    G: RoundGame,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<G, RoundsError>> + Send,
{
    let (store, ledger, hub) = (parts.0.clone(), parts.1.clone(), parts.2.clone());
    let seat = Seat {
        local: Arc::new(RwLock::new(None)),
        bus,
        hub: hub.clone(),
    };
    let driving = seat.clone();
    tokio::spawn(async move {
        loop {
            let lease = Lease::acquire(&store, Job::RoundDriver(G::GAME)).await;
            match start_driver(&store, &ledger, &hub, &new_game).await {
                Ok((handle, task)) => driving.drive(handle, task, lease).await,
                Err(error) => {
                    tracing::error!(%error, game = G::GAME.as_str(), "cannot start the game's driver");
                    drop(lease);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    seat
}

/// For a node that does not run `game`: if no node drives it now, applies the recovery rule to
/// its rounds left open (under its lease, taken for that time only), so a tool or a node
/// started without the game leaves no round open.
pub async fn recover_if_undriven(
    store: &Store,
    ledger: &Ledger,
    game: protocol::Game,
) -> Result<(), RoundsError> {
    if let Some(lease) = crate::lease::try_acquire(store, Job::RoundDriver(game)).await? {
        recovery::recover_game(store.pool(), ledger, Some(game)).await?;
        drop(lease);
    }
    Ok(())
}

/// Applies the recovery rule to the game's rounds left open, then starts its driver.
async fn start_driver<G, F, Fut>(
    store: &Store,
    ledger: &Ledger,
    hub: &Hub,
    new_game: &F,
) -> Result<(RoundHandle<G>, tokio::task::JoinHandle<()>), RoundsError>
where
    G: RoundGame,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<G, RoundsError>>,
{
    let recovered = recovery::recover_game(store.pool(), ledger, Some(G::GAME)).await?;
    tracing::info!(
        game = G::GAME.as_str(),
        interrupted = recovered.rounds.len(),
        "this node drives the game"
    );
    let game = new_game().await?;
    RoundHandle::start_task(store.pool().clone(), ledger.clone(), hub.clone(), game).await
}

impl<G: RoundGame> Seat<G> {
    /// Runs the game here until the lease is lost or the driver stops, serving the commands
    /// other nodes send for it.
    async fn drive(&self, handle: RoundHandle<G>, task: tokio::task::JoinHandle<()>, lease: Lease) {
        *self.local.write().expect("seat lock") = Some(handle.clone());
        let serving = self.bus.clone().map(|bus| {
            let (requests, queue) = mpsc::channel(ROUND_QUEUE_COMMANDS_MAX);
            bus.drive(G::GAME.as_str(), requests);
            tokio::spawn(serve(handle, queue, bus))
        });
        let abort = task.abort_handle();
        tokio::select! {
            _ = lease.lost() => tracing::error!(game = G::GAME.as_str(), "stopped driving: the lease is lost"),
            _ = task => tracing::error!(game = G::GAME.as_str(), "the game's driver stopped"),
        }
        abort.abort();
        *self.local.write().expect("seat lock") = None;
        if let Some(bus) = &self.bus {
            bus.stop_driving(G::GAME.as_str());
        }
        if let Some(serving) = serving {
            serving.abort();
        }
    }
}

/// Answers the commands other nodes send for the game this node drives.
async fn serve<G: RoundGame>(handle: RoundHandle<G>, mut queue: mpsc::Receiver<Request>, bus: Bus) {
    while let Some(request) = queue.recv().await {
        let Ok(command) = serde_json::from_slice::<RemoteCommand>(&request.body) else {
            tracing::error!("unreadable round command on the bus");
            continue;
        };
        let (handle, bus) = (handle.clone(), bus.clone());
        tokio::spawn(async move {
            match command {
                RemoteCommand::Join { node, connection } => {
                    handle.join_remote(node, connection).await
                }
                RemoteCommand::Bet {
                    player,
                    idem,
                    amount,
                    choice,
                } => {
                    let result = match serde_json::from_value(choice) {
                        Ok(choice) => handle.bet(player, idem, amount, choice).await,
                        Err(_) => Err(RoundError::Unavailable),
                    };
                    bus.reply(&request, answer(result));
                }
                RemoteCommand::Game {
                    player,
                    received_at_ms,
                } => {
                    let age = Duration::from_millis(
                        now_ms().saturating_sub(received_at_ms).max(0) as u64
                    );
                    let received = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
                    let seat = Seat::local(handle, bus.hub().clone());
                    let result = seat.game_command(player, received).await;
                    bus.reply(&request, answer(result));
                }
            }
        });
    }
}
