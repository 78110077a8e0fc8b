//! Public profiles against real databases: statistics over a player's settled bets, equal to
//! what their bets say, and hidden when the player hides them.

mod common;

use common::{fresh_engine, player, Db};
use engine::profiles::{profile, set_stats_hidden};
use protocol::Cents;

async fn a_profile_sums_the_players_settled_bets_unless_hidden(db: Db) {
    let (engine, _dir) = fresh_engine(db).await;
    let alice = player(&engine, "Alice").await;
    let pool = engine.store().pool();
    let fresh = profile(pool, engine.leaderboards(), "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fresh.username, "Alice");
    assert_eq!(fresh.stats.as_ref().unwrap().bets, 0);

    let mut bets = Vec::new();
    for i in 0..6 {
        let receipt = engine
            .ledger()
            .dice_bet(alice, &format!("p{i}"), Cents(100 + i), 5_000)
            .await
            .unwrap();
        bets.push(receipt.bet);
    }
    let stats = profile(pool, engine.leaderboards(), "ALICE")
        .await
        .unwrap()
        .unwrap()
        .stats
        .unwrap();
    assert_eq!(stats.bets, 6);
    assert_eq!(
        stats.wagered.0,
        bets.iter().map(|b| b.amount.0).sum::<i64>()
    );
    let profits: Vec<i64> = bets.iter().map(|b| b.payout.0 - b.amount.0).collect();
    assert_eq!(stats.profit.0, profits.iter().sum::<i64>());
    let biggest = profits.iter().copied().filter(|p| *p > 0).max().map(Cents);
    assert_eq!(stats.biggest_win, biggest);
    assert_eq!(stats.recent.len(), 6);
    assert!(stats.recent.iter().all(|bet| bet.game == "dice"));

    set_stats_hidden(pool, alice, true).await.unwrap();
    let hidden = profile(pool, engine.leaderboards(), "alice")
        .await
        .unwrap()
        .unwrap();
    assert!(hidden.stats.is_none());
    assert!(profile(pool, engine.leaderboards(), "nobody")
        .await
        .unwrap()
        .is_none());
}

on_each_database!(a_profile_sums_the_players_settled_bets_unless_hidden);
