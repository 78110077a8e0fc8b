//! The HTML document around the app, and the bundle files it links.
//!
//! The names of the bundle files are worked out once, when the server starts (see
//! [`BundleFiles`]), and every page links them from memory. Leptos' own `HydrationScripts` and
//! `HashedStylesheet` read the release build's hash file from disk on every render, which
//! measured at about 18% of the cost of a lobby page (docs/benchmarks.md).

use crate::App;
use leptos::nonce::use_nonce;
use leptos::prelude::*;
use leptos_meta::MetaTags;
use std::sync::Arc;

/// The file names of the browser bundle (js, wasm, css), inside the site's package directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleFiles {
    pub js: Arc<str>,
    pub wasm: Arc<str>,
    pub css: Arc<str>,
}

impl BundleFiles {
    /// Files named after the output name alone: a build without content hashes.
    pub fn plain(output_name: &str) -> Self {
        // A build through cargo-leptos names the wasm like the js; a plain wasm-bindgen build
        // adds `_bg`.
        let wasm_suffix = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
            ""
        } else {
            "_bg"
        };
        Self {
            js: format!("{output_name}.js").into(),
            wasm: format!("{output_name}{wasm_suffix}.wasm").into(),
            css: format!("{output_name}.css").into(),
        }
    }

    /// Files named after their content, from the release build's hash file (lines
    /// `js: <hash>`, `wasm: <hash>`, `css: <hash>`); `None` when one of the three is missing.
    pub fn hashed(output_name: &str, hash_file: &str) -> Option<Self> {
        Some(Self {
            js: hashed_name(output_name, hash_file, "js")?,
            wasm: hashed_name(output_name, hash_file, "wasm")?,
            css: hashed_name(output_name, hash_file, "css")?,
        })
    }

    /// The operator console's bundle beside the players' `player` one (whose stylesheet it
    /// shares): named after its content from its hash file (lines `js: <hash>` and
    /// `wasm: <hash>`), or plainly without one.
    pub fn console(player: &BundleFiles, hash_file: Option<&str>) -> Option<Self> {
        let (js, wasm) = match hash_file {
            Some(text) => (
                hashed_name(CONSOLE_BUNDLE_NAME, text, "js")?,
                hashed_name(CONSOLE_BUNDLE_NAME, text, "wasm")?,
            ),
            None => (
                format!("{CONSOLE_BUNDLE_NAME}.js").into(),
                format!("{CONSOLE_BUNDLE_NAME}.wasm").into(),
            ),
        };
        Some(Self {
            js,
            wasm,
            css: player.css.clone(),
        })
    }
}

/// The operator console's bundle's base name (`zerolag-console.<hash>.wasm`).
pub const CONSOLE_BUNDLE_NAME: &str = "zerolag-console";

/// `<output name>.<hash>.<kind>`, with the hash of `kind` in a hash file's text.
fn hashed_name(output_name: &str, hash_file: &str, kind: &str) -> Option<Arc<str>> {
    let hash = hash_file.lines().find_map(|line| {
        let (file, hash) = line.trim().split_once(':')?;
        (file.trim() == kind).then(|| hash.trim().to_owned())
    })?;
    Some(format!("{output_name}.{hash}.{kind}").into())
}

/// The players' bundle and the operator console's. Players never download the console's
/// pages: only pages under `/admin` link its bundle (the app with the `console` feature, built
/// from `console-frontend`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundles {
    /// Every page but the console's.
    pub player: BundleFiles,
    /// The console's pages.
    pub console: BundleFiles,
}

impl Bundles {
    /// The bundle the page at `path` hydrates with.
    pub fn for_path(&self, path: &str) -> &BundleFiles {
        if path == "/admin" || path.starts_with("/admin/") {
            &self.console
        } else {
            &self.player
        }
    }
}

/// What starts the app in the browser: loads the js module, which instantiates the wasm and
/// hydrates the server-rendered page. Arguments: the js path and the wasm path.
const HYDRATE_SCRIPT: &str = "((js, wasm) => import(js).then(app => \
     app.default({ module_or_path: wasm }).then(() => app.hydrate())))";

/// The page's Content-Security-Policy: scripts only from this origin and the page's own inline
/// script carrying `nonce` (no `unsafe-inline` for scripts), WebAssembly compiled from them,
/// connections (the WebSocket included) to this origin, no plugins, no framing, forms posted
/// here only. Styles may be inline: the wheel turns by a `style` attribute.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The HTML document around the app, linking the bundle its path hydrates with; its
/// Content-Security-Policy header carries the nonce of this response's inline script.
pub fn shell(options: LeptosOptions, bundles: Bundles) -> impl IntoView {
    let nonce = use_nonce();
    if let (Some(nonce), Some(response)) = (&nonce, use_context::<leptos_axum::ResponseOptions>()) {
        let policy = content_security_policy(&nonce.to_string());
        if let Ok(value) = http::HeaderValue::from_str(&policy) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    let path = use_context::<http::request::Parts>().map(|request| request.uri.path().to_owned());
    let files = bundles.for_path(path.as_deref().unwrap_or("/")).clone();
    let pkg = format!("/{}", options.site_pkg_dir);
    let js = format!("{pkg}/{}", files.js);
    let wasm = format!("{pkg}/{}", files.wasm);
    let start = format!("{HYDRATE_SCRIPT}({js:?}, {wasm:?});");
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="dark"/>
                <link rel="icon" href="/favicon.ico"/>
                <link rel="stylesheet" id="leptos" href=format!("{pkg}/{}", files.css)/>
                <link rel="modulepreload" href=js/>
                <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin=""/>
                <script type="module" nonce=nonce>{start}</script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_come_from_the_hash_file() {
        let text = "js: abc\nwasm: def\n  css: ghi  \n";
        let files = BundleFiles::hashed("zerolag", text).unwrap();
        assert_eq!(&*files.js, "zerolag.abc.js");
        assert_eq!(&*files.wasm, "zerolag.def.wasm");
        assert_eq!(&*files.css, "zerolag.ghi.css");
    }

    #[test]
    fn console_pages_link_the_console_bundle_with_the_players_stylesheet() {
        let player = BundleFiles::hashed("zerolag", "js: a\nwasm: b\ncss: c\n").unwrap();
        let console = BundleFiles::console(&player, Some("js: d\nwasm: e\n")).unwrap();
        assert_eq!(&*console.js, "zerolag-console.d.js");
        assert_eq!(&*console.wasm, "zerolag-console.e.wasm");
        assert_eq!(console.css, player.css);
        assert_eq!(BundleFiles::console(&player, Some("js: d\n")), None);
        let bundles = Bundles { player, console };
        for path in ["/admin", "/admin/players/bob"] {
            assert_eq!(bundles.for_path(path), &bundles.console, "{path}");
        }
        for path in ["/", "/administrator", "/crash"] {
            assert_eq!(bundles.for_path(path), &bundles.player, "{path}");
        }
    }

    #[test]
    fn the_policy_allows_scripts_by_origin_and_nonce_only_and_no_framing() {
        let policy = content_security_policy("abc123");
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        let scripts = policy
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("object-src 'none'"));
    }

    #[test]
    fn a_hash_file_without_every_kind_names_nothing() {
        assert_eq!(BundleFiles::hashed("zerolag", "js: abc\nwasm: def\n"), None);
    }
}
