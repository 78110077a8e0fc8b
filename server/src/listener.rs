//! The TCP listener the server accepts on. Every accepted socket, HTTP or (after an upgrade)
//! WebSocket, gets `TCP_NODELAY` (the accept loop, [`crate::serve`], calls
//! [`configure_accepted`]): replies and events are small frames that must leave at once, not
//! wait for Nagle's algorithm to batch them with an acknowledgement.

use std::io;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};

/// Listens on `addr` (port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Sets the options every accepted socket needs. A socket that refuses still works, only
/// slower: logged, not fatal.
pub fn configure_accepted(stream: &mut TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::warn!(%error, "cannot set TCP_NODELAY on an accepted socket");
    }
}
