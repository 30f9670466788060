//! The AutoGPT Connect web app: pages rendered on the server, with only the
//! interactive parts ("islands") hydrated from WASM in the browser.
//!
//! Feature `ssr` compiles the server half (rendering, and the server functions' bodies,
//! which call the `backend` crate's services); feature `hydrate` compiles the islands for the
//! browser. `backend` is a dependency of `ssr` only, so nothing of it (nor sqlx, reqwest or
//! any secret) can reach the WASM bundle: the dependency graph keeps it out, not just `cfg`.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod connect_flow;
pub mod islands;
pub mod pages;
mod shell;
mod ui_config;

pub use shell::{App, shell};
pub use ui_config::{AgentConfig, ProviderConfig, UiConfig};
