//! Plain axum routes (everything that is not a Leptos page or server function).

pub mod events;
pub mod health;
pub mod integrations;
pub mod metrics;
pub mod oauth;
pub mod pages;
pub mod runs;
pub mod webhook;
