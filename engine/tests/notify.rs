//! Notifications against real databases: a new player's grant is kept and delivered once, a
//! broadcast reaches the inboxes of the players who were there, and marking read counts.

mod common;

use common::{fresh_engine, player, Db};
use engine::chat::{grant_role, Role};
use protocol::notification::Kind;
use protocol::wire::PlayerView;

async fn the_inbox_keeps_the_grant_and_broadcasts_and_counts_what_is_unread(db: Db) {
    let (engine, _dir) = fresh_engine(db).await;
    let notices = engine.notices();
    let ann = player(&engine, "ann").await;

    // The grant waits for the first connection, which takes it once.
    let (outbox, inbox) = engine.hub().open_connection();
    engine
        .hub()
        .subscribe(&engine::hub::player_topic(ann), &outbox, None);
    notices.deliver_pending(ann).await.unwrap();
    notices.deliver_pending(ann).await.unwrap();
    let frames = inbox.take();
    assert_eq!(frames.len(), 1, "{frames:?}");
    let frame: serde_json::Value = serde_json::from_slice(&frames[0]).unwrap();
    assert_eq!(frame["notification"]["kind"], "signup_grant");

    let pool = engine.store().pool();
    grant_role(pool, "ann", Role::Admin).await.unwrap();
    let admin = PlayerView {
        id: ann,
        username: "ann".into(),
    };
    let sent = notices.broadcast(&admin, "welcome all").await.unwrap();
    let ann_inbox = notices.inbox(ann).await.unwrap();
    let kinds: Vec<Kind> = ann_inbox.items.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [Kind::Broadcast, Kind::SignupGrant]);
    assert_eq!(ann_inbox.unread, 2);
    assert!(ann_inbox.can_broadcast);

    // A player who joins later does not get earlier broadcasts.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let ben = player(&engine, "ben").await;
    let ben_inbox = notices.inbox(ben).await.unwrap();
    assert_eq!(ben_inbox.items.len(), 1);
    assert_eq!(ben_inbox.unread, 1);

    notices.mark_read(ann, sent.id.unwrap()).await.unwrap();
    // Marking an older id read does not bring anything back.
    notices.mark_read(ann, 1).await.unwrap();
    let ann_inbox = notices.inbox(ann).await.unwrap();
    assert_eq!(
        (ann_inbox.unread, ann_inbox.read_upto),
        (0, sent.id.unwrap())
    );
}

on_each_database!(the_inbox_keeps_the_grant_and_broadcasts_and_counts_what_is_unread);
