//! Interactive components. Each `#[island]` is rendered on the server and
//! hydrated in the browser; only these (and what they call) ship as WASM.

pub mod sign_in;

/// Called by the browser entry point. Referencing this module from the
/// `frontend` crate guarantees the islands' WASM exports are linked.
pub fn register() {}
