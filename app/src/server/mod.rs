//! Server-only services: storage, token encryption, the token manager and the event bus.
//!
//! Compiled only with feature `ssr` (declared behind `#[cfg(feature = "ssr")]` in `lib.rs`), so
//! none of it — nor sqlx, nor any secret — can reach the WASM bundle.

pub mod clock;
pub mod crypto;
pub mod events;
pub mod storage;
pub mod tokens;

#[cfg(test)]
mod tests;

pub use clock::{Clock, ManualClock, SystemClock};
pub use crypto::{CryptoError, TokenCipher, state_hash};
pub use events::{AppEvent, BusEvent, EventBus};
pub use storage::{Backend, ConnectionId, ConnectionStatus, Storage, StorageError};
pub use tokens::{RefreshError, Refresher, TokenError, TokenManager, TokenManagerConfig};
