//! Migrations against a database that already holds data: a database created by an earlier
//! version, with rounds and round bets in it, opens on the current schema with every row kept.

use engine::Engine;
use sqlx::migrate::Migrate;
use sqlx::{Connection, Row, SqliteConnection};

/// Migrations that created the schema before round games became a value set the code owns.
const MIGRATIONS_BEFORE_GAMES_OWNED_BY_CODE: usize = 2;

/// A database at the schema before games became owned by the code, with two rounds, their
/// bets, a ledger transaction and idempotency keys in it.
async fn database_before_games_owned_by_code(url: &str) {
    let mut conn = SqliteConnection::connect(url).await.unwrap();
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.ensure_migrations_table().await.unwrap();
    let migrator = sqlx::migrate!("./migrations/sqlite");
    for migration in migrator.iter().take(MIGRATIONS_BEFORE_GAMES_OWNED_BY_CODE) {
        conn.apply(migration).await.unwrap();
    }
    for statement in [
            "INSERT INTO users VALUES (1, 'alice', 'alice', 'x', 0)",
            "INSERT INTO accounts (id, kind, user_id, balance) VALUES (4, 'player', 1, 0)",
            "INSERT INTO round_chains VALUES (1, 'crash', 'ab', 'cd', 'salt', 10, 0), (2, 'wheel', 'ef', '01', 'salt', 10, 0)",
            "INSERT INTO rounds VALUES (1, 'crash', 1, 1, 'ended', 'h1', 250, 0, 1, 2), (2, 'wheel', 2, 1, 'ended', 'h2', 7, 0, 1, 2)",
            "INSERT INTO round_bets VALUES (1, 1, 1, 500, 200, NULL, 'cashed', 200, 1000, 0, 2), \
                                           (2, 1, 1, 300, NULL, NULL, 'lost', NULL, 0, 0, 2), \
                                           (3, 2, 1, 100, NULL, 'blue', 'won', 300, 300, 0, 2)",
            "INSERT INTO ledger_txs (id, kind, user_id, bet_id, created_at, round_bet_id) VALUES (1, 'bet_hold', 1, NULL, 0, 1)",
            "INSERT INTO idempotency VALUES ('1:round:k1', 'round:1:500:Some(200):None', '1:99500', 0), \
                                            ('1:round:k3', 'round:2:100:None:Some(Blue)', '3:99400', 0), \
                                            ('1:dice:x:round:y', 'dice:100:5000', '7:100', 0)",
        ] {
            sqlx::query(statement).execute(&mut conn).await.unwrap();
        }
}

#[tokio::test]
async fn a_database_with_round_bets_keeps_every_row_when_games_become_owned_by_code() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/old.db?mode=rwc", dir.path().display());
    database_before_games_owned_by_code(&url).await;
    let engine = Engine::start(&url).await.unwrap();
    let pool = engine.store().pool();
    let choices: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, choice, status FROM round_bets ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        choices,
        vec![
            (1, "200".to_owned(), "cashed".to_owned()),
            (2, String::new(), "lost".to_owned()),
            (3, "blue".to_owned(), "won".to_owned()),
        ]
    );
    let round_bet_of_tx: i64 =
        sqlx::query_scalar("SELECT round_bet_id FROM ledger_txs WHERE id = 1")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(round_bet_of_tx, 1);
    let fingerprints: Vec<(String, String)> =
        sqlx::query_as("SELECT scoped_key, fingerprint FROM idempotency ORDER BY scoped_key")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        fingerprints,
        vec![
            ("1:dice:x:round:y".to_owned(), "dice:100:5000".to_owned()),
            ("1:round:k1".to_owned(), "round:crash:500:200".to_owned()),
            ("1:round:k3".to_owned(), "round:wheel:100:blue".to_owned()),
        ],
        "round bets' fingerprints are rewritten from their bets; other keys are untouched"
    );
    let rounds = sqlx::query("SELECT game, outcome FROM rounds ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(rounds.len(), 2);
    assert_eq!(rounds[1].get::<String, _>("game"), "wheel");
    let violations = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(violations.is_empty(), "foreign keys still hold");
    // A game name the old CHECK did not list is now accepted: games are the code's to add.
    sqlx::query("INSERT INTO round_chains (game, seed, terminal_hash, salt, rounds, created_at) VALUES ('plinko', 's', 't', 'salt', 1, 0)")
        .execute(pool)
        .await
        .unwrap();
}
