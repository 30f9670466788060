//! `oauth_transactions`: the server-side half of an authorization request, from
//! `/api/autogpt/authorize` to the callback (checklist 19, 20, 21, 23).
//!
//! Rows are keyed by SHA-256 of `state`, so a database copy cannot be used to complete someone
//! else's login, and the PKCE verifier is sealed (AAD = the state hash). A transaction is
//! consumed by the first callback that names it, whatever the outcome: a replay finds nothing.

use autogpt::origin::RedirectUri;
use autogpt::pkce::PkceVerifier;
use autogpt::random::State;
use sqlx::Row as _;

use super::{Storage, StorageError, corrupt};
use crate::crypto::state_hash;

const TABLE: &str = "oauth_transactions";
const VERIFIER_COL: &str = "verifier_enc";
/// How long a user may take on the platform's login and consent pages (the guide's 10 min).
pub const TRANSACTION_TTL_SECS: i64 = 600;

/// Where the callback renders its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// Full-page redirect flow.
    Window,
    /// Popup: the callback tells its opener and closes.
    Popup,
}

impl AuthMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Window => "window",
            Self::Popup => "popup",
        }
    }

    fn parse(s: &str) -> Result<Self, StorageError> {
        match s {
            "window" => Ok(Self::Window),
            "popup" => Ok(Self::Popup),
            other => Err(corrupt(TABLE, format!("unknown mode {other:?}"))),
        }
    }
}

/// A transaction to store when an authorization starts.
#[derive(Debug)]
pub struct NewTransaction<'a> {
    /// The `state` sent to the platform (only its hash is stored).
    pub state: &'a State,
    /// What identifies the initiating browser session. Prefer a random value kept in the
    /// session over the session id itself, which changes on `cycle_id` (checklist 40).
    pub session_key: &'a str,
    /// The PKCE verifier; moved in and stored sealed.
    pub verifier: PkceVerifier,
    /// Same-origin relative path to return to (validated by the caller, checklist 38).
    pub return_to: &'a str,
    /// Window or popup.
    pub mode: AuthMode,
    /// The `redirect_uri` sent, repeated byte-for-byte in the token request (checklist 23).
    pub redirect_uri: &'a RedirectUri,
}

/// A consumed transaction, ready for the code exchange.
#[derive(Debug)]
pub struct TakenTransaction {
    /// The PKCE verifier for the token request.
    pub verifier: PkceVerifier,
    /// Where to send the user afterwards.
    pub return_to: String,
    /// Window or popup.
    pub mode: AuthMode,
    /// The `redirect_uri` of the authorization request.
    pub redirect_uri: RedirectUri,
}

/// Why a callback's `state` was refused. In every case the transaction (if any) is consumed
/// and the caller answers 400 without calling the token endpoint (checklist 21).
#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    /// Unknown or already used `state`.
    #[error("unknown or already used state")]
    Missing,
    /// Older than [`TRANSACTION_TTL_SECS`].
    #[error("authorization transaction expired")]
    Expired,
    /// Started by another browser session (login CSRF).
    #[error("state belongs to another session")]
    OtherSession,
    /// The database failed (answer 5xx).
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Queries on `oauth_transactions`. Obtain with [`Storage::transactions`].
pub struct Transactions<'a> {
    storage: &'a Storage,
}

impl<'a> Transactions<'a> {
    pub(super) fn new(storage: &'a Storage) -> Self {
        Self { storage }
    }

    /// Stores a transaction valid for [`TRANSACTION_TTL_SECS`] from `now`.
    pub async fn insert(&self, tx: NewTransaction<'_>, now: i64) -> Result<(), StorageError> {
        let key = state_hash(tx.state.as_str());
        let verifier = self.storage.cipher().seal_field(TABLE, &key, VERIFIER_COL, tx.verifier.secret());
        sqlx::query(
            "INSERT INTO oauth_transactions \
             (state_hash, session_id, verifier_enc, return_to, mode, redirect_uri, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&key)
        .bind(tx.session_key)
        .bind(verifier)
        .bind(tx.return_to)
        .bind(tx.mode.as_str())
        .bind(tx.redirect_uri.as_str())
        .bind(now)
        .bind(now + TRANSACTION_TTL_SECS)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// Consumes the transaction named by a callback's `state` (one `DELETE .. RETURNING`, so
    /// two concurrent callbacks cannot both succeed), then checks session and expiry.
    pub async fn take(&self, state: &str, session_key: &str, now: i64) -> Result<TakenTransaction, TakeError> {
        let key = state_hash(state);
        let row = sqlx::query(
            "DELETE FROM oauth_transactions WHERE state_hash = $1 \
             RETURNING session_id, verifier_enc, return_to, mode, redirect_uri, expires_at",
        )
        .bind(&key)
        .fetch_optional(self.storage.pool())
        .await
        .map_err(StorageError::from)?;
        let Some(row) = row else { return Err(TakeError::Missing) };
        let owner: String = row.try_get("session_id").map_err(StorageError::from)?;
        if owner != session_key {
            return Err(TakeError::OtherSession);
        }
        let expires_at: i64 = row.try_get("expires_at").map_err(StorageError::from)?;
        if expires_at <= now {
            return Err(TakeError::Expired);
        }
        let sealed: Vec<u8> = row.try_get("verifier_enc").map_err(StorageError::from)?;
        let verifier =
            self.storage.cipher().open_field(TABLE, &key, VERIFIER_COL, &sealed).map_err(StorageError::from)?;
        let verifier = PkceVerifier::new(verifier).map_err(|_| corrupt(TABLE, "invalid PKCE verifier"))?;
        let redirect_uri: String = row.try_get("redirect_uri").map_err(StorageError::from)?;
        Ok(TakenTransaction {
            verifier,
            return_to: row.try_get("return_to").map_err(StorageError::from)?,
            mode: AuthMode::parse(&row.try_get::<String, _>("mode").map_err(StorageError::from)?)?,
            redirect_uri: RedirectUri::new(redirect_uri).map_err(|_| corrupt(TABLE, "invalid redirect_uri"))?,
        })
    }

    /// Deletes transactions expired at `now` (abandoned logins); returns how many.
    pub async fn purge_expired(&self, now: i64) -> Result<u64, StorageError> {
        let done = sqlx::query("DELETE FROM oauth_transactions WHERE expires_at <= $1")
            .bind(now)
            .execute(self.storage.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
