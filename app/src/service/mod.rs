//! Server-side services behind the server functions and the OAuth, webhook and
//! event routes: sign-in, Connect, agents, the webhook inbox. Compiled only with
//! `ssr`. They speak to the platform through the `autogpt` client and keep state
//! through [`crate::server`] (storage, tokens, events).

pub mod agents;
pub mod auth;
pub mod connect;
pub mod context;
pub mod issuer;
mod platform;
pub mod reconcile;
pub mod session;
pub mod webhooks;

pub use context::{AppContext, ServiceConfig};
pub use platform::PlatformRefresher;
