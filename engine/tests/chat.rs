//! Chat against real databases (a fresh SQLite file and a fresh PostgreSQL database each):
//! messages stored and read back after a restart, refused text, the rate limit, moderation.

mod common;

use common::{database, player, Db};
use engine::chat::{grant_role, ChatError, Role};
use engine::Engine;
use protocol::wire::PlayerView;

async fn view(engine: &Engine, name: &str) -> PlayerView {
    PlayerView {
        id: player(engine, name).await,
        username: name.to_owned(),
    }
}

async fn messages_are_stored_in_their_room_and_outlive_a_restart(db: Db) {
    let (url, _dir) = database(db).await;
    let engine = Engine::start(&url).await.unwrap();
    let alice = view(&engine, "alice").await;
    let chat = engine.chat();
    for text in ["hello", "  spaced out  ", "<b>not html</b>"] {
        chat.send(&alice, "global", text).await.unwrap();
    }
    chat.send(&alice, "crash", "in crash").await.unwrap();
    drop(engine);

    let engine = Engine::start(&url).await.unwrap();
    let global = engine.chat().history("global").await.unwrap();
    let bodies: Vec<&str> = global.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["hello", "spaced out", "<b>not html</b>"]);
    assert!(global
        .iter()
        .all(|m| m.username == "alice" && m.room == "global"));
    assert!(global.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(engine.chat().history("crash").await.unwrap().len(), 1);
}

async fn bad_rooms_and_bad_text_are_refused_and_store_nothing(db: Db) {
    let (url, _dir) = database(db).await;
    let engine = Engine::start(&url).await.unwrap();
    let alice = view(&engine, "alice").await;
    let chat = engine.chat();
    let refused = [
        chat.send(&alice, "lounge", "hi").await,
        chat.send(&alice, "global", "   ").await,
        chat.send(&alice, "global", &"x".repeat(281)).await,
    ];
    assert!(matches!(refused[0], Err(ChatError::UnknownRoom(_))));
    assert!(matches!(refused[1], Err(ChatError::Invalid(_))));
    assert!(matches!(refused[2], Err(ChatError::Invalid(_))));
    assert!(chat.history("global").await.unwrap().is_empty());
    chat.send(&alice, "global", &"x".repeat(280)).await.unwrap();
}

async fn a_player_sending_too_fast_is_refused_until_the_limit_refills(db: Db) {
    let (url, _dir) = database(db).await;
    let engine = Engine::start(&url).await.unwrap();
    let alice = view(&engine, "alice").await;
    for i in 0..protocol::limits::CHAT_BURST_MESSAGES {
        engine
            .chat()
            .send(&alice, "global", &format!("m{i}"))
            .await
            .unwrap();
    }
    let refused = engine.chat().send(&alice, "global", "one more").await;
    assert!(
        matches!(refused, Err(ChatError::RateLimited(_))),
        "{refused:?}"
    );
    // Another player is not held back by alice.
    let bob = view(&engine, "bob").await;
    engine.chat().send(&bob, "global", "hi").await.unwrap();
}

async fn moderators_mute_ban_and_lift_and_players_cannot(db: Db) {
    let (url, _dir) = database(db).await;
    let engine = Engine::start(&url).await.unwrap();
    let (mod_view, bob) = (view(&engine, "mod").await, view(&engine, "bob").await);
    let chat = engine.chat();
    let forbidden = chat.mute(bob.id, "mod", 5, "no").await;
    assert!(matches!(forbidden, Err(ChatError::Forbidden)));

    grant_role(engine.store().pool(), "MOD", Role::Moderator)
        .await
        .unwrap();
    let unknown = chat.ban(mod_view.id, "nobody", "spam").await;
    assert!(matches!(unknown, Err(ChatError::UnknownPlayer(_))));
    let standing = chat.mute(mod_view.id, "Bob", 10, "shouting").await.unwrap();
    assert_eq!(standing.username, "bob");
    assert!(standing.muted_until_ms.is_some() && !standing.banned);
    match chat.send(&bob, "global", "HELLO").await {
        Err(error @ ChatError::Muted { .. }) => {
            assert!(error.to_string().contains("shouting"), "{error}")
        }
        other => panic!("muted: {other:?}"),
    }
    chat.lift(mod_view.id, "bob").await.unwrap();
    chat.send(&bob, "global", "sorry").await.unwrap();
    chat.ban(mod_view.id, "bob", "spam").await.unwrap();
    let banned = chat.send(&bob, "global", "again").await;
    assert!(matches!(banned, Err(ChatError::Banned(reason)) if reason == "spam"));
    let bad = chat.mute(mod_view.id, "bob", 0, "zero").await;
    assert!(matches!(bad, Err(ChatError::Invalid(_))));
}

on_each_database!(
    messages_are_stored_in_their_room_and_outlive_a_restart,
    bad_rooms_and_bad_text_are_refused_and_store_nothing,
    a_player_sending_too_fast_is_refused_until_the_limit_refills,
    moderators_mute_ban_and_lift_and_players_cannot,
);
