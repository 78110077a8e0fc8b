//! The ledger against a real SQLite database in a fresh temporary directory.

use engine::ledger::LedgerError;
use engine::Engine;
use protocol::limits::SIGNUP_GRANT_CENTS;
use protocol::{dice, fair, Cents, PlayerId};
use std::net::IpAddr;

const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

async fn fresh_engine() -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    (Engine::start(&url).await.unwrap(), dir)
}

async fn player(engine: &Engine, name: &str) -> PlayerId {
    let (session, _) = engine
        .accounts()
        .register(name, "password1", IP)
        .await
        .unwrap();
    session.player.id
}

async fn assert_ledger_balanced(engine: &Engine) {
    let history = engine.history();
    assert_eq!(history.ledger_sum().await.unwrap(), 0);
    assert_eq!(history.unbalanced_transactions().await.unwrap(), 0);
    assert!(history.balances_match_entries().await.unwrap());
}

#[tokio::test]
async fn a_new_account_gets_the_signup_grant_once() {
    let (engine, _dir) = fresh_engine().await;
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

#[tokio::test]
async fn a_dice_bet_moves_exactly_the_stake_and_payout() {
    let (engine, _dir) = fresh_engine().await;
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

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_original_result() {
    let (engine, _dir) = fresh_engine().await;
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

#[tokio::test]
async fn a_bet_larger_than_the_balance_is_refused_and_changes_nothing() {
    let (engine, _dir) = fresh_engine().await;
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

#[tokio::test]
async fn of_100_concurrent_bets_for_the_whole_balance_exactly_one_is_accepted() {
    let (engine, _dir) = fresh_engine().await;
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
    let results = futures_join(bets).await;
    assert!(results
        .iter()
        .filter(|r| r.is_err())
        .all(|r| matches!(r, Err(LedgerError::InsufficientFunds { .. }))));
    let mut accepted: Vec<_> = results.into_iter().filter_map(Result::ok).collect();
    accepted.sort_by_key(|receipt| receipt.bet.id);
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
    assert_ledger_balanced(&engine).await;
}

async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn rotating_reveals_a_seed_that_verifies_every_roll_it_made() {
    let (engine, _dir) = fresh_engine().await;
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

#[tokio::test]
async fn balances_and_nonces_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
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
