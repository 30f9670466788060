//! The AutoGPT Connect web server: configuration, router, HTTP routes and
//! start-up. `main.rs` only calls [`Application::build`] and runs it; tests do
//! the same with port 0.

pub mod config;
mod error;
pub mod middleware;
pub mod routes;
mod startup;
pub mod telemetry;

pub use error::Error;
pub use startup::{AppState, Application, StartError, router};
