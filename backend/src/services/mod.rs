//! The services: each public function takes `(&Context, &Caller, args)` (or a
//! [`crate::Visitor`] where no sign-in is needed) and returns a domain result or a
//! [`crate::ServiceError`]. They speak to the platform through the `autogpt` client and keep
//! state through [`crate::storage`], [`crate::tokens`] and [`crate::events`].

pub mod agents;
pub mod auth;
pub mod connect;
pub mod issuer;
pub mod library;
pub mod platform;
pub mod session;
pub mod upkeep;
pub mod watcher;
pub mod webhooks;
