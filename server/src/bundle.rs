//! The browser bundle (`/pkg`): the wasm, js and css the release build wrote, served from the
//! brotli and gzip files it precompressed beside them (never compressed per request).
//!
//! The release build names each file after a hash of its content (`zerolag.<hash>.wasm`) and
//! lists the hashes in a file beside the server binary, which the server reads once at
//! start-up so that every page links them. When that file is there, a bundle file can never
//! change under its name, so it is cached for a year without revalidation; a deploy brings new names and new HTML (which is
//! never cached). Without it (a development build) the files keep their plain names and are
//! revalidated on every use, so a browser never runs an old bundle against new HTML.

use app::shell::{BundleFiles, Bundles};
use axum::http::{header, HeaderValue, Response};
use axum::Router;
use std::path::Path;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The file the release build writes beside the binary with the bundle's content hashes.
pub const HASH_FILE: &str = "hash.txt";

/// The same for the operator console's bundle (written by `make release`).
pub const CONSOLE_HASH_FILE: &str = "console-hash.txt";

/// How long a browser keeps a content-named bundle file without asking again: one year.
pub const HASHED_FILE_CACHE: &str = "public, max-age=31536000, immutable";

/// The bundles' file names, worked out once at start-up: named after their content when the
/// release build wrote its hash files beside the running binary, else plainly; and whether
/// they are hashed.
pub fn files(output_name: &str) -> (Bundles, bool) {
    let (player, hashed) = player_files(output_name);
    let console_text = hashed.then(|| beside_binary(CONSOLE_HASH_FILE)).flatten();
    let console = BundleFiles::console(&player, console_text.as_deref()).unwrap_or_else(|| {
        tracing::warn!(
            file = CONSOLE_HASH_FILE,
            "the console's hash file names no js and wasm; console pages link the plain names"
        );
        BundleFiles::console(&player, None).expect("plain names")
    });
    (Bundles { player, console }, hashed)
}

fn beside_binary(file: &str) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    std::fs::read_to_string(exe.parent()?.join(file)).ok()
}

fn player_files(output_name: &str) -> (BundleFiles, bool) {
    let Some(text) = beside_binary(HASH_FILE) else {
        return (BundleFiles::plain(output_name), false);
    };
    match BundleFiles::hashed(output_name, &text) {
        Some(files) => (files, true),
        None => {
            tracing::warn!(
                file = HASH_FILE,
                "the hash file beside the server names no js, wasm and css; pages link the plain names"
            );
            (BundleFiles::plain(output_name), false)
        }
    }
}

/// Serves the bundle directory; `hashed`: its files are named after their content.
pub fn service(dir: &Path, hashed: bool) -> Router {
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let router = Router::new().fallback_service(files);
    if !hashed {
        return router;
    }
    router.layer(SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        |response: &Response<_>| {
            let found = response.status().is_success() || response.status().as_u16() == 304;
            found.then(|| HeaderValue::from_static(HASHED_FILE_CACHE))
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(router: Router, path: &str, encodings: &str) -> Response<Body> {
        let request = Request::get(path)
            .header(header::ACCEPT_ENCODING, encodings)
            .body(Body::empty())
            .unwrap();
        router.oneshot(request).await.unwrap()
    }

    fn bundle() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("zerolag.0a1b.js"), "export default 1;").unwrap();
        std::fs::write(dir.path().join("zerolag.0a1b.js.br"), "brotli").unwrap();
        std::fs::write(dir.path().join("zerolag.0a1b.js.gz"), "gzip").unwrap();
        dir
    }

    #[tokio::test]
    async fn content_named_files_are_cached_for_a_year_and_served_precompressed() {
        let dir = bundle();
        let found = get(service(dir.path(), true), "/zerolag.0a1b.js", "gzip, br").await;
        assert_eq!(found.status(), 200);
        assert_eq!(found.headers()[header::CACHE_CONTROL], HASHED_FILE_CACHE);
        assert_eq!(found.headers()[header::CONTENT_ENCODING], "br");
        let gzip = get(service(dir.path(), true), "/zerolag.0a1b.js", "gzip").await;
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
        let missing = get(service(dir.path(), true), "/zerolag.ffff.js", "br").await;
        assert_eq!(missing.status(), 404);
        assert!(missing.headers().get(header::CACHE_CONTROL).is_none());
    }

    #[tokio::test]
    async fn plainly_named_files_get_no_long_lived_cache() {
        let dir = bundle();
        let found = get(service(dir.path(), false), "/zerolag.0a1b.js", "br").await;
        assert_eq!(found.status(), 200);
        assert!(found.headers().get(header::CACHE_CONTROL).is_none());
    }
}
