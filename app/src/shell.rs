//! The HTML document around the app, and the bundle files it links.
//!
//! The names of the bundle files are worked out once, when the server starts (see
//! [`BundleFiles`]), and every page links them from memory. Leptos' own `HydrationScripts` and
//! `HashedStylesheet` read the release build's hash file from disk on every render, which
//! measured at about 18% of the cost of a lobby page (docs/benchmarks.md).

use crate::App;
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
        let hash = |kind: &str| {
            hash_file.lines().find_map(|line| {
                let (file, hash) = line.trim().split_once(':')?;
                (file.trim() == kind).then(|| hash.trim().to_owned())
            })
        };
        let name = |kind: &str| -> Option<Arc<str>> {
            Some(format!("{output_name}.{}.{kind}", hash(kind)?).into())
        };
        Some(Self {
            js: name("js")?,
            wasm: name("wasm")?,
            css: name("css")?,
        })
    }
}

/// What starts the app in the browser: loads the js module, which instantiates the wasm and
/// hydrates the server-rendered page. Arguments: the js path and the wasm path.
const HYDRATE_SCRIPT: &str = "((js, wasm) => import(js).then(app => \
     app.default({ module_or_path: wasm }).then(() => app.hydrate())))";

/// The HTML document around the app.
pub fn shell(options: LeptosOptions, files: BundleFiles) -> impl IntoView {
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
                <script type="module">{start}</script>
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
    fn a_hash_file_without_every_kind_names_nothing() {
        assert_eq!(BundleFiles::hashed("zerolag", "js: abc\nwasm: def\n"), None);
    }
}
