//! The operator console's browser entry point: the same app as `frontend`, with the console's
//! pages (`app`'s `console` feature). The server links this bundle on `/admin` pages only.
#![forbid(unsafe_code)]

/// Called by the generated JS once the WASM module has loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
