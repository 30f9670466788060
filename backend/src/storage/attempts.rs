//! `connect_attempts`: the nonce of each Connect-popup attempt, issued by the server and
//! spent once when the attempt's result is recorded (checklist 5, 8, 15).
//!
//! Only the nonce's SHA-256 is stored, and only the connection that was issued a nonce can
//! spend it, so a result cannot be recorded for somebody else's attempt.

use autogpt::ids::Provider;
use autogpt::random::Nonce;
use sqlx::Row as _;

use super::connections::ConnectionId;
use super::{Storage, StorageError};
use crate::crypto::state_hash;

/// How long a Connect popup attempt stays valid (the popup's hard timeout is the same 10 min).
pub const ATTEMPT_TTL_SECS: i64 = 600;

/// Why a nonce could not be spent.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeAttemptError {
    /// Never issued to this connection, or already spent.
    #[error("unknown or already used connect attempt")]
    Missing,
    /// Issued more than [`ATTEMPT_TTL_SECS`] ago (it is spent now).
    #[error("connect attempt expired")]
    Expired,
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Queries on `connect_attempts`. Obtain with [`Storage::attempts`].
pub struct Attempts<'a> {
    storage: &'a Storage,
}

impl<'a> Attempts<'a> {
    pub(super) fn new(storage: &'a Storage) -> Self {
        Self { storage }
    }

    /// Records a freshly generated nonce for `provider`, valid for [`ATTEMPT_TTL_SECS`].
    pub async fn issue(
        &self,
        connection: &ConnectionId,
        provider: &Provider,
        nonce: &Nonce,
        now: i64,
    ) -> Result<(), StorageError> {
        self.issue_knowing(connection, provider, nonce, &[], now).await
    }

    /// [`Attempts::issue`], remembering the ids of the provider's credentials the user had when
    /// the attempt began (live profile).
    pub async fn issue_knowing(
        &self,
        connection: &ConnectionId,
        provider: &Provider,
        nonce: &Nonce,
        known: &[String],
        now: i64,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO connect_attempts (nonce_hash, connection_id, provider, created_at, expires_at, known_ids) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(state_hash(nonce.as_str()))
        .bind(connection.as_str())
        .bind(provider.as_str())
        .bind(now)
        .bind(now + ATTEMPT_TTL_SECS)
        .bind(known.join(" "))
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// Spends the nonce (single use, atomic) and returns the provider it was issued for.
    pub async fn consume(
        &self,
        connection: &ConnectionId,
        nonce: &str,
        now: i64,
    ) -> Result<Provider, ConsumeAttemptError> {
        let row = sqlx::query(
            "DELETE FROM connect_attempts WHERE nonce_hash = $1 AND connection_id = $2 \
             RETURNING provider, expires_at",
        )
        .bind(state_hash(nonce))
        .bind(connection.as_str())
        .fetch_optional(self.storage.pool())
        .await
        .map_err(StorageError::from)?;
        let Some(row) = row else { return Err(ConsumeAttemptError::Missing) };
        let expires_at: i64 = row.try_get("expires_at").map_err(StorageError::from)?;
        if expires_at <= now {
            return Err(ConsumeAttemptError::Expired);
        }
        Ok(Provider::new(row.try_get::<String, _>("provider").map_err(StorageError::from)?))
    }

    /// A pending (unspent, unexpired) attempt of `connection`, without spending it: its
    /// provider and the credential ids known when it began. The live setup wizard's callback
    /// checks its attempt before the page spends it.
    pub async fn peek(
        &self,
        connection: &ConnectionId,
        nonce: &str,
        now: i64,
    ) -> Result<Option<(Provider, Vec<String>)>, StorageError> {
        let row = sqlx::query(
            "SELECT provider, known_ids FROM connect_attempts \
             WHERE nonce_hash = $1 AND connection_id = $2 AND expires_at > $3",
        )
        .bind(state_hash(nonce))
        .bind(connection.as_str())
        .bind(now)
        .fetch_optional(self.storage.pool())
        .await?;
        row.map(|r| pending(&r)).transpose()
    }

    /// The credential ids known when the newest pending attempt of `connection` for `provider`
    /// began, if there is one (a closed popup is reconciled against it).
    pub async fn pending_known(
        &self,
        connection: &ConnectionId,
        provider: &Provider,
        now: i64,
    ) -> Result<Option<Vec<String>>, StorageError> {
        let row = sqlx::query(
            "SELECT provider, known_ids FROM connect_attempts WHERE connection_id = $1 AND provider = $2 \
             AND expires_at > $3 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(connection.as_str())
        .bind(provider.as_str())
        .bind(now)
        .fetch_optional(self.storage.pool())
        .await?;
        Ok(row.map(|r| pending(&r)).transpose()?.map(|(_, known)| known))
    }

    /// Deletes attempts expired at `now`; returns how many.
    pub async fn purge_expired(&self, now: i64) -> Result<u64, StorageError> {
        let done = sqlx::query("DELETE FROM connect_attempts WHERE expires_at <= $1")
            .bind(now)
            .execute(self.storage.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

fn pending(r: &sqlx::any::AnyRow) -> Result<(Provider, Vec<String>), StorageError> {
    let provider: String = r.try_get("provider")?;
    let known: String = r.try_get("known_ids")?;
    Ok((Provider::new(provider), known.split_ascii_whitespace().map(str::to_owned).collect()))
}
