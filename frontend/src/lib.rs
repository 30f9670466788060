//! Browser entry point. Only the islands of `app` ship as WASM: this crate holds
//! nothing but the function the generated JS glue calls once the module loads.

use wasm_bindgen::prelude::wasm_bindgen;

/// Hydrates every island on the page. Called by the cargo-leptos JS glue.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Referencing the crate keeps its `#[island]` exports in the linked module.
    app::islands::register();
    leptos::mount::hydrate_islands();
}
