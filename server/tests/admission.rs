//! How many WebSocket connections one client address may hold (`--ws-connections-per-ip`): on
//! one node, and on two nodes sharing Redis, where the limit is the cluster's.

mod common;

use common::{TestApp, Ws};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Error;

/// The HTTP status a refused upgrade got.
async fn refused(app: &TestApp) -> u16 {
    match app.ws_with_origin(None, Some(&app.base)).await {
        Err(Error::Http(response)) => response.status().as_u16(),
        Err(error) => panic!("refused another way: {error}"),
        Ok(_) => panic!("accepted past the limit"),
    }
}

/// Connects once the node has let a closed connection's place go (it does when the
/// connection's task ends, just after the close).
async fn connects_again(app: &TestApp) -> Ws {
    for _ in 0..100 {
        if let Ok(ws) = app.ws_with_origin(None, Some(&app.base)).await {
            return ws;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the closed connection's place was never given back");
}

#[tokio::test]
async fn one_address_holds_at_most_the_limit_and_a_closed_connection_frees_its_place() {
    let app = TestApp::spawn_limiting_connections(2, None).await;
    let first = app.ws(None).await;
    let _second = app.ws(None).await;
    assert_eq!(refused(&app).await, 429);

    drop(first);
    let _third = connects_again(&app).await;
    assert_eq!(refused(&app).await, 429);
}

#[tokio::test]
async fn the_limit_counts_an_addresss_connections_on_every_node() {
    let database = engine::testing::postgres_database().await;
    let (redis, prefix) = engine::testing::redis();
    let cluster = Some((database.as_str(), redis.as_str(), prefix.as_str()));
    let a = TestApp::spawn_limiting_connections(2, cluster).await;
    let b = TestApp::spawn_limiting_connections(2, cluster).await;
    let on_a = a.ws(None).await;
    let _on_b = b.ws(None).await;
    // Each node holds one: the address has its two, whichever node it asks next.
    assert_eq!(refused(&a).await, 429);
    assert_eq!(refused(&b).await, 429);

    drop(on_a);
    let _again_on_b = connects_again(&b).await;
    assert_eq!(refused(&a).await, 429);
}
