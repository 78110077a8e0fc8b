//! Leaderboards against real databases: after a sequence of bets the boards equal a
//! recomputation from the ledger (also after a restart, which rebuilds them from it), periods
//! roll over by the injected clock, and a bet settled on one node reaches another node's boards.

mod common;

use common::{database, player, Db};
use engine::leaderboard::Clock;
use engine::{Engine, EngineConfig};
use protocol::leaderboard::{
    BoardKey, Metric, Period, Ranked, Scope, LEADERBOARD_PROFIT_WAGER_MIN, LEADERBOARD_TOP,
};
use protocol::{Cents, PlayerId};
use sqlx::Row;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long a test waits for the boards to take in bets (they do within a publish period).
const WAIT: Duration = Duration::from_secs(10);

async fn engine_at(url: &str, clock: &Arc<AtomicI64>, redis: Option<(String, String)>) -> Engine {
    let now = clock.clone();
    Engine::start_with(EngineConfig {
        database_url: url.to_owned(),
        redis_url: redis.as_ref().map(|(url, _)| url.clone()),
        redis_prefix: redis.map(|(_, prefix)| prefix).unwrap_or_default(),
        leaderboard_clock: Clock::from_fn(move || now.load(Ordering::Relaxed)),
        ..EngineConfig::default()
    })
    .await
    .unwrap()
}

fn key(scope: Scope, period: Period, metric: Metric) -> BoardKey {
    BoardKey {
        scope,
        period,
        metric,
    }
}

/// Each player's (id, username, wagered, profit) over their dice bets, read from the ledger.
async fn ledger_totals(engine: &Engine) -> Vec<(i64, String, i64, i64)> {
    sqlx::query(
        "SELECT u.id, u.username, CAST(SUM(b.amount) AS BIGINT), \
         CAST(SUM(b.payout - b.amount) AS BIGINT) FROM dice_bets b \
         JOIN users u ON u.id = b.user_id GROUP BY u.id, u.username",
    )
    .fetch_all(engine.store().pool())
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
    .collect()
}

/// The board recomputed from scratch: highest score first, ties to the lower id.
fn expected(totals: &[(i64, String, i64, i64)], metric: Metric) -> Vec<Ranked> {
    let mut rows: Vec<(i64, i64, String)> = totals
        .iter()
        .filter(|t| metric == Metric::Wagered || t.2 >= LEADERBOARD_PROFIT_WAGER_MIN.0)
        .map(|(id, name, wagered, profit)| {
            let score = if metric == Metric::Profit {
                *profit
            } else {
                *wagered
            };
            (score, *id, name.clone())
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    (1..)
        .zip(rows)
        .map(|(rank, (score, _, username))| Ranked {
            rank,
            username,
            score: Cents(score),
        })
        .collect()
}

/// Waits until every dice and overall board, each period, shows the recomputation.
async fn boards_equal_the_ledger(engine: &Engine, periods: &[Period]) {
    let totals = ledger_totals(engine).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut differ = Vec::new();
        for scope in [Scope::Overall, Scope::Dice] {
            for period in periods {
                for metric in Metric::ALL {
                    let want = expected(&totals, metric);
                    let board = engine
                        .leaderboards()
                        .board(key(scope, *period, metric), None);
                    let top: Vec<Ranked> = want.iter().take(LEADERBOARD_TOP).cloned().collect();
                    if board.top != top || board.players != want.len() as u64 {
                        differ.push((scope, *period, metric, board.top, top));
                    }
                }
            }
        }
        if differ.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "boards differ from the ledger: {differ:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `done` holds (the boards take bets in and roll over on their own task).
async fn eventually(done: impl Fn() -> bool, what: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Bets of several sizes and chances by four players; two pass the profit minimum.
async fn play(engine: &Engine) -> Vec<PlayerId> {
    let mut players = Vec::new();
    for (i, name) in ["ana", "ben", "cyd", "dee"].into_iter().enumerate() {
        let id = player(engine, name).await;
        let (count, amount) = [(12, 1_000), (3, 500), (25, 600), (1, 20_000)][i];
        for n in 0..count {
            let target = [2_000, 5_000, 9_000][n % 3];
            engine
                .ledger()
                .dice_bet(id, &format!("{name}-{n}"), Cents(amount), target)
                .await
                .unwrap();
        }
        players.push(id);
    }
    players
}

async fn boards_equal_a_recomputation_from_the_ledger_and_survive_a_restart(db: Db) {
    let (url, _dir) = database(db).await;
    let clock = Arc::new(AtomicI64::new(engine::store::now_ms()));
    let engine = engine_at(&url, &clock, None).await;
    let players = play(&engine).await;
    boards_equal_the_ledger(&engine, &Period::ALL).await;
    // A player outside the top still sees their rank.
    let wagered = key(Scope::Overall, Period::All, Metric::Wagered);
    let ranks: Vec<u64> = players
        .iter()
        .map(|p| engine.leaderboards().rank(wagered, *p).unwrap().rank)
        .collect();
    let mut sorted = ranks.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![1, 2, 3, 4]);
    drop(engine);

    // A restart builds the same boards from the ledger.
    let engine = engine_at(&url, &clock, None).await;
    boards_equal_the_ledger(&engine, &Period::ALL).await;
}

async fn periods_roll_over_at_midnight_utc_by_the_clock(db: Db) {
    let (url, _dir) = database(db).await;
    let clock = Arc::new(AtomicI64::new(engine::store::now_ms()));
    let engine = engine_at(&url, &clock, None).await;
    play(&engine).await;
    boards_equal_the_ledger(&engine, &Period::ALL).await;
    let today = Period::Day.start_ms(clock.load(Ordering::Relaxed)).unwrap();
    let players = |period| {
        let board = engine
            .leaderboards()
            .board(key(Scope::Overall, period, Metric::Wagered), None);
        board.players
    };

    // One millisecond before midnight nothing moves; at midnight today's boards start over.
    clock.store(today + 86_400_000 - 1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(players(Period::Day), 4);
    clock.store(today + 86_400_000, Ordering::Relaxed);
    eventually(|| players(Period::Day) == 0, "the day rolls over").await;
    assert_eq!(players(Period::All), 4);
    // A week later the week's boards have started over too; all time keeps everything.
    clock.store(today + 8 * 86_400_000, Ordering::Relaxed);
    eventually(|| players(Period::Week) == 0, "the week rolls over").await;
    boards_equal_the_ledger(&engine, &[Period::All]).await;
    // A bet now counts in the new day.
    let late = player(&engine, "late").await;
    engine
        .ledger()
        .dice_bet(late, "late", Cents(300), 5_000)
        .await
        .unwrap();
    eventually(|| players(Period::Day) == 1, "the new day counts the bet").await;
}

on_each_database!(
    boards_equal_a_recomputation_from_the_ledger_and_survive_a_restart,
    periods_roll_over_at_midnight_utc_by_the_clock
);

#[tokio::test]
async fn a_bet_settled_on_one_node_reaches_the_other_nodes_boards() {
    let url = engine::testing::postgres_database().await;
    let redis = engine::testing::redis();
    let clock = Arc::new(AtomicI64::new(engine::store::now_ms()));
    let a = engine_at(&url, &clock, Some(redis.clone())).await;
    let b = engine_at(&url, &clock, Some(redis)).await;
    play(&a).await;
    boards_equal_the_ledger(&b, &Period::ALL).await;
    boards_equal_the_ledger(&a, &Period::ALL).await;
}
