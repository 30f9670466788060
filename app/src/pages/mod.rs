//! One module per route. Pages render on the server; interactivity lives in
//! [`crate::islands`].

pub mod agents;
pub mod connect;
pub mod executions;
pub mod home;
pub mod library;
pub mod not_found;
pub mod run;
