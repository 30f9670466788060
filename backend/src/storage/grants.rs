//! `grants`: credential grants made through the Connect popup, per connection (B5).
//!
//! A grant is stored only after the caller confirmed it with the platform (checklist 15).
//! Revocation is sticky: a later upsert from a stale grant list never revives a grant the
//! platform reported revoked.

use autogpt::ids::{CredentialId, GrantId, Provider};
use autogpt::scope::Scope;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::connections::ConnectionId;
use super::{Storage, StorageError};

/// A stored grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRecord {
    /// Platform grant id.
    pub grant_id: GrantId,
    /// Owner.
    pub connection_id: ConnectionId,
    /// Provider (`google`, `github`, ...).
    pub provider: Provider,
    /// Credential behind the grant, if known.
    pub credential_id: Option<CredentialId>,
    /// Granted integration scopes.
    pub scopes: Vec<Scope>,
    /// First stored, unix seconds.
    pub created_at: i64,
    /// Revoked at, unix seconds.
    pub revoked_at: Option<i64>,
}

/// A grant to upsert.
#[derive(Clone, Copy, Debug)]
pub struct NewGrant<'a> {
    /// Platform grant id.
    pub grant_id: &'a GrantId,
    /// Provider.
    pub provider: &'a Provider,
    /// Credential, if known.
    pub credential_id: Option<&'a CredentialId>,
    /// Granted scopes.
    pub scopes: &'a [Scope],
}

/// What [`Grants::upsert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantUpsert {
    /// A new grant (publish `GrantAdded`).
    Inserted,
    /// Known grant, details refreshed.
    Updated,
    /// The grant id is stored for another connection; nothing changed.
    OtherConnection,
}

/// A grant newly marked revoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedGrant {
    /// Whose grant it was (publish `GrantRevoked` to it).
    pub connection_id: ConnectionId,
    /// Its provider.
    pub provider: Provider,
}

/// Queries on `grants`. Obtain with [`Storage::grants`].
pub struct Grants<'a> {
    storage: &'a Storage,
}

impl<'a> Grants<'a> {
    pub(super) fn new(storage: &'a Storage) -> Self {
        Self { storage }
    }

    /// Inserts a grant, or merges provider/credential/scopes into the stored one (a grant
    /// extended with more scopes keeps its id). Never un-revokes.
    pub async fn upsert(
        &self,
        connection: &ConnectionId,
        grant: NewGrant<'_>,
        now: i64,
    ) -> Result<GrantUpsert, StorageError> {
        let scopes = Scope::join_space(grant.scopes);
        let credential = grant.credential_id.map(|c| c.as_str().to_owned());
        let inserted = sqlx::query(
            "INSERT INTO grants (grant_id, connection_id, provider, credential_id, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (grant_id) DO NOTHING",
        )
        .bind(grant.grant_id.as_str())
        .bind(connection.as_str())
        .bind(grant.provider.as_str())
        .bind(credential.clone())
        .bind(&scopes)
        .bind(now)
        .execute(self.storage.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(GrantUpsert::Inserted);
        }
        let updated = sqlx::query(
            "UPDATE grants SET provider = $3, credential_id = COALESCE($4, credential_id), scopes = $5 \
             WHERE grant_id = $1 AND connection_id = $2",
        )
        .bind(grant.grant_id.as_str())
        .bind(connection.as_str())
        .bind(grant.provider.as_str())
        .bind(credential)
        .bind(&scopes)
        .execute(self.storage.pool())
        .await?;
        Ok(if updated.rows_affected() == 1 { GrantUpsert::Updated } else { GrantUpsert::OtherConnection })
    }

    /// The connection's grants that are not revoked, oldest first.
    pub async fn list_active(&self, connection: &ConnectionId) -> Result<Vec<GrantRecord>, StorageError> {
        let rows = sqlx::query(
            "SELECT grant_id, connection_id, provider, credential_id, scopes, created_at, revoked_at \
             FROM grants WHERE connection_id = $1 AND revoked_at IS NULL ORDER BY created_at, grant_id",
        )
        .bind(connection.as_str())
        .fetch_all(self.storage.pool())
        .await?;
        rows.iter().map(grant_from_row).collect()
    }

    /// One grant of the connection (revoked or not).
    pub async fn get(
        &self,
        connection: &ConnectionId,
        grant_id: &GrantId,
    ) -> Result<Option<GrantRecord>, StorageError> {
        let row = sqlx::query(
            "SELECT grant_id, connection_id, provider, credential_id, scopes, created_at, revoked_at \
             FROM grants WHERE connection_id = $1 AND grant_id = $2",
        )
        .bind(connection.as_str())
        .bind(grant_id.as_str())
        .fetch_optional(self.storage.pool())
        .await?;
        row.as_ref().map(grant_from_row).transpose()
    }

    /// Marks a grant revoked (webhook `grant.revoked`). Idempotent: only the first call
    /// returns the affected connection, so a redelivered webhook publishes nothing twice.
    pub async fn mark_revoked(&self, grant_id: &GrantId, at: i64) -> Result<Vec<RevokedGrant>, StorageError> {
        let rows = sqlx::query(
            "UPDATE grants SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL \
             RETURNING connection_id, provider",
        )
        .bind(grant_id.as_str())
        .bind(at)
        .fetch_all(self.storage.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RevokedGrant {
                    connection_id: ConnectionId::new(r.try_get::<String, _>("connection_id")?),
                    provider: Provider::new(r.try_get::<String, _>("provider")?),
                })
            })
            .collect()
    }
}

fn grant_from_row(r: &AnyRow) -> Result<GrantRecord, StorageError> {
    let scopes: String = r.try_get("scopes")?;
    Ok(GrantRecord {
        grant_id: GrantId::new(r.try_get::<String, _>("grant_id")?),
        connection_id: ConnectionId::new(r.try_get::<String, _>("connection_id")?),
        provider: Provider::new(r.try_get::<String, _>("provider")?),
        credential_id: r.try_get::<Option<String>, _>("credential_id")?.map(CredentialId::new),
        // Written by us from validated scopes; skip rather than fail on a manual edit.
        scopes: scopes.split_ascii_whitespace().filter_map(|s| Scope::new(s).ok()).collect(),
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}
