//! The wheel game: a shared round every ~20 s. One task owns the live round: a betting window,
//! then the slot from the game's hash chain, settled for everyone in one ledger batch with the
//! round's end, then the spin that shows it. Bets are checked here and held durably by the
//! ledger before the player is answered; betting closes once every hold in flight is answered.

use crate::hub::{Hub, Outbox};
use crate::ledger::rounds::{
    BetOutcome, Game, RoundBetReceipt, RoundBetRequest, RoundEnd, Settlement,
};
use crate::ledger::{Ledger, LedgerError};
use crate::limits::{ROUND_QUEUE_COMMANDS_MAX, WHEEL_BETTING_MS, WHEEL_SPIN_MS};
use crate::rounds::bets::{self, BetRoute, Waiting};
use crate::rounds::{self, BetAck, Chain, RoundError, RoundsError};
use protocol::chain::ChainHash;
use protocol::crash::payout_cents;
use protocol::ids::{RoundBetId, RoundId};
use protocol::limits::{WHEEL_HISTORY_ROUNDS, WHEEL_ROUND_STAKES_CENTS_MAX};
use protocol::wheel::{self, Segment};
use protocol::wire::{PlayerView, WheelBetView, WheelPhase, WheelRoundView};
use protocol::{Cents, PlayerId, ServerMsg};
use sqlx::{Row, SqlitePool};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The topic of wheel events.
pub const WHEEL_TOPIC: &str = "wheel";

/// Timing of the wheel; the defaults are the product's, tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct WheelTiming {
    /// Betting window.
    pub betting_ms: u64,
    /// Spin after betting closes.
    pub spin_ms: u64,
    /// Seed and length of the first chain (tests only), as for crash.
    pub first_chain: Option<(ChainHash, usize)>,
}

impl Default for WheelTiming {
    fn default() -> WheelTiming {
        WheelTiming {
            betting_ms: WHEEL_BETTING_MS,
            spin_ms: WHEEL_SPIN_MS,
            first_chain: None,
        }
    }
}

type Reply = oneshot::Sender<Result<BetAck, RoundError>>;

enum Command {
    Join {
        outbox: Outbox,
    },
    Bet(BetCommand),
    HoldDone {
        player: PlayerId,
        result: Result<RoundBetReceipt, LedgerError>,
        reply: Reply,
    },
}

struct BetCommand {
    player: PlayerView,
    idem: String,
    amount: Cents,
    segment: Segment,
    reply: Reply,
}

/// Handle to the wheel. Cheap to clone.
#[derive(Clone)]
pub struct Wheel {
    commands: mpsc::Sender<Command>,
}

impl Wheel {
    /// Starts the wheel task on the stored chain (or a new one).
    pub async fn start(
        pool: SqlitePool,
        ledger: Ledger,
        hub: Hub,
        timing: WheelTiming,
    ) -> Result<Wheel, RoundsError> {
        let (chain, next_number) =
            rounds::resume_chain(&pool, Game::Wheel, timing.first_chain).await?;
        let history = recent_slots(&pool).await?.into_iter().collect();
        let (commands, queue) = mpsc::channel(ROUND_QUEUE_COMMANDS_MAX);
        let task = WheelTask {
            pool,
            ledger,
            hub,
            timing,
            chain,
            next_number,
            history,
            queue,
            loopback: commands.downgrade(),
        };
        tokio::spawn(task.run());
        Ok(Wheel { commands })
    }

    /// Sends the wheel's state to a connection and subscribes it to wheel events.
    pub async fn join(&self, outbox: Outbox) {
        let _ = self.commands.send(Command::Join { outbox }).await;
    }

    /// Bets on a segment in the current betting window.
    pub async fn bet(
        &self,
        player: PlayerView,
        idem: String,
        amount: Cents,
        segment: Segment,
    ) -> Result<BetAck, RoundError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Bet(BetCommand {
            player,
            idem,
            amount,
            segment,
            reply,
        });
        self.commands
            .send(command)
            .await
            .map_err(|_| RoundError::Unavailable)?;
        answer.await.map_err(|_| RoundError::Unavailable)?
    }
}

/// The latest wheel slots, newest first.
pub async fn recent_slots(pool: &SqlitePool) -> Result<Vec<u32>, sqlx::Error> {
    let rows = sqlx::query("SELECT outcome FROM rounds WHERE game = 'wheel' AND phase = 'ended' ORDER BY id DESC LIMIT ?")
        .bind(WHEEL_HISTORY_ROUNDS as i64)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| row.get::<i64, _>("outcome") as u32)
        .collect())
}

struct LiveBet {
    id: Option<RoundBetId>,
    idem: String,
    username: String,
    stake: i64,
    segment: Segment,
    payout: Option<i64>,
}

impl LiveBet {
    fn view(&self) -> WheelBetView {
        WheelBetView {
            username: self.username.clone(),
            amount: Cents(self.stake),
            segment: self.segment,
            payout: self.payout.map(Cents),
        }
    }
}

struct Round {
    id: RoundId,
    number: i64,
    hash: ChainHash,
    previous_hash: ChainHash,
    slot: u32,
    phase: WheelPhase,
    betting_ends: Instant,
    spin_ends: Option<Instant>,
    bets: HashMap<PlayerId, LiveBet>,
    staked: i64,
    in_flight: usize,
    /// Retries waiting for their original hold's answer.
    waiting: Waiting<BetCommand>,
}

impl Round {
    fn view(&self) -> WheelRoundView {
        let now = Instant::now();
        let spinning = self.phase == WheelPhase::Spinning;
        WheelRoundView {
            id: self.id,
            number: self.number,
            phase: self.phase,
            betting_left_ms: self.betting_ends.saturating_duration_since(now).as_millis() as u64,
            spin_left_ms: self.spin_ends.map_or(0, |end| {
                end.saturating_duration_since(now).as_millis() as u64
            }),
            slot: spinning.then_some(self.slot),
            hash: spinning.then(|| hex::encode(self.hash)),
            previous_hash: hex::encode(self.previous_hash),
        }
    }

    fn bet_views(&self) -> Vec<WheelBetView> {
        self.bets
            .values()
            .filter(|b| b.id.is_some())
            .map(LiveBet::view)
            .collect()
    }
}

struct WheelTask {
    pool: SqlitePool,
    ledger: Ledger,
    hub: Hub,
    timing: WheelTiming,
    chain: Chain,
    next_number: i64,
    history: VecDeque<u32>,
    queue: mpsc::Receiver<Command>,
    loopback: mpsc::WeakSender<Command>,
}

impl WheelTask {
    async fn run(mut self) {
        loop {
            let Some(mut round) = self.open_round().await else {
                return;
            };
            let closes = round.betting_ends;
            if !self.serve_until(&mut round, closes, true).await {
                return;
            }
            self.spin(&mut round).await;
            let stops = round.spin_ends.expect("spinning rounds have an end");
            if !self.serve_until(&mut round, stops, false).await {
                return;
            }
        }
    }

    async fn open_round(&mut self) -> Option<Round> {
        loop {
            if self.next_number as usize > self.chain.hashes.len() {
                match rounds::create_chain(&self.pool, Game::Wheel, rounds::CHAIN_ROUNDS).await {
                    Ok(chain) => (self.chain, self.next_number) = (chain, 1),
                    Err(error) => {
                        tracing::error!(%error, "cannot create a new wheel chain; the wheel stops");
                        return None;
                    }
                }
            }
            let number = self.next_number;
            match self
                .ledger
                .open_round(Game::Wheel, self.chain.id, number)
                .await
            {
                Ok(id) => {
                    self.next_number += 1;
                    let (hash, previous_hash) = self.chain.round(number);
                    let round = Round {
                        id,
                        number,
                        hash,
                        previous_hash,
                        slot: wheel::slot(&self.chain.salt, &hash),
                        phase: WheelPhase::Betting,
                        betting_ends: Instant::now()
                            + Duration::from_millis(self.timing.betting_ms),
                        spin_ends: None,
                        bets: HashMap::new(),
                        staked: 0,
                        in_flight: 0,
                        waiting: Waiting::default(),
                    };
                    let view = round.view();
                    self.hub
                        .publish(WHEEL_TOPIC, |topic, seq| ServerMsg::WheelRound {
                            topic,
                            seq,
                            round: view,
                            bets: vec![],
                        });
                    return Some(round);
                }
                Err(LedgerError::Unavailable) => return None,
                Err(error) => {
                    tracing::error!(%error, "opening a wheel round failed; retrying");
                    tokio::time::sleep(Duration::from_millis(self.timing.spin_ms)).await;
                }
            }
        }
    }

    /// Handles commands until `until`; while betting, also until every hold in flight is answered.
    async fn serve_until(&mut self, round: &mut Round, until: Instant, betting: bool) -> bool {
        loop {
            let passed = Instant::now() >= until;
            if passed && (!betting || round.in_flight == 0) {
                return true;
            }
            let command = tokio::select! {
                command = self.queue.recv() => command,
                _ = tokio::time::sleep_until(until), if !passed => continue,
            };
            let Some(command) = command else { return false };
            self.handle(round, command);
        }
    }

    /// Settles every bet against the slot with the round's end in one batch, then reveals it.
    async fn spin(&mut self, round: &mut Round) {
        let landed = wheel::layout()[round.slot as usize];
        let mut settlements = Vec::with_capacity(round.bets.len());
        for bet in round.bets.values_mut() {
            let Some(id) = bet.id else { continue };
            let outcome = if bet.segment == landed {
                bet.payout = Some(payout_cents(bet.stake, landed.multiplier_x100()));
                BetOutcome::Won {
                    multiplier_x100: landed.multiplier_x100(),
                }
            } else {
                bet.payout = Some(0);
                BetOutcome::Lost
            };
            settlements.push(Settlement { bet: id, outcome });
        }
        let end = RoundEnd::Ended {
            hash: hex::encode(round.hash),
            outcome: i64::from(round.slot),
        };
        if let Err(error) = self.ledger.settle(round.id, settlements, Some(end)).await {
            // Left open, the round is settled by the recovery rule at the next start.
            tracing::error!(%error, round = round.id.0, "settling a wheel round failed");
        }
        round.phase = WheelPhase::Spinning;
        round.spin_ends = Some(Instant::now() + Duration::from_millis(self.timing.spin_ms));
        self.history.push_front(round.slot);
        self.history.truncate(WHEEL_HISTORY_ROUNDS);
        let (view, bets) = (round.view(), round.bet_views());
        self.hub
            .publish(WHEEL_TOPIC, |topic, seq| ServerMsg::WheelRound {
                topic,
                seq,
                round: view,
                bets,
            });
    }

    fn handle(&mut self, round: &mut Round, command: Command) {
        match command {
            Command::Join { outbox } => {
                let (view, bets, history) = (
                    round.view(),
                    round.bet_views(),
                    self.history.iter().copied().collect(),
                );
                self.hub
                    .subscribe_with(WHEEL_TOPIC, &outbox, |topic, seq| ServerMsg::WheelState {
                        topic,
                        seq,
                        round: view,
                        bets,
                        history,
                    });
            }
            Command::Bet(command) => self.bet(round, command),
            Command::HoldDone {
                player,
                result,
                reply,
            } => {
                round.in_flight -= 1;
                match result {
                    Ok(receipt) if !receipt.replayed => {
                        let bet = round
                            .bets
                            .get_mut(&player)
                            .expect("a placing bet stays until answered");
                        bet.id = Some(receipt.bet);
                        let (id, view) = (round.id, bet.view());
                        self.hub
                            .publish(WHEEL_TOPIC, |topic, seq| ServerMsg::WheelBet {
                                topic,
                                seq,
                                round: id,
                                bet: view,
                            });
                        let _ = reply.send(Ok(receipt.into()));
                    }
                    answer => {
                        // Refused, or the key placed a bet in an earlier round: nothing was
                        // held for this one.
                        if let Some(bet) = round.bets.remove(&player) {
                            round.staked -= bet.stake;
                        }
                        let _ = reply.send(answer.map(BetAck::from).map_err(RoundError::from));
                    }
                }
                for retry in round.waiting.take(player) {
                    self.bet(round, retry);
                }
            }
        }
    }

    fn bet(&mut self, round: &mut Round, command: BetCommand) {
        let current = round
            .bets
            .get(&command.player.id)
            .map(|bet| (bet.idem.as_str(), bet.id.is_none()));
        let route = bets::route(current, &command.idem);
        if route == BetRoute::Wait {
            if let Err(refused) = round.waiting.add(command.player.id, command) {
                let _ = refused.reply.send(Err(RoundError::Busy));
            }
            return;
        }
        let BetCommand {
            player,
            idem,
            amount,
            segment,
            reply,
        } = command;
        let request = RoundBetRequest {
            game: Game::Wheel,
            round: round.id,
            idem,
            amount,
            auto_cashout_x100: None,
            segment: Some(segment),
        };
        let refusal = match route {
            BetRoute::Replay => Some(RoundError::AlreadyBet),
            _ => check_bet(round, &player, amount).err(),
        };
        match refusal {
            Some(refusal) if bets::may_be_retry(&refusal) => {
                bets::answer_from_ledger(&self.ledger, player.id, request, refusal, reply);
                return;
            }
            Some(refusal) => {
                let _ = reply.send(Err(refusal));
                return;
            }
            None => {}
        }
        round.staked += amount.0;
        round.in_flight += 1;
        let bet = LiveBet {
            id: None,
            idem: request.idem.clone(),
            username: player.username.clone(),
            stake: amount.0,
            segment,
            payout: None,
        };
        round.bets.insert(player.id, bet);
        let ledger = self.ledger.clone();
        let player = player.id;
        rounds::spawn_and_report(
            &self.loopback,
            async move { ledger.round_bet(player, request).await },
            move |result| Command::HoldDone {
                player,
                result,
                reply,
            },
        );
    }
}

fn check_bet(round: &Round, player: &PlayerView, amount: Cents) -> Result<(), RoundError> {
    let open = round.phase == WheelPhase::Betting && Instant::now() < round.betting_ends;
    rounds::check_new_bet(
        open,
        round.bets.contains_key(&player.id),
        amount,
        round.staked,
        WHEEL_ROUND_STAKES_CENTS_MAX,
    )
}
