//! The hub's tests: fan-out, slow consumers, resuming, sessions.

use super::*;
use crate::limits::OUTBOX_FRAMES_MAX;
use protocol::Cents;

fn balance(topic: String, seq: u64, at_ms: i64) -> ServerMsg {
    ServerMsg::Balance {
        topic,
        seq,
        at_ms,
        balance: Cents(1),
    }
}

#[tokio::test]
async fn one_encoding_reaches_every_subscriber_with_increasing_seq() {
    let hub = Hub::new();
    let (a, a_in) = hub.open_connection();
    let (b, b_in) = hub.open_connection();
    hub.subscribe("dice", &a, None);
    hub.subscribe("dice", &b, None);
    assert_eq!(hub.publish("dice", balance), 2);
    assert_eq!(hub.publish("dice", balance), 2);
    let (a, b) = (a_in.next_batch().await, b_in.next_batch().await);
    // The very same allocation went to both subscribers.
    assert_eq!(a[0].as_ptr(), b[0].as_ptr());
    assert!(std::str::from_utf8(&a[0]).unwrap().contains(r#""seq":1"#));
    assert!(std::str::from_utf8(&a[1]).unwrap().contains(r#""seq":2"#));
}

#[tokio::test]
async fn a_full_outbox_closes_only_that_connection() {
    let hub = Hub::new();
    let (slow, slow_in) = hub.open_connection();
    let (fast, fast_in) = hub.open_connection();
    hub.subscribe("dice", &slow, None);
    hub.subscribe("dice", &fast, None);
    for _ in 0..OUTBOX_FRAMES_MAX + 1 {
        hub.publish("dice", balance);
        fast_in.next_batch().await;
    }
    assert!(slow_in.closed.is_cancelled());
    assert_eq!(slow_in.close_reason(), Some(CloseReason::SlowConsumer));
    assert!(!fast.is_closed());
    assert_eq!(hub.subscriber_count("dice"), 1);
}

fn seqs(inbox: &Inbox) -> Vec<u64> {
    let mut seqs = Vec::new();
    for frame in inbox.take() {
        let msg: serde_json::Value = serde_json::from_slice(&frame).unwrap();
        seqs.push(msg["seq"].as_u64().unwrap());
    }
    seqs
}

#[tokio::test]
async fn a_resuming_subscriber_gets_exactly_the_events_it_missed() {
    let hub = Hub::new();
    for _ in 0..5 {
        hub.publish("dice", balance);
    }
    let (resumer, resumer_in) = hub.open_connection();
    hub.subscribe("dice", &resumer, Some(3));
    hub.publish("dice", balance);
    assert_eq!(seqs(&resumer_in), vec![4, 5, 6]);

    let (fresh, fresh_in) = hub.open_connection();
    hub.subscribe("dice", &fresh, None);
    assert_eq!(seqs(&fresh_in), vec![1, 2, 3, 4, 5, 6]);

    // A seq this run never reached (the process restarted) gets the snapshot instead.
    let (stale, stale_in) = hub.open_connection();
    hub.subscribe("dice", &stale, Some(999));
    assert_eq!(seqs(&stale_in).len(), 6);
}

#[tokio::test]
async fn only_the_latest_events_are_kept() {
    let hub = Hub::new();
    for _ in 0..TOPIC_HISTORY_EVENTS + 7 {
        hub.publish("dice", balance);
    }
    let (late, late_in) = hub.open_connection();
    hub.subscribe("dice", &late, None);
    let got = seqs(&late_in);
    assert_eq!(got.len(), TOPIC_HISTORY_EVENTS);
    assert_eq!(*got.last().unwrap(), (TOPIC_HISTORY_EVENTS + 7) as u64);
}

#[tokio::test]
async fn ending_a_session_closes_its_connections() {
    let hub = Hub::new();
    let (a, a_in) = hub.open_connection();
    let (b, b_in) = hub.open_connection();
    hub.attach_session("s1", &a);
    hub.attach_session("s2", &b);
    hub.end_session("s1");
    assert_eq!(a_in.close_reason(), Some(CloseReason::SessionEnded));
    assert!(!b_in.closed.is_cancelled());
}
