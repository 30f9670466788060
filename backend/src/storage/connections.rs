//! `connections`: one row per signed-in platform user, holding its sealed tokens and the
//! refresh lease that makes refresh single-flight across replicas (B2).
//!
//! Tokens are sealed with AAD `connections\0<id>\0<column>`, so a ciphertext cannot be moved to
//! another user's row. `token_version` increases on every token write: a replica waiting for
//! another one's refresh recognises the new tokens by it.

use std::fmt;

use autogpt::ids::UserId;
use autogpt::scope::Scope;
use autogpt::secret::{AccessToken, RefreshToken};
use autogpt::types::TokenResponse;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{Storage, StorageError, corrupt};
use crate::crypto::random_id;

const TABLE: &str = "connections";
const ACCESS_COL: &str = "access_token_enc";
const REFRESH_COL: &str = "refresh_token_enc";

/// Opaque id of a connection (random, 128 bits). This is what a session remembers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnectionId(String);

impl ConnectionId {
    /// Wraps a stored value (e.g. read back from a session).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a connection can call the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Tokens stored and usable (refreshable).
    Active,
    /// The platform rejected the refresh token (`invalid_grant`): the user must sign in again.
    ReconnectRequired,
    /// The user signed out; tokens deleted.
    Disconnected,
}

impl ConnectionStatus {
    /// The stored (and serialized) form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::ReconnectRequired => "reconnect_required",
            Self::Disconnected => "disconnected",
        }
    }

    fn parse(s: &str) -> Result<Self, StorageError> {
        match s {
            "active" => Ok(Self::Active),
            "reconnect_required" => Ok(Self::ReconnectRequired),
            "disconnected" => Ok(Self::Disconnected),
            other => Err(corrupt(TABLE, format!("unknown status {other:?}"))),
        }
    }
}

/// What a connection calls the platform with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// OAuth tokens (access, refresh): sent as a bearer, refreshed.
    OAuth,
    /// The user's AutoGPT API key (live profile), kept in the access-token column: sent as
    /// `X-API-Key`, never refreshed.
    ApiKey,
}

impl CredentialKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::OAuth => "oauth",
            Self::ApiKey => "api_key",
        }
    }

    fn parse(s: &str) -> Result<Self, StorageError> {
        match s {
            "oauth" => Ok(Self::OAuth),
            "api_key" => Ok(Self::ApiKey),
            other => Err(corrupt(TABLE, format!("unknown credential kind {other:?}"))),
        }
    }
}

/// Who signed in, from `/oauth/userinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Platform user id; connections are unique per user.
    pub user_sub: UserId,
    /// E-mail address, if shared.
    pub email: Option<String>,
    /// Display name, if shared.
    pub name: Option<String>,
}

/// A connection without its secrets: safe to show (no `Serialize` anyway: server-side type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// Row id.
    pub id: ConnectionId,
    /// Who.
    pub profile: Profile,
    /// Whether the tokens are usable.
    pub status: ConnectionStatus,
    /// Scopes the platform granted (checklist 39).
    pub scopes: Vec<Scope>,
    /// Access token expiry, unix seconds, if known.
    pub access_expires_at: Option<i64>,
    /// Whether an access token is stored.
    pub has_tokens: bool,
    /// Sessions signed in under another epoch are over (sign-out bumps it).
    pub session_epoch: i64,
    /// OAuth tokens or an API key.
    pub credential_kind: CredentialKind,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// The decrypted tokens of a connection plus what the refresh protocol needs.
#[derive(Debug)]
pub struct StoredTokens {
    /// Connection status.
    pub status: ConnectionStatus,
    /// Access token (`None` after `invalid_grant` or sign-out).
    pub access_token: Option<AccessToken>,
    /// Refresh token, if the platform issued one.
    pub refresh_token: Option<RefreshToken>,
    /// Access token expiry, unix seconds.
    pub access_expires_at: Option<i64>,
    /// Increases with every token write.
    pub version: i64,
    /// Until when the refresh lease is taken (unix seconds), if it is.
    pub lease_until: Option<i64>,
    /// What the access token is: a token or an API key.
    pub credential_kind: CredentialKind,
}

/// Queries on `connections`. Obtain with [`Storage::connections`].
pub struct Connections<'a> {
    storage: &'a Storage,
}

fn scopes_text(scopes: &[Scope]) -> String {
    Scope::join_space(scopes)
}

impl<'a> Connections<'a> {
    pub(super) fn new(storage: &'a Storage) -> Self {
        Self { storage }
    }

    fn seal(&self, id: &str, column: &str, secret: &str) -> Vec<u8> {
        self.storage.cipher().seal_field(TABLE, id, column, secret)
    }

    /// Creates or updates the user's connection (one per `user_sub`) and replaces its tokens,
    /// in one transaction: a user signing in again keeps the row, its grants and history.
    pub async fn upsert(
        &self,
        profile: &Profile,
        tokens: &TokenResponse,
        now: i64,
    ) -> Result<ConnectionId, StorageError> {
        self.upsert_credential(profile, tokens, CredentialKind::OAuth, now).await
    }

    /// [`Connections::upsert`] with the credential's kind (an API key travels as a
    /// [`TokenResponse`] without refresh token or expiry).
    pub async fn upsert_credential(
        &self,
        profile: &Profile,
        tokens: &TokenResponse,
        kind: CredentialKind,
        now: i64,
    ) -> Result<ConnectionId, StorageError> {
        let mut tx = self.storage.pool().begin().await?;
        let id: String = sqlx::query_scalar(
            "INSERT INTO connections (id, user_sub, email, name, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'disconnected', $5, $5) \
             ON CONFLICT (user_sub) DO UPDATE SET email = excluded.email, name = excluded.name, \
             updated_at = excluded.updated_at \
             RETURNING id",
        )
        .bind(random_id())
        .bind(profile.user_sub.as_str())
        .bind(profile.email.clone())
        .bind(profile.name.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        // Sealing needs the row id (AAD), known only now for an existing user.
        let access = self.seal(&id, ACCESS_COL, tokens.access_token.secret());
        let refresh = tokens.refresh_token.as_ref().map(|t| self.seal(&id, REFRESH_COL, t.secret()));
        sqlx::query(
            "UPDATE connections SET status = 'active', scope = $2, access_token_enc = $3, \
             refresh_token_enc = $4, access_expires_at = $5, token_version = token_version + 1, \
             refresh_lease_until = NULL, refresh_lease_owner = NULL, updated_at = $6, credential_kind = $7 \
             WHERE id = $1",
        )
        .bind(&id)
        .bind(scopes_text(&tokens.scopes))
        .bind(access)
        .bind(refresh)
        .bind(tokens.expires_at)
        .bind(now)
        .bind(kind.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ConnectionId(id))
    }

    /// The connection without secrets.
    pub async fn get(&self, id: &ConnectionId) -> Result<Option<ConnectionRecord>, StorageError> {
        let row = sqlx::query(
            "SELECT id, user_sub, email, name, status, scope, access_expires_at, \
             CASE WHEN access_token_enc IS NULL THEN 0 ELSE 1 END AS has_tokens, session_epoch, \
             credential_kind, created_at, updated_at FROM connections WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(self.storage.pool())
        .await?;
        row.map(|r| record_from_row(&r)).transpose()
    }

    /// The connection of a platform user, if any.
    pub async fn find_by_user(&self, user_sub: &UserId) -> Result<Option<ConnectionRecord>, StorageError> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM connections WHERE user_sub = $1")
            .bind(user_sub.as_str())
            .fetch_optional(self.storage.pool())
            .await?;
        match id {
            Some(id) => self.get(&ConnectionId(id)).await,
            None => Ok(None),
        }
    }

    /// The decrypted tokens and refresh bookkeeping; `None` if the row does not exist.
    pub async fn tokens(&self, id: &ConnectionId) -> Result<Option<StoredTokens>, StorageError> {
        let row = sqlx::query(
            "SELECT status, access_token_enc, refresh_token_enc, access_expires_at, token_version, \
             refresh_lease_until, credential_kind FROM connections WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(self.storage.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let cipher = self.storage.cipher();
        let open = |col: &str, v: Option<Vec<u8>>| -> Result<Option<String>, StorageError> {
            Ok(v.map(|ct| cipher.open_field(TABLE, id.as_str(), col, &ct)).transpose()?)
        };
        Ok(Some(StoredTokens {
            status: ConnectionStatus::parse(&row.try_get::<String, _>("status")?)?,
            access_token: open(ACCESS_COL, row.try_get("access_token_enc")?)?.map(AccessToken::new),
            refresh_token: open(REFRESH_COL, row.try_get("refresh_token_enc")?)?.map(RefreshToken::new),
            access_expires_at: row.try_get("access_expires_at")?,
            version: row.try_get("token_version")?,
            lease_until: row.try_get("refresh_lease_until")?,
            credential_kind: CredentialKind::parse(&row.try_get::<String, _>("credential_kind")?)?,
        }))
    }

    /// Takes the refresh lease until `until` if it is free or expired at `now`. One conditional
    /// UPDATE, so of any number of replicas exactly one wins.
    pub async fn try_acquire_lease(
        &self,
        id: &ConnectionId,
        owner: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE connections SET refresh_lease_until = $3, refresh_lease_owner = $2 \
             WHERE id = $1 AND (refresh_lease_until IS NULL OR refresh_lease_until < $4)",
        )
        .bind(id.as_str())
        .bind(owner)
        .bind(until)
        .bind(now)
        .execute(self.storage.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Releases the lease if `owner` still holds it (after a failed refresh).
    pub async fn release_lease(&self, id: &ConnectionId, owner: &str) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE connections SET refresh_lease_until = NULL, refresh_lease_owner = NULL \
             WHERE id = $1 AND refresh_lease_owner = $2",
        )
        .bind(id.as_str())
        .bind(owner)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// Stores a refresh result: both tokens, expiry and scopes in ONE statement that also
    /// clears the lease, so the rotated refresh token is durable before the new access token is
    /// used, and the old one is gone (checklist 30). A response without a refresh token keeps
    /// `previous_refresh` (a platform that does not rotate).
    pub async fn store_refreshed(
        &self,
        id: &ConnectionId,
        tokens: &TokenResponse,
        previous_refresh: &RefreshToken,
        now: i64,
    ) -> Result<(), StorageError> {
        let refresh = tokens.refresh_token.as_ref().unwrap_or(previous_refresh);
        let access = self.seal(id.as_str(), ACCESS_COL, tokens.access_token.secret());
        let refresh = self.seal(id.as_str(), REFRESH_COL, refresh.secret());
        // An empty scope list means "not sent": keep what was granted before.
        let scope = (!tokens.scopes.is_empty()).then(|| scopes_text(&tokens.scopes));
        sqlx::query(
            "UPDATE connections SET access_token_enc = $2, refresh_token_enc = $3, \
             access_expires_at = $4, scope = COALESCE($5, scope), status = 'active', \
             token_version = token_version + 1, refresh_lease_until = NULL, \
             refresh_lease_owner = NULL, updated_at = $6 WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(access)
        .bind(refresh)
        .bind(tokens.expires_at)
        .bind(scope)
        .bind(now)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// After `invalid_grant`: tokens deleted, status `reconnect_required`, lease cleared
    /// (checklist 32).
    pub async fn mark_reconnect_required(&self, id: &ConnectionId, now: i64) -> Result<(), StorageError> {
        self.clear_tokens(id, ConnectionStatus::ReconnectRequired, now).await
    }

    /// Signs the connection out everywhere: deletes the tokens, ends every session signed in
    /// under the current epoch (by moving to the next one), and returns the refresh token they
    /// held, so the caller can revoke it at the platform afterwards: local deletion never
    /// depends on that call succeeding (checklist 34).
    pub async fn forget(&self, id: &ConnectionId, now: i64) -> Result<Option<RefreshToken>, StorageError> {
        let refresh = match self.tokens(id).await? {
            Some(t) => t.refresh_token,
            None => return Ok(None),
        };
        self.clear_tokens(id, ConnectionStatus::Disconnected, now).await?;
        Ok(refresh)
    }

    async fn clear_tokens(&self, id: &ConnectionId, status: ConnectionStatus, now: i64) -> Result<(), StorageError> {
        // Signing out (not a refused refresh token) also ends every session, in the same write.
        let next_epoch = i64::from(status == ConnectionStatus::Disconnected);
        sqlx::query(
            "UPDATE connections SET status = $2, access_token_enc = NULL, refresh_token_enc = NULL, \
             access_expires_at = NULL, token_version = token_version + 1, refresh_lease_until = NULL, \
             refresh_lease_owner = NULL, updated_at = $3, session_epoch = session_epoch + $4 WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(status.as_str())
        .bind(now)
        .bind(next_epoch)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }
}

fn record_from_row(r: &AnyRow) -> Result<ConnectionRecord, StorageError> {
    let scope: String = r.try_get("scope")?;
    // Stored by us from validated scopes; an invalid one is skipped rather than failing reads.
    let scopes = scope.split_ascii_whitespace().filter_map(|s| Scope::new(s).ok()).collect();
    Ok(ConnectionRecord {
        id: ConnectionId(r.try_get("id")?),
        profile: Profile {
            user_sub: UserId::new(r.try_get::<String, _>("user_sub")?),
            email: r.try_get("email")?,
            name: r.try_get("name")?,
        },
        status: ConnectionStatus::parse(&r.try_get::<String, _>("status")?)?,
        scopes,
        access_expires_at: r.try_get("access_expires_at")?,
        // An integer, not `IS NOT NULL`: that is a boolean in PostgreSQL but an integer in SQLite.
        has_tokens: r.try_get::<i64, _>("has_tokens")? != 0,
        session_epoch: r.try_get("session_epoch")?,
        credential_kind: CredentialKind::parse(&r.try_get::<String, _>("credential_kind")?)?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}
