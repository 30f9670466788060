//! Server-rendered building blocks shared by the pages (no WASM of their own).

pub mod layout;
