//! Cross-origin protection. Browsers attach `Origin` to WebSocket handshakes and to POSTs; a
//! request from a page on another site is refused. Allowed: the origin the server was reached
//! at (scheme-less comparison with the `Host` header) and the configured allowlist. Requests
//! without `Origin` come from non-browser clients, which cannot ride a victim's cookies.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The origins allowed besides the server's own.
#[derive(Clone, Debug, Default)]
pub struct Allowlist(pub Arc<Vec<String>>);

impl Allowlist {
    /// Whether a request with these headers may act on the user's behalf.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if self
            .0
            .iter()
            .any(|allowed| allowed.trim_end_matches('/') == origin)
        {
            return true;
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        matches!((host, origin_host), (Some(host), Some(origin_host)) if host.eq_ignore_ascii_case(origin_host))
    }
}

/// Middleware: refuses state-changing requests (anything but GET/HEAD/OPTIONS) from other origins.
pub async fn refuse_cross_origin(
    State(allowlist): State<Allowlist>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || allowlist.allows(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(origin = ?request.headers().get(header::ORIGIN), path = %request.uri().path(), "cross-origin request refused");
    (StatusCode::FORBIDDEN, "cross-origin request refused").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(header::HOST, host.parse().unwrap());
        if let Some(origin) = origin {
            map.insert(header::ORIGIN, origin.parse().unwrap());
        }
        map
    }

    #[test]
    fn same_origin_and_allowlisted_origins_pass_others_do_not() {
        let list = Allowlist(Arc::new(vec!["https://play.example.com".into()]));
        assert!(list.allows(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000")));
        assert!(list.allows(&headers(Some("https://play.example.com"), "internal:3000")));
        assert!(list.allows(&headers(None, "127.0.0.1:3000")));
        assert!(!list.allows(&headers(Some("http://evil.example"), "127.0.0.1:3000")));
        assert!(!list.allows(&headers(Some("http://127.0.0.1:3001"), "127.0.0.1:3000")));
        assert!(!list.allows(&headers(Some("null"), "127.0.0.1:3000")));
    }
}
