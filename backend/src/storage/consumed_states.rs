//! `consumed_states`: the `state` of every sign-in whose callback was answered, until it
//! would have expired anyway, so a replayed callback is refused (checklist 20) even by
//! someone holding a copy of the browser's transaction cookie.
//!
//! The transaction itself (state, PKCE verifier, mode, return path) never reaches the
//! database: it rides in a sealed cookie, so starting a sign-in writes nothing durable
//! (issue 11 item 4). Rows are keyed by SHA-256 of `state`.

use super::{Storage, StorageError};
use crate::crypto::state_hash;

/// Queries on `consumed_states`. Obtain with [`Storage::consumed_states`].
pub struct ConsumedStates<'a> {
    storage: &'a Storage,
}

impl<'a> ConsumedStates<'a> {
    pub(super) fn new(storage: &'a Storage) -> Self {
        Self { storage }
    }

    /// Marks `state` consumed until `expires_at`; `false` when it was consumed before (a
    /// replay). One `INSERT .. ON CONFLICT DO NOTHING`, so two concurrent callbacks cannot
    /// both win.
    pub async fn consume(&self, state: &str, expires_at: i64) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "INSERT INTO consumed_states (state_hash, expires_at) VALUES ($1, $2) ON CONFLICT (state_hash) DO NOTHING",
        )
        .bind(state_hash(state))
        .bind(expires_at)
        .execute(self.storage.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the states that expired at `now`; returns how many.
    pub async fn purge_expired(&self, now: i64) -> Result<u64, StorageError> {
        let done = sqlx::query("DELETE FROM consumed_states WHERE expires_at <= $1")
            .bind(now)
            .execute(self.storage.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
