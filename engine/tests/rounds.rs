//! Round bets in the ledger (holds, cash-outs, settlement) and the recovery rule after a
//! restart, each test on a fresh SQLite file and on a fresh PostgreSQL database.

mod common;

use common::{database, player, Db};
use engine::ledger::rounds::{
    BetOutcome, Game, RoundBetReceipt, RoundBetRequest, RoundEnd, Settlement,
};
use engine::ledger::LedgerError;
use engine::Engine;
use protocol::ids::RoundId;
use protocol::limits::SIGNUP_GRANT_CENTS;
use protocol::{Cents, PlayerId};
use sqlx::Row;

async fn open_round(engine: &Engine) -> RoundId {
    let chain = engine::rounds::create_chain(engine.store().pool(), Game::Crash, 10)
        .await
        .unwrap();
    engine
        .ledger()
        .open_round(Game::Crash, chain.id, 1)
        .await
        .unwrap()
}

fn bet(round: RoundId, idem: &str, cents: i64, auto: Option<u64>) -> RoundBetRequest {
    RoundBetRequest {
        game: Game::Crash,
        round,
        idem: idem.into(),
        amount: Cents(cents),
        choice: auto.map(|target| target.to_string()).unwrap_or_default(),
    }
}

/// Ends `round` (outcome `outcome`), settling `lost` as lost; returns the payouts.
async fn end_round(
    engine: &Engine,
    round: RoundId,
    lost: &[RoundBetReceipt],
    outcome: i64,
) -> Vec<engine::ledger::rounds::Payout> {
    let settlements = lost
        .iter()
        .map(|receipt| Settlement {
            bet: receipt.bet,
            outcome: BetOutcome::Lost,
        })
        .collect();
    let end = RoundEnd::Ended {
        hash: "00".repeat(32),
        outcome,
    };
    engine
        .ledger()
        .settle(round, settlements, Some(end))
        .await
        .unwrap()
}

/// The detail of the audit-log entry of `kind`.
async fn audit_detail(engine: &Engine, kind: &str) -> serde_json::Value {
    let detail: String = sqlx::query_scalar("SELECT detail FROM audit_log WHERE kind = $1")
        .bind(kind)
        .fetch_one(engine.store().pool())
        .await
        .unwrap();
    serde_json::from_str(&detail).unwrap()
}

async fn balance(engine: &Engine, player: PlayerId) -> i64 {
    engine.ledger().snapshot(player).await.unwrap().balance.0
}

async fn assert_balanced(engine: &Engine) {
    let history = engine.history();
    assert_eq!(history.ledger_sum().await.unwrap(), 0);
    assert_eq!(history.unbalanced_transactions().await.unwrap(), 0);
    assert!(history.balances_match_entries().await.unwrap());
    let stray = engine::rounds::open_bets_in_finished_rounds(engine.store().pool())
        .await
        .unwrap();
    assert!(stray.is_empty(), "open bets in finished rounds: {stray:?}");
}

async fn a_round_holds_stakes_pays_cash_outs_and_settles_the_rest_at_once(db: Db) {
    let (url, _dir) = database(db).await;
    let engine = Engine::start(&url).await.unwrap();
    let (alice, bob) = (player(&engine, "alice").await, player(&engine, "bob").await);
    let round = open_round(&engine).await;
    let a = engine
        .ledger()
        .round_bet(alice, bet(round, "a1", 1_000, None))
        .await
        .unwrap();
    let b = engine
        .ledger()
        .round_bet(bob, bet(round, "b1", 2_000, Some(300)))
        .await
        .unwrap();
    assert_eq!(a.balance.0, SIGNUP_GRANT_CENTS.0 - 1_000);
    assert_eq!(b.balance.0, SIGNUP_GRANT_CENTS.0 - 2_000);
    engine.ledger().start_running(round).await.unwrap();

    // Alice cashes out at 1.57x: 15.70 back at once.
    let cash_out = Settlement {
        bet: a.bet,
        outcome: BetOutcome::CashedOut {
            multiplier_x100: 157,
        },
    };
    engine
        .ledger()
        .settle(round, vec![cash_out], None)
        .await
        .unwrap();
    assert_eq!(
        balance(&engine, alice).await,
        SIGNUP_GRANT_CENTS.0 - 1_000 + 1_570
    );
    // A second cash-out of the same bet is refused and changes nothing.
    assert_eq!(
        engine.ledger().settle(round, vec![cash_out], None).await,
        Err(LedgerError::BetNotOpen)
    );
    assert_eq!(
        balance(&engine, alice).await,
        SIGNUP_GRANT_CENTS.0 - 1_000 + 1_570
    );

    // The round crashes at 2.10x: Bob's 3.00x auto cash-out loses, in one settlement with the end.
    let lost = Settlement {
        bet: b.bet,
        outcome: BetOutcome::Lost,
    };
    engine
        .ledger()
        .settle(
            round,
            vec![lost],
            Some(RoundEnd::Ended {
                hash: "ab".repeat(32),
                outcome: 210,
            }),
        )
        .await
        .unwrap();
    assert_eq!(balance(&engine, bob).await, SIGNUP_GRANT_CENTS.0 - 2_000);
    let row = sqlx::query("SELECT phase, outcome FROM rounds WHERE id = $1")
        .bind(round.0)
        .fetch_one(engine.store().pool())
        .await
        .unwrap();
    assert_eq!(
        (row.get::<String, _>("phase"), row.get::<i64, _>("outcome")),
        ("ended".to_owned(), 210)
    );
    assert_balanced(&engine).await;
}

async fn round_bets_are_idempotent_and_refused_beyond_the_balance(db: Db) {
    let (url, _dir) = database(db).await;
    let engine = Engine::start(&url).await.unwrap();
    let alice = player(&engine, "alice").await;
    let round = open_round(&engine).await;
    let first = engine
        .ledger()
        .round_bet(alice, bet(round, "k", 500, Some(200)))
        .await
        .unwrap();
    let retry = engine
        .ledger()
        .round_bet(alice, bet(round, "k", 500, Some(200)))
        .await
        .unwrap();
    assert_eq!(
        retry,
        RoundBetReceipt {
            replayed: true,
            ..first
        }
    );
    assert_eq!(
        engine
            .ledger()
            .round_bet(alice, bet(round, "k", 600, Some(200)))
            .await,
        Err(LedgerError::IdempotencyConflict)
    );
    // The same key used for dice is a different command kind: no clash.
    engine
        .ledger()
        .dice_bet(alice, "k", Cents(100), 5_000)
        .await
        .unwrap();
    let refused = engine
        .ledger()
        .round_bet(alice, bet(round, "big", SIGNUP_GRANT_CENTS.0, None))
        .await;
    assert!(matches!(
        refused,
        Err(LedgerError::InsufficientFunds { .. })
    ));
    assert_balanced(&engine).await;
}

async fn after_a_restart_open_bets_are_refunded_and_acknowledged_cash_outs_stand(db: Db) {
    let (url, _dir) = database(db).await;
    let (alice, bob, round) = {
        let engine = Engine::start(&url).await.unwrap();
        let (alice, bob) = (player(&engine, "alice").await, player(&engine, "bob").await);
        let round = open_round(&engine).await;
        let a = engine
            .ledger()
            .round_bet(alice, bet(round, "a", 1_000, None))
            .await
            .unwrap();
        engine
            .ledger()
            .round_bet(bob, bet(round, "b", 3_000, Some(500)))
            .await
            .unwrap();
        engine.ledger().start_running(round).await.unwrap();
        let cashed = Settlement {
            bet: a.bet,
            outcome: BetOutcome::CashedOut {
                multiplier_x100: 240,
            },
        };
        engine
            .ledger()
            .settle(round, vec![cashed], None)
            .await
            .unwrap();
        // The process "dies" here: the round never ends.
        (alice, bob, round)
    };
    let engine = Engine::start(&url).await.unwrap();
    assert_eq!(
        balance(&engine, alice).await,
        SIGNUP_GRANT_CENTS.0 - 1_000 + 2_400
    );
    assert_eq!(balance(&engine, bob).await, SIGNUP_GRANT_CENTS.0);
    let pool = engine.store().pool();
    let phase: String = sqlx::query_scalar("SELECT phase FROM rounds WHERE id = $1")
        .bind(round.0)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(phase, "interrupted");
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM rounds WHERE phase IN ('betting', 'running')")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(open, 0);
    let audit = audit_detail(&engine, "round_interrupted").await;
    assert_eq!(
        (
            audit["refunded_bets"].as_i64(),
            audit["refunded_cents"].as_i64()
        ),
        (Some(1), Some(3_000))
    );
    assert_balanced(&engine).await;
    // A second restart finds nothing left to recover.
    drop(engine);
    let engine = Engine::start(&url).await.unwrap();
    assert_eq!(
        engine::rounds::recover(engine.store().pool(), engine.ledger())
            .await
            .unwrap()
            .rounds
            .len(),
        0
    );
}

async fn ending_a_round_voids_every_open_bet_its_game_did_not_settle(db: Db) {
    let (url, _dir) = database(db).await;
    let engine = Engine::start(&url).await.unwrap();
    let (alice, bob) = (player(&engine, "alice").await, player(&engine, "bob").await);
    let round = open_round(&engine).await;
    let listed = engine
        .ledger()
        .round_bet(alice, bet(round, "a", 1_000, None))
        .await
        .unwrap();
    // Bob's bet is held by the ledger, but the game's settlement does not list it.
    engine
        .ledger()
        .round_bet(bob, bet(round, "b", 2_500, None))
        .await
        .unwrap();
    let payouts = end_round(&engine, round, &[listed], 150).await;
    let voided = payouts.iter().find(|p| p.player == bob).unwrap();
    assert_eq!(
        (voided.outcome, voided.paid),
        (BetOutcome::Voided, Cents(2_500)),
        "settlement returns what each bet paid, the voided one included"
    );
    assert_eq!(balance(&engine, alice).await, SIGNUP_GRANT_CENTS.0 - 1_000);
    assert_eq!(balance(&engine, bob).await, SIGNUP_GRANT_CENTS.0);
    let status: String = sqlx::query_scalar("SELECT status FROM round_bets WHERE user_id = $1")
        .bind(bob.0)
        .fetch_one(engine.store().pool())
        .await
        .unwrap();
    assert_eq!(status, "voided");
    assert_balanced(&engine).await;
}

async fn an_open_bet_found_in_a_finished_round_at_start_up_is_voided_and_audited(db: Db) {
    let (url, _dir) = database(db).await;
    let (alice, round) = {
        let engine = Engine::start(&url).await.unwrap();
        let alice = player(&engine, "alice").await;
        let round = open_round(&engine).await;
        engine
            .ledger()
            .round_bet(alice, bet(round, "a", 4_000, None))
            .await
            .unwrap();
        // A finished round with an open bet: the state an earlier defect could leave behind.
        sqlx::query("UPDATE rounds SET phase = 'ended', outcome = 120 WHERE id = $1")
            .bind(round.0)
            .execute(engine.store().pool())
            .await
            .unwrap();
        (alice, round)
    };
    let engine = Engine::start(&url).await.unwrap();
    assert_eq!(balance(&engine, alice).await, SIGNUP_GRANT_CENTS.0);
    let pool = engine.store().pool();
    let phase: String = sqlx::query_scalar("SELECT phase FROM rounds WHERE id = $1")
        .bind(round.0)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(phase, "ended", "a repair keeps the round's phase");
    let audit = audit_detail(&engine, "round_repaired").await;
    assert_eq!(audit["voided_cents"], 4_000);
    assert_balanced(&engine).await;
}

async fn a_round_bet_retried_after_its_round_returns_the_original_bet_and_where_it_stands(db: Db) {
    let (url, _dir) = database(db).await;
    let engine = Engine::start(&url).await.unwrap();
    let alice = player(&engine, "alice").await;
    let chain = engine::rounds::create_chain(engine.store().pool(), Game::Crash, 10)
        .await
        .unwrap();
    let first_round = engine
        .ledger()
        .open_round(Game::Crash, chain.id, 1)
        .await
        .unwrap();
    let placed = engine
        .ledger()
        .round_bet(alice, bet(first_round, "k", 700, None))
        .await
        .unwrap();
    end_round(&engine, first_round, &[placed], 100).await;
    let next_round = engine
        .ledger()
        .open_round(Game::Crash, chain.id, 2)
        .await
        .unwrap();
    let retry = engine
        .ledger()
        .round_bet(alice, bet(next_round, "k", 700, None))
        .await
        .unwrap();
    assert_eq!(
        retry,
        RoundBetReceipt {
            status: protocol::wire::RoundBetStatus::Lost,
            payout: Some(Cents(0)),
            replayed: true,
            ..placed
        }
    );
    assert_eq!(retry.round, first_round);
    assert_eq!(balance(&engine, alice).await, SIGNUP_GRANT_CENTS.0 - 700);
    assert_eq!(
        engine
            .ledger()
            .find_round_bet(alice, bet(next_round, "k", 800, None))
            .await,
        Err(LedgerError::IdempotencyConflict)
    );
    assert_eq!(
        engine
            .ledger()
            .find_round_bet(alice, bet(next_round, "new", 800, None))
            .await,
        Ok(None)
    );
    let wheel = RoundBetRequest {
        game: Game::Wheel,
        ..bet(next_round, "k", 700, None)
    };
    assert_eq!(
        engine.ledger().round_bet(alice, wheel).await,
        Err(LedgerError::IdempotencyConflict),
        "the same key for another game is a different command"
    );
    assert_balanced(&engine).await;
}

on_each_database!(
    a_round_holds_stakes_pays_cash_outs_and_settles_the_rest_at_once,
    round_bets_are_idempotent_and_refused_beyond_the_balance,
    after_a_restart_open_bets_are_refunded_and_acknowledged_cash_outs_stand,
    ending_a_round_voids_every_open_bet_its_game_did_not_settle,
    an_open_bet_found_in_a_finished_round_at_start_up_is_voided_and_audited,
    a_round_bet_retried_after_its_round_returns_the_original_bet_and_where_it_stands,
);
