//! The address of the client a request comes from, for the per-address login and registration
//! throttles. Behind a load balancer every request comes from the balancer's address: when the
//! peer is one of the configured trusted proxies (`--trusted-proxy`), the client is the address
//! that proxy appended to `X-Forwarded-For` (the last one; the ones before it are whatever the
//! client claimed and are ignored).

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use std::net::{IpAddr, SocketAddr};

/// The client's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or((StatusCode::INTERNAL_SERVER_ERROR, "no peer address"))?;
        if !state.trusted_proxies.contains(&peer) {
            return Ok(ClientIp(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .and_then(|last| last.trim().parse().ok());
        Ok(ClientIp(forwarded.unwrap_or(peer)))
    }
}
