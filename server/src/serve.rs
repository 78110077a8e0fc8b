//! The HTTP server's accept loop: each connection is served by hyper (HTTP/1.1, with upgrades
//! for WebSockets) with a deadline on a request's headers: a client that has not sent a whole
//! request head [`HTTP_HEADER_READ_TIMEOUT_MS`] after the connection opened (or after its
//! previous request, on a kept-alive connection) is disconnected. The WebSocket handshake is such
//! a request, so it has the same deadline. Slow-header clients (slowloris) cannot hold
//! connections open.
//!
//! Written out instead of `axum::serve`, which configures no timer, so hyper's header deadline
//! cannot be set through it. Otherwise it does what `axum::serve` does: `ConnectInfo` for every
//! request, and a graceful stop (no new connections; each open one finishes its request and
//! closes; the stop completes when every connection has).

use crate::limits::HTTP_HEADER_READ_TIMEOUT_MS;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How long the loop waits after a failed accept (out of file descriptors, say) before the next.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `stop` is cancelled, then stops gracefully.
pub async fn serve(listener: TcpListener, router: Router, stop: CancellationToken) {
    // Every connection watches `stopping` (closed when the loop ends) and holds a `finished`
    // receiver until it is done: the loop's end waits for all of them.
    let (stopping, stop_seen) = watch::channel(());
    let (finished, finishing) = watch::channel(());
    loop {
        let (mut stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        crate::listener::configure_accepted(&mut stream);
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(remote));
                request.map(Body::new)
            });
        let connection = (stopping.clone(), finishing.clone());
        tokio::spawn(serve_connection(TokioIo::new(stream), service, connection));
    }
    drop(listener);
    drop(stop_seen);
    drop(finishing);
    finished.closed().await;
}

async fn serve_connection<S>(
    io: TokioIo<tokio::net::TcpStream>,
    service: S,
    (stopping, finishing): (watch::Sender<()>, watch::Receiver<()>),
) where
    S: tower::Service<Request<Incoming>, Response = axum::response::Response>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(HTTP_HEADER_READ_TIMEOUT_MS));
    let service = TowerToHyperService::new(service);
    let connection = builder.serve_connection_with_upgrades(io, service);
    let mut connection = std::pin::pin!(connection);
    let served = tokio::select! {
        served = connection.as_mut() => served,
        () = stopping.closed() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = served {
        tracing::debug!(%error, "a connection ended with an error");
    }
    drop(finishing);
}
