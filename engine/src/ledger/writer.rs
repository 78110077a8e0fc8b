//! The single ledger writer: drains its queue into a batch, applies the batch to a working
//! copy, commits it in one transaction, then adopts the copy, answers and publishes.

use super::checkpoint::Checkpointer;
use super::command::{self, Op, Reply, Request};
use super::idempotency::{scoped_key, KeyKind, KnownKey, KnownReceipt, StoredReceipt};
use super::results::{DiceReceipt, LedgerError, RoundBetReceipt};
use super::work::{
    self, ActiveSeed, NextIds, OpenBet, PlayerState, Work, HOUSE, IN_PLAY, TREASURY,
};
use crate::history::{dice_bet_view, DICE_BET_COLUMNS};
use crate::hub::Hub;
use crate::limits::{LEDGER_CACHE_PLAYERS_MAX, SQL_BIND_PARAMS_MAX};
use crate::recent::RecentFeed;
use crate::store::{now_ms, Store};
use protocol::ids::{AccountId, RoundBetId, RoundId, SeedId};
use protocol::wire::RoundBetStatus;
use protocol::{Cents, PlayerId};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::{HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

pub struct Writer {
    conn: SqliteConnection,
    checkpoints: Checkpointer,
    hub: Hub,
    players: HashMap<PlayerId, PlayerState>,
    system: HashMap<AccountId, i64>,
    next: NextIds,
    /// Round bets whose stakes are held, by bet.
    open_bets: HashMap<RoundBetId, OpenBet>,
    /// The public dice feed: what it may still carry, and its latest bets.
    feed: work::Feed,
}

impl Writer {
    pub async fn open(store: &Store, hub: Hub, recent: RecentFeed) -> Result<Writer, sqlx::Error> {
        let mut conn = store.writer_connection().await?;
        let mut system = HashMap::new();
        for account in [TREASURY, HOUSE, IN_PLAY] {
            let balance: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = ?")
                .bind(account.0)
                .fetch_one(&mut conn)
                .await?;
            system.insert(account, balance);
        }
        let next_id = |table: &'static str| format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}");
        let next = NextIds {
            tx: sqlx::query_scalar(&next_id("ledger_txs"))
                .fetch_one(&mut conn)
                .await?,
            bet: sqlx::query_scalar(&next_id("dice_bets"))
                .fetch_one(&mut conn)
                .await?,
            seed: sqlx::query_scalar(&next_id("server_seeds"))
                .fetch_one(&mut conn)
                .await?,
            account: sqlx::query_scalar(&next_id("accounts"))
                .fetch_one(&mut conn)
                .await?,
            round: sqlx::query_scalar(&next_id("rounds"))
                .fetch_one(&mut conn)
                .await?,
            round_bet: sqlx::query_scalar(&next_id("round_bets"))
                .fetch_one(&mut conn)
                .await?,
        };
        let open_bets = sqlx::query(
            "SELECT id, user_id, round_id, amount FROM round_bets WHERE status = 'open'",
        )
        .fetch_all(&mut conn)
        .await?
        .into_iter()
        .map(|row| {
            let bet = OpenBet {
                player: PlayerId(row.get("user_id")),
                round: RoundId(row.get("round_id")),
                stake: Cents(row.get("amount")),
            };
            (RoundBetId(row.get("id")), bet)
        })
        .collect();
        Ok(Writer {
            conn,
            checkpoints: Checkpointer::new(store.pool().clone()),
            hub,
            players: HashMap::new(),
            system,
            next,
            open_bets,
            feed: work::Feed {
                budget: work::feed_budget(),
                recent,
            },
        })
    }

    pub async fn run(mut self, mut queue: mpsc::Receiver<Request>, batch_max: usize) {
        let mut batch = Vec::with_capacity(batch_max);
        loop {
            // Cancel-safe: a timeout loses no command.
            let wait = self.checkpoints.idle_wait();
            match tokio::time::timeout(wait, queue.recv_many(&mut batch, batch_max)).await {
                Ok(0) => break,
                Ok(_) => self.process(std::mem::take(&mut batch)).await,
                // Idle: checkpoints go on.
                Err(_) => {}
            }
            self.checkpoints.tick(&mut self.conn).await;
        }
        tracing::info!("ledger writer stopped");
    }

    /// Applies a batch to a working copy, commits its rows in one transaction, and only then
    /// adopts the copy, answers and publishes.
    async fn process(&mut self, batch: Vec<Request>) {
        if self.players.len() > LEDGER_CACHE_PLAYERS_MAX {
            self.players.clear();
        }
        let unavailable = self.load_players(&batch).await;
        let started = std::time::Instant::now();
        let known = match self.known_keys(&batch_keys(&batch)).await {
            Ok(known) => known,
            Err(error) => {
                tracing::error!(%error, "reading idempotency keys failed");
                fail_all(batch);
                return;
            }
        };
        let mut work = Work::new(
            &self.players,
            self.system.clone(),
            self.next,
            known,
            &self.open_bets,
            now_ms(),
        );
        let mut replies: Vec<(Answer, Result<Reply, LedgerError>)> =
            Vec::with_capacity(batch.len());
        for Request { player, op, reply } in batch {
            let result = if unavailable.contains(&player) {
                Err(LedgerError::Storage)
            } else {
                command::apply(&mut work, player, op)
            };
            replies.push((reply, result));
        }
        let Work {
            players,
            system,
            next,
            rows,
            events,
            opened_bets,
            settled_bets,
            ..
        } = work;
        if !rows.is_empty() {
            if let Err(error) = rows.commit(&mut self.conn).await {
                tracing::error!(%error, commands = replies.len(), "ledger batch failed; nothing was written");
                for (reply, _) in replies {
                    let _ = reply.send(Err(LedgerError::Storage));
                }
                return;
            }
        }
        tracing::debug!(
            commands = replies.len(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "ledger batch committed"
        );
        // Durable now: adopt the working copy, answer, publish.
        self.players.extend(players);
        self.system = system;
        self.next = next;
        self.open_bets.extend(opened_bets);
        self.open_bets.retain(|bet, _| !settled_bets.contains(bet));
        for (reply, result) in replies {
            let _ = reply.send(result);
        }
        work::publish(&self.hub, events, &self.players, &self.feed);
    }

    /// Loads the state of every player the batch touches that is not cached; returns the
    /// players whose state could not be read (their commands fail with a storage error).
    async fn load_players(&mut self, batch: &[Request]) -> HashSet<PlayerId> {
        let mut unavailable = HashSet::new();
        for player in self.touched(batch) {
            if self.players.contains_key(&player) || unavailable.contains(&player) {
                continue;
            }
            match self.load_player(player).await {
                Ok(Some(state)) => {
                    self.players.insert(player, state);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(%error, %player, "loading a player's ledger state failed");
                    unavailable.insert(player);
                }
            }
        }
        unavailable
    }

    /// The players whose balances a batch may move.
    fn touched(&self, batch: &[Request]) -> Vec<PlayerId> {
        let mut touched = Vec::with_capacity(batch.len());
        for request in batch {
            let Op::Settle {
                round,
                settlements,
                end,
            } = &request.op
            else {
                touched.push(request.player);
                continue;
            };
            let listed = settlements
                .iter()
                .filter_map(|s| self.open_bets.get(&s.bet));
            touched.extend(listed.map(|b| b.player));
            // Ending a round settles every bet still open in it.
            if end.is_some() {
                let open = self.open_bets.values().filter(|b| b.round == *round);
                touched.extend(open.map(|b| b.player));
            }
        }
        touched
    }

    async fn load_player(&mut self, player: PlayerId) -> Result<Option<PlayerState>, sqlx::Error> {
        let Some(row) = sqlx::query(
            "SELECT a.id, a.balance, u.username FROM accounts a JOIN users u ON u.id = a.user_id WHERE a.user_id = ?",
        )
        .bind(player.0)
        .fetch_optional(&mut self.conn)
        .await?
        else {
            return Ok(None);
        };
        let seed = sqlx::query(
            "SELECT s.id, s.server_seed, s.commitment, s.client_seed, \
                    (SELECT COALESCE(MAX(nonce) + 1, 0) FROM dice_bets b WHERE b.seed_id = s.id) AS next_nonce \
             FROM server_seeds s WHERE s.user_id = ? AND s.revealed_at IS NULL",
        )
        .bind(player.0)
        .fetch_one(&mut self.conn)
        .await?;
        Ok(Some(PlayerState {
            account: AccountId(row.get("id")),
            balance: row.get("balance"),
            username: row.get("username"),
            seed: ActiveSeed {
                id: SeedId(seed.get("id")),
                server_seed: seed.get("server_seed"),
                commitment: seed.get("commitment"),
                client_seed: seed.get("client_seed"),
                next_nonce: seed.get::<i64, _>("next_nonce") as u64,
            },
        }))
    }

    /// Keys of this batch already stored, with the receipts they produced.
    async fn known_keys(
        &mut self,
        keys: &HashMap<String, KeyKind>,
    ) -> Result<HashMap<String, KnownKey>, sqlx::Error> {
        let mut found: Vec<(String, String, StoredReceipt)> = Vec::new();
        let listed: Vec<&String> = keys.keys().collect();
        for chunk in listed.chunks(SQL_BIND_PARAMS_MAX) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT scoped_key, fingerprint, result FROM idempotency WHERE scoped_key IN (",
            );
            let mut list = q.separated(", ");
            for key in chunk {
                list.push_bind(key);
            }
            q.push(")");
            for row in q.build().fetch_all(&mut self.conn).await? {
                let (key, result): (String, String) = (row.get("scoped_key"), row.get("result"));
                let Some(receipt) = keys
                    .get(&key)
                    .and_then(|kind| StoredReceipt::from_column(&result, *kind))
                else {
                    tracing::error!(%result, "unreadable idempotency result");
                    return Err(sqlx::Error::Protocol(
                        "unreadable idempotency result".into(),
                    ));
                };
                found.push((key, row.get("fingerprint"), receipt));
            }
        }
        // Retries are rare: fetch the original bets one by one.
        let mut known = HashMap::with_capacity(found.len());
        for (key, fingerprint, stored) in found {
            let receipt = match stored {
                StoredReceipt::Round { bet, balance } => {
                    KnownReceipt::Round(self.round_receipt(bet.0, balance).await?)
                }
                StoredReceipt::Dice { bet, balance } => {
                    let sql = format!(
                        "SELECT {DICE_BET_COLUMNS} FROM dice_bets b JOIN server_seeds s ON s.id = b.seed_id WHERE b.id = ?"
                    );
                    let row = sqlx::query(&sql)
                        .bind(bet.0)
                        .fetch_one(&mut self.conn)
                        .await?;
                    let bet = dice_bet_view(&row);
                    KnownReceipt::Dice(DiceReceipt { bet, balance })
                }
                StoredReceipt::Grant { .. } => continue,
            };
            known.insert(
                key,
                KnownKey {
                    fingerprint,
                    receipt,
                },
            );
        }
        Ok(known)
    }

    /// A stored round bet as a retry's receipt: its round and where it stands now.
    async fn round_receipt(
        &mut self,
        bet: i64,
        balance: Cents,
    ) -> Result<RoundBetReceipt, sqlx::Error> {
        let row = sqlx::query("SELECT round_id, status, payout FROM round_bets WHERE id = ?")
            .bind(bet)
            .fetch_one(&mut self.conn)
            .await?;
        let stored: String = row.get("status");
        let status = RoundBetStatus::parse(&stored)
            .ok_or_else(|| sqlx::Error::Protocol(format!("unknown round bet status {stored:?}")))?;
        Ok(RoundBetReceipt {
            bet: RoundBetId(bet),
            round: RoundId(row.get("round_id")),
            balance,
            status,
            payout: row.get::<Option<i64>, _>("payout").map(Cents),
            replayed: true,
        })
    }
}

/// Where a command's answer goes.
type Answer = oneshot::Sender<Result<Reply, LedgerError>>;

/// The idempotency keys a batch's commands carry, with their kinds.
fn batch_keys(batch: &[Request]) -> HashMap<String, KeyKind> {
    batch
        .iter()
        .filter_map(|r| match &r.op {
            Op::Dice { idem, .. } => {
                Some((scoped_key(r.player, KeyKind::Dice, idem), KeyKind::Dice))
            }
            Op::RoundBet(bet) | Op::FindRoundBet(bet) => Some((
                scoped_key(r.player, KeyKind::Round, &bet.idem),
                KeyKind::Round,
            )),
            _ => None,
        })
        .collect()
}

fn fail_all(batch: Vec<Request>) {
    for request in batch {
        let _ = request.reply.send(Err(LedgerError::Storage));
    }
}
