//! The TCP listener the server accepts on. Every accepted socket, HTTP or (after an upgrade)
//! WebSocket, gets `TCP_NODELAY`: replies and events are small frames that must leave at once,
//! not wait for Nagle's algorithm to batch them with an acknowledgement.

use axum::serve::{ListenerExt, TapIo};
use std::io;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener that configures each socket it accepts ([`configure_accepted`]).
pub type EdgeListener = TapIo<TcpListener, fn(&mut TcpStream)>;

/// Listens on `addr` (port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> io::Result<EdgeListener> {
    let listener = TcpListener::bind(addr).await?;
    Ok(listener.tap_io(configure_accepted as fn(&mut TcpStream)))
}

/// Sets the options every accepted socket needs. A socket that refuses still works, only
/// slower: logged, not fatal.
pub fn configure_accepted(stream: &mut TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::warn!(%error, "cannot set TCP_NODELAY on an accepted socket");
    }
}
