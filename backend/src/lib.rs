//! The server-side half of AutoGPT Connect, without Leptos: storage (SQLite or PostgreSQL),
//! token encryption, the single-flight token manager, the event bus, and the services behind
//! every route and server function (sign-in, Connect, agents, the webhook inbox, upkeep).
//!
//! A service takes `(&Context, &Caller, args)` and returns a domain result or a
//! [`ServiceError`]; it never reads Leptos context or HTTP details. [`Caller`] is the one
//! axum extractor for "who is calling", used by the server's routes and the app's server
//! functions alike. The browser build cannot reach this crate: `app` depends on it only under
//! its `ssr` feature.

pub mod caller;
pub mod clock;
pub mod context;
pub mod crypto;
pub mod error;
pub mod events;
pub mod intake;
pub mod refresher;
pub mod services;
pub mod storage;
pub mod tokens;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;

pub use caller::{Access, Caller, Mutate, Read, SameOrigin, Visitor};
pub use clock::{Clock, ManualClock, SystemClock};
pub use context::{BackendSettings, BuildError, ConnectProvider, Context, LiveSettings, ServiceConfig, UpkeepSettings};
pub use crypto::{AppSecret, CryptoError, TokenCipher, state_hash};
pub use error::ServiceError;
pub use events::{AppEvent, BusEvent, EventBus};
pub use storage::{Backend, ConnectionId, ConnectionStatus, Storage, StorageError};
pub use tokens::{RefreshError, Refresher, TokenBudget, TokenError, TokenManager, TokenManagerConfig};
