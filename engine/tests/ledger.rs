//! The ledger against real databases: each test runs on a fresh SQLite file and on a fresh
//! PostgreSQL database; the last ones run two engines (two nodes) on one PostgreSQL database.

mod common;

use engine::ledger::{DiceReceipt, LedgerError};
use engine::Engine;
use protocol::limits::SIGNUP_GRANT_CENTS;
use protocol::{dice, fair, Cents};

use common::{database, fresh_engine, player, Db, IP};

async fn assert_ledger_balanced(engine: &Engine) {
    let history = engine.history();
    assert_eq!(history.ledger_sum().await.unwrap(), 0);
    assert_eq!(history.unbalanced_transactions().await.unwrap(), 0);
    assert!(history.balances_match_entries().await.unwrap());
}

async fn a_new_account_gets_the_signup_grant_once(db: Db) {
    let (engine, _dir) = fresh_engine(db).await;
    let alice = player(&engine, "alice").await;
    assert_eq!(
        engine.ledger().snapshot(alice).await.unwrap().balance,
        SIGNUP_GRANT_CENTS
    );
    // Logging in again re-runs the idempotent wallet opening: no second grant.
    engine
        .accounts()
        .login("alice", "password1", IP)
        .await
        .unwrap();
    assert_eq!(
        engine.ledger().snapshot(alice).await.unwrap().balance,
        SIGNUP_GRANT_CENTS
    );
    let grants = engine.history().transactions(alice).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].kind, "grant");
    assert_ledger_balanced(&engine).await;
}

async fn a_dice_bet_moves_exactly_the_stake_and_payout(db: Db) {
    let (engine, _dir) = fresh_engine(db).await;
    let alice = player(&engine, "alice").await;
    let receipt = engine
        .ledger()
        .dice_bet(alice, "k1", Cents(1_000), 5_000)
        .await
        .unwrap();
    let expected = SIGNUP_GRANT_CENTS.0 - 1_000 + receipt.bet.payout.0;
    assert_eq!(receipt.balance, Cents(expected));
    assert_eq!(
        receipt.bet.payout,
        if receipt.bet.roll < 5_000 {
            Cents(1_980)
        } else {
            Cents(0)
        }
    );
    assert_eq!(
        engine.ledger().snapshot(alice).await.unwrap().balance,
        Cents(expected)
    );
    assert_ledger_balanced(&engine).await;
}

async fn a_retry_with_the_same_key_returns_the_original_result(db: Db) {
    let (engine, _dir) = fresh_engine(db).await;
    let alice = player(&engine, "alice").await;
    let first = engine
        .ledger()
        .dice_bet(alice, "same", Cents(500), 4_000)
        .await
        .unwrap();
    let retry = engine
        .ledger()
        .dice_bet(alice, "same", Cents(500), 4_000)
        .await
        .unwrap();
    assert_eq!(first, retry);
    assert_eq!(engine.history().bets(alice, false).await.unwrap().len(), 1);
    assert_eq!(
        engine
            .ledger()
            .dice_bet(alice, "same", Cents(501), 4_000)
            .await,
        Err(LedgerError::IdempotencyConflict)
    );
    assert_ledger_balanced(&engine).await;
}

async fn a_bet_larger_than_the_balance_is_refused_and_changes_nothing(db: Db) {
    let (engine, _dir) = fresh_engine(db).await;
    let alice = player(&engine, "alice").await;
    let before = engine.ledger().snapshot(alice).await.unwrap();
    let refused = engine
        .ledger()
        .dice_bet(alice, "big", Cents(SIGNUP_GRANT_CENTS.0 + 1), 5_000)
        .await;
    assert!(matches!(
        refused,
        Err(LedgerError::InsufficientFunds { .. })
    ));
    assert_eq!(engine.ledger().snapshot(alice).await.unwrap(), before);
    assert!(engine
        .history()
        .bets(alice, false)
        .await
        .unwrap()
        .is_empty());
    // The refused key was not consumed: it can still be used.
    engine
        .ledger()
        .dice_bet(alice, "big", Cents(100), 5_000)
        .await
        .unwrap();
}

async fn of_100_concurrent_bets_for_the_whole_balance_exactly_one_is_accepted(db: Db) {
    let (engine, _dir) = fresh_engine(db).await;
    let alice = player(&engine, "alice").await;
    // A 1% target: the accepted bet almost always loses, after which nothing is left. In the
    // rare win the balance grows and a later all-in may be accepted too; then every accepted
    // bet must still have been covered by the balance before it.
    let bets = (0..100).map(|i| {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .ledger()
                .dice_bet(alice, &format!("all-in-{i}"), SIGNUP_GRANT_CENTS, 100)
                .await
        })
    });
    all_ins_covered(futures_join(bets).await);
    assert_ledger_balanced(&engine).await;
}

/// Checks the results of all-in bets placed at once: refusals are for insufficient funds, at
/// least one was accepted, exactly one unless it won, and each accepted bet was covered by the
/// balance before it. Returns the accepted receipts in the order they were placed, and the
/// final balance.
fn all_ins_covered(results: Vec<Result<DiceReceipt, LedgerError>>) -> (Vec<DiceReceipt>, i64) {
    assert!(results
        .iter()
        .filter(|r| r.is_err())
        .all(|r| matches!(r, Err(LedgerError::InsufficientFunds { .. }))));
    let mut accepted: Vec<_> = results.into_iter().filter_map(Result::ok).collect();
    // The seed's nonces count the bets in the order they were placed, on any node (ids drawn
    // in ranges by two nodes do not).
    accepted.sort_by_key(|receipt| receipt.bet.nonce);
    assert!(!accepted.is_empty());
    if accepted[0].bet.payout == Cents::ZERO {
        assert_eq!(accepted.len(), 1);
        assert_eq!(accepted[0].balance, Cents::ZERO);
    }
    let mut balance = SIGNUP_GRANT_CENTS.0;
    for receipt in &accepted {
        assert!(balance >= receipt.bet.amount.0);
        balance += receipt.bet.payout.0 - receipt.bet.amount.0;
        assert_eq!(receipt.balance, Cents(balance));
    }
    (accepted, balance)
}

async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.unwrap());
    }
    out
}

async fn rotating_reveals_a_seed_that_verifies_every_roll_it_made(db: Db) {
    let (engine, _dir) = fresh_engine(db).await;
    let alice = player(&engine, "alice").await;
    let committed = engine.ledger().snapshot(alice).await.unwrap().seed;
    engine
        .ledger()
        .set_client_seed(alice, "my own seed")
        .await
        .unwrap();
    let mut receipts = Vec::new();
    for i in 0..3 {
        receipts.push(
            engine
                .ledger()
                .dice_bet(alice, &format!("v{i}"), Cents(100), 5_000)
                .await
                .unwrap(),
        );
    }
    let change = engine.ledger().rotate_seed(alice).await.unwrap();
    let revealed = change.revealed.unwrap();
    assert_eq!(revealed.commitment, committed.commitment);
    assert_eq!(
        fair::seed_commitment(&revealed.server_seed),
        committed.commitment
    );
    assert_eq!(revealed.bets, 3);
    assert_ne!(change.seed.commitment, committed.commitment);
    assert_eq!(change.seed.next_nonce, 0);
    for (nonce, receipt) in receipts.iter().enumerate() {
        let bet = &receipt.bet;
        assert_eq!(bet.nonce, nonce as u64);
        assert_eq!(bet.client_seed, "my own seed");
        dice::verify(
            &revealed.server_seed,
            &bet.seed_commitment,
            &bet.client_seed,
            bet.nonce,
            bet.roll,
        )
        .unwrap();
    }
    let verifiable = engine.history().bets(alice, true).await.unwrap();
    assert_eq!(verifiable.len(), 3);
    assert!(verifiable
        .iter()
        .all(|r| r.server_seed.as_deref() == Some(revealed.server_seed.as_str())));
}

async fn balances_and_nonces_survive_a_restart(db: Db) {
    let (url, _dir) = database(db).await;
    let (alice, balance) = {
        let engine = Engine::start(&url).await.unwrap();
        let alice = player(&engine, "alice").await;
        engine
            .ledger()
            .dice_bet(alice, "a", Cents(250), 5_000)
            .await
            .unwrap();
        let receipt = engine
            .ledger()
            .dice_bet(alice, "b", Cents(250), 5_000)
            .await
            .unwrap();
        (alice, receipt.balance)
    };
    let engine = Engine::start(&url).await.unwrap();
    let snapshot = engine.ledger().snapshot(alice).await.unwrap();
    assert_eq!(snapshot.balance, balance);
    assert_eq!(snapshot.seed.next_nonce, 2);
    let receipt = engine
        .ledger()
        .dice_bet(alice, "c", Cents(250), 5_000)
        .await
        .unwrap();
    assert_eq!(receipt.bet.nonce, 2);
    assert_ledger_balanced(&engine).await;
}

on_each_database!(
    a_new_account_gets_the_signup_grant_once,
    a_dice_bet_moves_exactly_the_stake_and_payout,
    a_retry_with_the_same_key_returns_the_original_result,
    a_bet_larger_than_the_balance_is_refused_and_changes_nothing,
    of_100_concurrent_bets_for_the_whole_balance_exactly_one_is_accepted,
    rotating_reveals_a_seed_that_verifies_every_roll_it_made,
    balances_and_nonces_survive_a_restart,
);

/// Two engines on one PostgreSQL database, as two nodes would run.
async fn two_nodes() -> (Engine, Engine) {
    let (url, _) = database(Db::Postgres).await;
    let a = Engine::start(&url).await.unwrap();
    let b = Engine::start(&url).await.unwrap();
    (a, b)
}

#[tokio::test]
async fn two_nodes_betting_one_players_whole_balance_accept_exactly_one() {
    let (a, b) = two_nodes().await;
    let alice = player(&a, "alice").await;
    // Half the all-in bets on each node, at once. A 1% target: the accepted bet almost always
    // loses; in the rare win a later all-in may be accepted too, each covered by the balance.
    let bets = (0..40).map(|i| {
        let node = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move {
            node.ledger()
                .dice_bet(alice, &format!("all-in-{i}"), SIGNUP_GRANT_CENTS, 100)
                .await
        })
    });
    let (accepted, balance) = all_ins_covered(futures_join(bets).await);
    // Each nonce of the seed was used once, whichever node rolled it.
    let nonces: Vec<u64> = accepted.iter().map(|r| r.bet.nonce).collect();
    assert_eq!(nonces, (0..accepted.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        b.ledger().snapshot(alice).await.unwrap().balance,
        Cents(balance)
    );
    assert_ledger_balanced(&a).await;
}

#[tokio::test]
async fn the_same_key_on_two_nodes_makes_one_bet() {
    let (a, b) = two_nodes().await;
    let alice = player(&a, "alice").await;
    for round in 0..10 {
        let key = format!("twice-{round}");
        let on = |node: &Engine| {
            let (node, key) = (node.clone(), key.clone());
            tokio::spawn(
                async move { node.ledger().dice_bet(alice, &key, Cents(100), 5_000).await },
            )
        };
        let (first, second) = (on(&a), on(&b));
        let (first, second) = (
            first.await.unwrap().unwrap(),
            second.await.unwrap().unwrap(),
        );
        assert_eq!(first, second);
    }
    assert_eq!(a.history().bet_count().await.unwrap(), 10);
    assert_ledger_balanced(&b).await;
}
