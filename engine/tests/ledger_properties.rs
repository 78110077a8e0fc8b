//! Property: any sequence of commands, accepted or refused, keeps the ledger balanced, keeps
//! every player's balance non-negative, and leaves the cache equal to the database.

mod common;

use common::{fresh_engine, Db};
use proptest::prelude::*;
use protocol::{Cents, PlayerId};
use std::net::{IpAddr, Ipv4Addr};

#[derive(Debug, Clone)]
enum Cmd {
    Bet {
        player: usize,
        key: u8,
        amount: i64,
        target: u32,
    },
    Rotate {
        player: usize,
    },
    ClientSeed {
        player: usize,
        seed: String,
    },
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        6 => (0..3usize, 0..20u8, -100i64..200_000, 50u32..9_900)
            .prop_map(|(player, key, amount, target)| Cmd::Bet { player, key, amount, target }),
        1 => (0..3usize).prop_map(|player| Cmd::Rotate { player }),
        1 => (0..3usize, "[ -~]{0,70}").prop_map(|(player, seed)| Cmd::ClientSeed { player, seed }),
    ]
}

async fn run(db: Db, commands: Vec<Cmd>) {
    let (engine, _dir) = fresh_engine(db).await;
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut players: Vec<PlayerId> = Vec::new();
    for name in ["ann", "bob", "cyd"] {
        players.push(
            engine
                .accounts()
                .register(name, "password1", ip)
                .await
                .unwrap()
                .0
                .player
                .id,
        );
    }
    // Commands run concurrently in groups, so batches mix players, refusals and retries.
    for group in commands.chunks(8) {
        let mut tasks = Vec::new();
        for command in group.iter().cloned() {
            let engine = engine.clone();
            let players = players.clone();
            tasks.push(tokio::spawn(async move {
                let ledger = engine.ledger();
                let _ = match command {
                    Cmd::Bet {
                        player,
                        key,
                        amount,
                        target,
                    } => ledger
                        .dice_bet(players[player], &format!("k{key}"), Cents(amount), target)
                        .await
                        .map(|_| ()),
                    Cmd::Rotate { player } => ledger.rotate_seed(players[player]).await.map(|_| ()),
                    Cmd::ClientSeed { player, seed } => ledger
                        .set_client_seed(players[player], &seed)
                        .await
                        .map(|_| ()),
                };
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    }
    let history = engine.history();
    assert_eq!(history.ledger_sum().await.unwrap(), 0);
    assert_eq!(history.unbalanced_transactions().await.unwrap(), 0);
    assert!(history.balances_match_entries().await.unwrap());
    for player in players {
        let cached = engine.ledger().snapshot(player).await.unwrap().balance;
        let stored: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE user_id = $1")
            .bind(player.0)
            .fetch_one(engine.store().pool())
            .await
            .unwrap();
        assert_eq!(cached, Cents(stored));
        assert!(stored >= 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_command_sequences_keep_the_ledger_invariant_on_sqlite(commands in prop::collection::vec(cmd(), 1..60)) {
        tokio::runtime::Runtime::new().unwrap().block_on(run(Db::Sqlite, commands));
    }

    #[test]
    fn random_command_sequences_keep_the_ledger_invariant_on_postgres(commands in prop::collection::vec(cmd(), 1..60)) {
        tokio::runtime::Runtime::new().unwrap().block_on(run(Db::Postgres, commands));
    }
}
