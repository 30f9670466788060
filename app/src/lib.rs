//! The AutoGPT Connect web app: pages rendered on the server, with only the
//! interactive parts ("islands") hydrated from WASM in the browser.
//!
//! Feature `ssr` compiles the server half (rendering, server functions and the
//! server-only services under [`server`]); feature `hydrate` compiles the islands
//! for the browser. Nothing under `server` ever reaches the WASM bundle.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod connect_flow;
pub mod islands;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod service;
mod shell;
mod ui_config;

pub use shell::{App, shell};
pub use ui_config::{AgentConfig, ProviderConfig, UiConfig};
