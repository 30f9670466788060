//! Tests of storage, tokens and events. Each suite is written once, as one async fn per
//! behaviour taking a [`TestDb`], and [`both_backends!`](crate::both_backends) runs each
//! against a fresh SQLite file and a fresh PostgreSQL schema.

mod at_rest;
mod events;
mod sessions;
mod storage;
mod tokens;

pub(crate) use crate::both_backends;
pub(crate) use crate::testing::{TestDb, eventually};
