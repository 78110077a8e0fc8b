//! Slots counted across the cluster in Redis (`engine/src/bus/slots.rs`): a name holds at most
//! its limit on all nodes together, a release frees a slot at once, and the slots of a node
//! that stops renewing them lapse.

use engine::bus::Bus;
use engine::hub::Hub;
use std::time::Duration;

async fn two_nodes() -> (Bus, Bus) {
    let (url, prefix) = engine::testing::redis();
    let a = Bus::start(&url, &prefix, Hub::new()).await.unwrap();
    let b = Bus::start(&url, &prefix, Hub::new()).await.unwrap();
    (a, b)
}

#[tokio::test]
async fn a_name_holds_its_limit_on_all_nodes_together() {
    let (a, b) = two_nodes().await;
    let ttl = 60_000;
    assert!(a.claim_slot("ws:10.0.0.1", 1, 2, ttl).await.unwrap());
    assert!(b.claim_slot("ws:10.0.0.1", 1, 2, ttl).await.unwrap());
    assert!(!a.claim_slot("ws:10.0.0.1", 2, 2, ttl).await.unwrap());
    assert!(!b.claim_slot("ws:10.0.0.1", 2, 2, ttl).await.unwrap());
    // Another name has its own count.
    assert!(b.claim_slot("ws:10.0.0.2", 2, 2, ttl).await.unwrap());

    a.release_slot("ws:10.0.0.1", 1).await.unwrap();
    assert!(b.claim_slot("ws:10.0.0.1", 3, 2, ttl).await.unwrap());
}

#[tokio::test]
async fn slots_lapse_unless_renewed() {
    let (a, b) = two_nodes().await;
    let ttl = 300;
    assert!(a.claim_slot("ws:10.0.0.3", 1, 2, ttl).await.unwrap());
    assert!(a.claim_slot("ws:10.0.0.3", 2, 2, ttl).await.unwrap());
    // Node a renews one of its slots and stops renewing the other (as if that one had ended
    // without a release); a node that dies renews none.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let held = [("ws:10.0.0.3".to_owned(), vec![1])];
        a.renew_slots(&held, ttl).await.unwrap();
    }
    assert!(b.claim_slot("ws:10.0.0.3", 1, 2, ttl).await.unwrap());
    assert!(!b.claim_slot("ws:10.0.0.3", 2, 2, ttl).await.unwrap());
}
