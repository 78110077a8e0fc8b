//! What the writer reads on its own connection: on SQLite the state it then keeps in memory
//! (system balances, next ids, players as they are first touched), and on both databases what a
//! batch needs (open round bets, stored idempotency keys with their receipts).

use super::*;

/// The system accounts' balances.
pub(super) async fn system_balances_sqlite(
    conn: &mut SqliteConnection,
) -> Result<HashMap<AccountId, i64>, sqlx::Error> {
    let mut system = HashMap::new();
    for account in [TREASURY, HOUSE, IN_PLAY] {
        let balance: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE id = $1")
            .bind(account.0)
            .fetch_one(&mut *conn)
            .await?;
        system.insert(account, balance);
    }
    Ok(system)
}

/// SQLite: every id above the highest stored (this writer alone inserts these rows).
pub(super) async fn next_ids_sqlite(conn: &mut SqliteConnection) -> Result<NextIds, sqlx::Error> {
    let mut next = NextIds::default();
    for (ids, table) in next.each_mut().into_iter().zip(ID_TABLES) {
        let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}");
        *ids = Ids::from(sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?);
    }
    Ok(next)
}

/// Loads the state of every touched player that is not cached; returns the players whose
/// state could not be read (their commands fail with a storage error).
pub(super) async fn load_players_sqlite(
    conn: &mut SqliteConnection,
    cache: &mut HashMap<PlayerId, PlayerState>,
    touched: &[PlayerId],
) -> HashSet<PlayerId> {
    let mut unavailable = HashSet::new();
    for &player in touched {
        if cache.contains_key(&player) || unavailable.contains(&player) {
            continue;
        }
        match load_player_sqlite(conn, player).await {
            Ok(Some(state)) => {
                cache.insert(player, state);
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

pub(super) async fn load_player_sqlite(
    conn: &mut SqliteConnection,
    player: PlayerId,
) -> Result<Option<PlayerState>, sqlx::Error> {
    let sql = format!("{PLAYER_STATE_SQL} WHERE a.user_id = $1");
    let row = sqlx::query(&sql)
        .bind(player.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|row| player_state(&row)))
}

/// A player's ledger state, with their active seed: read with [`player_state`].
pub(in crate::ledger) const PLAYER_STATE_SQL: &str =
    "SELECT a.user_id, a.id, a.balance, u.username, u.created_at AS joined_at, \
        s.id AS seed_id, s.server_seed, s.commitment, s.client_seed, \
        (SELECT COALESCE(MAX(nonce) + 1, 0) FROM dice_bets b WHERE b.seed_id = s.id) AS next_nonce \
     FROM accounts a JOIN users u ON u.id = a.user_id \
     JOIN server_seeds s ON s.user_id = a.user_id AND s.revealed_at IS NULL";

pub(in crate::ledger) fn player_state<R: Row>(row: &R) -> PlayerState
where
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    PlayerState {
        account: AccountId(row.get("id")),
        balance: row.get("balance"),
        username: row.get("username"),
        joined_ms: row.get("joined_at"),
        seed: ActiveSeed {
            id: SeedId(row.get("seed_id")),
            server_seed: row.get("server_seed"),
            commitment: row.get("commitment"),
            client_seed: row.get("client_seed"),
            next_nonce: row.get::<i64, _>("next_nonce") as u64,
        },
    }
}

/// The tables whose ids the writer hands out, in the order of [`NextIds::each`].
pub(in crate::ledger) const ID_TABLES: [&str; 6] = [
    "ledger_txs",
    "dice_bets",
    "server_seeds",
    "accounts",
    "rounds",
    "round_bets",
];

/// The reads a batch makes on the writer's own connection, the same on both databases: each
/// function is written once and compiled for each connection type.
macro_rules! batch_reads {
    ($conn:ty, $db:ty, $open_bets:ident, $known_keys:ident, $round_receipt:ident) => {
        /// Round bets whose stakes are held.
        pub(in crate::ledger) async fn $open_bets(
            conn: &mut $conn,
        ) -> Result<HashMap<RoundBetId, OpenBet>, sqlx::Error> {
            let rows = sqlx::query(
                "SELECT b.id, b.user_id, b.round_id, b.amount, r.game FROM round_bets b \
                 JOIN rounds r ON r.id = b.round_id WHERE b.status = 'open'",
            )
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows
                .into_iter()
                .map(|row| {
                    let bet = OpenBet {
                        player: PlayerId(row.get("user_id")),
                        round: RoundId(row.get("round_id")),
                        stake: Cents(row.get("amount")),
                        game: round_game(row.get("game")),
                    };
                    (RoundBetId(row.get("id")), bet)
                })
                .collect())
        }

        /// Keys of this batch already stored, with the receipts they produced.
        pub(in crate::ledger) async fn $known_keys(
            conn: &mut $conn,
            keys: &HashMap<String, KeyKind>,
        ) -> Result<HashMap<String, KnownKey>, sqlx::Error> {
            let mut found: Vec<(String, String, StoredReceipt)> = Vec::new();
            let listed: Vec<&String> = keys.keys().collect();
            for chunk in listed.chunks(SQL_BIND_PARAMS_MAX) {
                let mut q = QueryBuilder::<$db>::new(
                    "SELECT scoped_key, fingerprint, result FROM idempotency WHERE scoped_key IN (",
                );
                let mut list = q.separated(", ");
                for key in chunk {
                    list.push_bind(key.as_str());
                }
                q.push(")");
                for row in q.build().fetch_all(&mut *conn).await? {
                    let (key, result): (String, String) =
                        (row.get("scoped_key"), row.get("result"));
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
                        KnownReceipt::Round($round_receipt(conn, bet.0, balance).await?)
                    }
                    StoredReceipt::Dice { bet, balance } => {
                        let sql = format!(
                            "SELECT {DICE_BET_COLUMNS} FROM dice_bets b JOIN server_seeds s ON s.id = b.seed_id WHERE b.id = $1"
                        );
                        let row = sqlx::query(&sql)
                            .bind(bet.0)
                            .fetch_one(&mut *conn)
                            .await?;
                        let bet = dice_bet_view(&row);
                        KnownReceipt::Dice(DiceReceipt { bet, balance })
                    }
                    StoredReceipt::Adjustment { tx, balance } => {
                        KnownReceipt::Adjustment(Adjustment {
                            tx,
                            balance,
                            repeated: true,
                        })
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
        async fn $round_receipt(
            conn: &mut $conn,
            bet: i64,
            balance: Cents,
        ) -> Result<RoundBetReceipt, sqlx::Error> {
            let row = sqlx::query("SELECT round_id, status, payout FROM round_bets WHERE id = $1")
                .bind(bet)
                .fetch_one(&mut *conn)
                .await?;
            let stored: String = row.get("status");
            let status = RoundBetStatus::parse(&stored).ok_or_else(|| {
                sqlx::Error::Protocol(format!("unknown round bet status {stored:?}"))
            })?;
            Ok(RoundBetReceipt {
                bet: RoundBetId(bet),
                round: RoundId(row.get("round_id")),
                balance,
                status,
                payout: row.get::<Option<i64>, _>("payout").map(Cents),
                replayed: true,
            })
        }
    };
}

batch_reads!(
    SqliteConnection,
    Sqlite,
    open_bets_sqlite,
    known_keys_sqlite,
    round_receipt_sqlite
);
batch_reads!(
    PgConnection,
    Postgres,
    open_bets_pg,
    known_keys_pg,
    round_receipt_pg
);
