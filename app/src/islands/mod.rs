//! Interactive components. Each `#[island]` is rendered on the server and
//! hydrated in the browser; only these (and what they call) ship as WASM.
//! Their event handlers and effects run only in the browser.

pub mod agent_runner;
mod browser;
pub mod connect_panel;
pub mod data;
pub mod executions_live;
pub mod run_live;
pub mod sign_in;

use leptos::prelude::*;

/// Called by the browser entry point. Referencing this module from the
/// `frontend` crate guarantees the islands' WASM exports are linked.
pub fn register() {}

/// `false` on the server, `true` once the island runs in the browser. Rendered
/// as `data-hydrated` so tests (and curious people) can see an island is live.
pub(crate) fn hydration_marker() -> RwSignal<bool> {
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| hydrated.set(true));
    hydrated
}
