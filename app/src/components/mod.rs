//! Server-rendered building blocks shared by the pages (no WASM of their own).

pub mod account;
pub mod layout;
