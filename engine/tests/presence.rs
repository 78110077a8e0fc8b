//! Presence: a player counts once however many tabs (and nodes) they are on, a visitor once
//! per tab, a game page's count follows what the tabs show, and a closed tab leaves the counts.

use engine::bus::Bus;
use engine::hub::Hub;
use engine::presence::{Person, Presence};
use protocol::presence::Counts;
use protocol::PlayerId;
use std::time::Duration;

/// Waits (up to 15 s: presence lapses in Redis after 10 s) until `presence`'s counts satisfy
/// `want`.
async fn until(presence: &Presence, want: impl Fn(&Counts) -> bool) -> Counts {
    for _ in 0..150 {
        let counts = presence.counts();
        if want(&counts) {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("presence never got there: {:?}", presence.counts());
}

#[tokio::test]
async fn tabs_of_one_player_count_once_and_a_closed_tab_leaves() {
    let hub = Hub::new();
    let presence = Presence::start(hub.clone(), None);
    let tabs: Vec<_> = (0..3).map(|_| hub.open_connection().0).collect();
    presence.arrive(&tabs[0], Person::Player(PlayerId(7)));
    presence.arrive(&tabs[1], Person::Player(PlayerId(7)));
    presence.arrive(&tabs[2], Person::Visitor(tabs[2].id()));
    until(&presence, |c| c.global == 2).await;

    assert!(presence.visit(tabs[0].id(), Some("crash")));
    assert!(presence.visit(tabs[1].id(), Some("crash")));
    assert!(!presence.visit(tabs[1].id(), Some("lounge")));
    until(&presence, |c| c.crash == 1 && c.global == 2).await;

    presence.leave(tabs[0].id());
    presence.leave(tabs[1].id());
    until(&presence, |c| c.global == 1 && c.crash == 0).await;
}

#[tokio::test]
async fn nodes_sharing_redis_count_a_player_on_both_once() {
    let (url, prefix) = engine::testing::redis();
    let (hub_a, hub_b) = (Hub::new(), Hub::new());
    let a = Presence::start(
        hub_a.clone(),
        Some(Bus::start(&url, &prefix, hub_a.clone()).await.unwrap()),
    );
    let b = Presence::start(
        hub_b.clone(),
        Some(Bus::start(&url, &prefix, hub_b.clone()).await.unwrap()),
    );
    let on_a = hub_a.open_connection().0;
    let on_b = hub_b.open_connection().0;
    let visitor = hub_b.open_connection().0;
    a.arrive(&on_a, Person::Player(PlayerId(1)));
    b.arrive(&on_b, Person::Player(PlayerId(1)));
    b.arrive(&visitor, Person::Visitor(visitor.id()));
    until(&a, |c| c.global == 2).await;
    until(&b, |c| c.global == 2).await;

    // The player's tab on a closes; their tab on b keeps them counted. The visitor leaves:
    // within the lapse time, both nodes count one.
    a.leave(on_a.id());
    b.leave(visitor.id());
    until(&a, |c| c.global == 1).await;
    until(&b, |c| c.global == 1).await;
}
