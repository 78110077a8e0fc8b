//! Security headers on every response. Pages also carry a Content-Security-Policy with the
//! nonce of their inline script, set where the page is rendered (`app::shell`).

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// HSTS when the server is reached over https (`--secure-cookies`): a year, subdomains too.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// The headers every response carries (a handler's own value wins): no MIME sniffing, no
/// framing (for browsers without `frame-ancestors`), no referrer sent to other sites, a window
/// of its own, no camera, microphone or location; and HSTS with `secure`.
pub fn layer(router: Router, secure: bool) -> Router {
    let fixed: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    let mut router = router;
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if secure {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        ));
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn headers_of(secure: bool) -> axum::http::HeaderMap {
        let router = layer(Router::new().route("/", get(|| async { "ok" })), secure);
        let request = Request::get("/").body(Body::empty()).unwrap();
        router.oneshot(request).await.unwrap().headers().clone()
    }

    #[tokio::test]
    async fn every_response_carries_the_security_headers_and_hsts_only_over_https() {
        let plain = headers_of(false).await;
        assert_eq!(plain[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(plain[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(plain[header::REFERRER_POLICY], "same-origin");
        assert_eq!(plain["cross-origin-opener-policy"], "same-origin");
        assert!(plain.get(header::STRICT_TRANSPORT_SECURITY).is_none());
        let secure = headers_of(true).await;
        assert_eq!(
            secure[header::STRICT_TRANSPORT_SECURITY],
            STRICT_TRANSPORT_SECURITY
        );
    }
}
