//! The token manager: a usable access token for a connection, refreshed when it is about to
//! expire, exactly once per expiry however many requests and replicas need it (B2).
//!
//! Single flight has two layers. Within a process, a per-connection async mutex queues the
//! callers, and each re-reads the row after its turn comes (the one before it may have
//! refreshed). Across replicas, a lease in the row (`refresh_lease_until/owner`, taken by one
//! conditional UPDATE) elects one refresher; the others poll the row until new tokens appear.
//! This matters because the platform rotates refresh tokens and treats reuse of an old one as
//! theft, revoking the whole grant (checklist 31).

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autogpt::live::api::Credential;
use autogpt::secret::{AccessToken, ApiKey, RefreshToken};
use autogpt::types::{DEFAULT_EXPIRY_SKEW_SECS, TokenResponse};

use crate::clock::Clock;
use crate::crypto::random_id;
use crate::storage::{ConnectionId, ConnectionStatus, CredentialKind, Profile, Storage, StorageError, StoredTokens};

/// Why the token endpoint refused or failed a refresh.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// `invalid_grant`: the refresh token is dead (revoked, expired, reused). Final.
    #[error("refresh token rejected (invalid_grant)")]
    InvalidGrant,
    /// The platform rotated the refresh token but the rest of its answer did not parse: the
    /// new refresh token must be kept (the old one is revoked), the old access token stays.
    #[error("token refresh answer unreadable; the rotated refresh token was recovered")]
    Rotated(RefreshToken),
    /// Anything else (network, 5xx, unexpected body): the tokens may still be good.
    #[error("token refresh failed: {0}")]
    Other(String),
}

/// Performs the HTTP refresh (the OAuth token client in production, a fake in tests).
pub trait Refresher: Send + Sync + 'static {
    /// Exchanges a refresh token for new tokens.
    fn refresh(&self, token: &RefreshToken) -> impl Future<Output = Result<TokenResponse, RefreshError>> + Send;
}

impl<R: Refresher> Refresher for Arc<R> {
    fn refresh(&self, token: &RefreshToken) -> impl Future<Output = Result<TokenResponse, RefreshError>> + Send {
        (**self).refresh(token)
    }
}

/// Why no access token could be provided.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No such connection.
    #[error("unknown connection")]
    UnknownConnection,
    /// The user must sign in again (`invalid_grant`, signed out, or no refresh token).
    #[error("the connection must be re-authorized")]
    ReconnectRequired,
    /// The refresh failed for a reason that may pass (network, 5xx); nothing was changed.
    #[error("token refresh failed: {0}")]
    Refresh(String),
    /// Another replica held the refresh lease past the wait deadline.
    #[error("timed out waiting for a concurrent token refresh")]
    RefreshTimeout,
    /// The budget of platform token calls is spent for now (our own 429: the platform's
    /// token limit is per client, so one user must not spend everyone's sign-ins).
    #[error("too many token refreshes; try again in a minute")]
    Budget,
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// How many refreshes this app makes at most (per process). The platform limits token calls
/// per *client* (the sandbox: 20 a minute), and sign-ins need that same endpoint: refreshes
/// are capped below it, globally and per connection, so sign-ins always keep headroom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenBudget {
    /// Refreshes per minute, all connections together.
    pub global_per_minute: NonZeroU32,
    /// Refreshes per minute for one connection.
    pub per_connection_per_minute: NonZeroU32,
}

impl Default for TokenBudget {
    fn default() -> Self {
        Self { global_per_minute: NonZeroU32::new(10).unwrap(), per_connection_per_minute: NonZeroU32::new(3).unwrap() }
    }
}

struct Limiters {
    global: governor::DefaultDirectRateLimiter,
    per_connection: governor::DefaultKeyedRateLimiter<ConnectionId>,
}

impl Limiters {
    fn new(budget: TokenBudget) -> Self {
        Self {
            global: governor::RateLimiter::direct(governor::Quota::per_minute(budget.global_per_minute)),
            per_connection: governor::RateLimiter::keyed(governor::Quota::per_minute(budget.per_connection_per_minute)),
        }
    }

    /// Spends one refresh of `id`'s budget and of the global one, or refuses.
    fn allow(&self, id: &ConnectionId) -> bool {
        if self.per_connection.len() > 10_000 {
            self.per_connection.retain_recent();
        }
        self.per_connection.check_key(id).is_ok() && self.global.check().is_ok()
    }
}

/// Tuning of [`TokenManager`].
#[derive(Clone, Debug)]
pub struct TokenManagerConfig {
    /// Refresh when the access token expires within this many seconds (default 60, checklist 33).
    pub skew_secs: i64,
    /// How long a refresh lease is held at most, in (clock) seconds; longer than `refresh_timeout`.
    pub lease_secs: i64,
    /// Upper bound for one token-endpoint call.
    pub refresh_timeout: Duration,
    /// How long a replica waits for another one's refresh before giving up.
    pub wait_timeout: Duration,
    /// How often a waiting replica re-reads the row.
    pub poll_interval: Duration,
    /// Refreshes allowed per minute.
    pub budget: TokenBudget,
}

impl Default for TokenManagerConfig {
    fn default() -> Self {
        Self {
            skew_secs: DEFAULT_EXPIRY_SKEW_SECS,
            lease_secs: 30,
            refresh_timeout: Duration::from_secs(20),
            wait_timeout: Duration::from_secs(35),
            poll_interval: Duration::from_millis(50),
            budget: TokenBudget::default(),
        }
    }
}

/// Hands out access tokens, refreshing single-flight. Cheap to clone.
pub struct TokenManager<R> {
    inner: Arc<Inner<R>>,
}

impl<R> Clone for TokenManager<R> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

struct Inner<R> {
    storage: Storage,
    refresher: R,
    clock: Arc<dyn Clock>,
    config: TokenManagerConfig,
    /// Lease owner name of this process: random, so two replicas never share it.
    owner: String,
    locks: Mutex<HashMap<ConnectionId, Arc<tokio::sync::Mutex<()>>>>,
    limiters: Limiters,
    refreshes: AtomicU64,
    lease_waits: AtomicU64,
}

/// What the caller wants from a refresh round.
#[derive(Clone, Copy)]
enum Want {
    /// A token not expiring within the skew.
    Fresh,
    /// A token newer than this version (forced refresh).
    NewerThan(i64),
}

impl<R: Refresher> TokenManager<R> {
    /// A manager with the default configuration.
    pub fn new(storage: Storage, refresher: R, clock: Arc<dyn Clock>) -> Self {
        Self::with_config(storage, refresher, clock, TokenManagerConfig::default())
    }

    /// A manager with an explicit configuration.
    pub fn with_config(storage: Storage, refresher: R, clock: Arc<dyn Clock>, config: TokenManagerConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                storage,
                refresher,
                clock,
                limiters: Limiters::new(config.budget),
                config,
                owner: random_id(),
                locks: Mutex::new(HashMap::new()),
                refreshes: AtomicU64::new(0),
                lease_waits: AtomicU64::new(0),
            }),
        }
    }

    /// Stores the tokens of a code exchange for the user (creating or reusing the user's
    /// connection) and returns the connection id to remember in the session.
    pub async fn store_initial(&self, profile: &Profile, tokens: &TokenResponse) -> Result<ConnectionId, TokenError> {
        let now = self.inner.clock.now();
        Ok(self.inner.storage.connections().upsert(profile, tokens, now).await?)
    }

    /// A usable access token, refreshed first if it expires within the skew.
    pub async fn access_token(&self, id: &ConnectionId) -> Result<AccessToken, TokenError> {
        let t = self.load(id).await?;
        if !self.expiring(&t) {
            return usable(t);
        }
        self.refresh(id, Want::Fresh).await.map(|(token, _)| token)
    }

    /// Stores a verified API key as the user's credential (live profile: no OAuth tokens, no
    /// refresh) and returns the connection id to remember in the session.
    pub async fn store_api_key(
        &self,
        profile: &Profile,
        key: &ApiKey,
        scopes: Vec<autogpt::scope::Scope>,
    ) -> Result<ConnectionId, TokenError> {
        let now = self.inner.clock.now();
        let as_tokens = TokenResponse {
            access_token: AccessToken::new(key.secret()),
            token_type: "api_key".to_owned(),
            refresh_token: None,
            expires_in: None,
            expires_at: None,
            scopes,
            id_token: None,
        };
        Ok(self.inner.storage.connections().upsert_credential(profile, &as_tokens, CredentialKind::ApiKey, now).await?)
    }

    /// The credential to call the platform with (an access token, refreshed first if it is
    /// about to expire, or an API key) and its stored version, for
    /// [`TokenManager::replace_refused`].
    pub async fn credential_versioned(&self, id: &ConnectionId) -> Result<(Credential, i64), TokenError> {
        let mut t = self.load(id).await?;
        if self.expiring(&t) {
            self.refresh(id, Want::Fresh).await?;
            t = self.load(id).await?;
        }
        let (version, kind) = (t.version, t.credential_kind);
        let token = usable(t)?;
        Ok((as_credential(token, kind), version))
    }

    /// [`TokenManager::access_token`] with the stored version of the token it returns: hand
    /// that version to [`TokenManager::replace_refused`] if the platform refuses the token.
    pub async fn access_token_versioned(&self, id: &ConnectionId) -> Result<(AccessToken, i64), TokenError> {
        let mut t = self.load(id).await?;
        if self.expiring(&t) {
            self.refresh(id, Want::Fresh).await?;
            // The row as it is now: the token and its version always come from one read.
            t = self.load(id).await?;
        }
        let version = t.version;
        usable(t).map(|token| (token, version))
    }

    /// A token to use instead of the one of version `refused` that the platform answered 401
    /// to. Refreshes only if no newer token is stored yet: when several callers' requests
    /// are refused at once (or one arrives just after another caller's refresh), the
    /// platform sees one refresh, not one per caller.
    pub async fn replace_refused(&self, id: &ConnectionId, refused: i64) -> Result<AccessToken, TokenError> {
        self.refresh(id, Want::NewerThan(refused)).await.map(|(token, _)| token)
    }

    /// Refreshes now and returns the new expiry (never a token). A refresh that another
    /// caller completes meanwhile counts as this one.
    pub async fn force_refresh(&self, id: &ConnectionId) -> Result<Option<i64>, TokenError> {
        let seen = self.load(id).await?.version;
        self.refresh(id, Want::NewerThan(seen)).await.map(|(_, expires_at)| expires_at)
    }

    /// `POST /api/autogpt/refresh`: makes sure the access token is fresh and returns its
    /// expiry. No platform call while it is (a page may ask as often as it likes); concurrent
    /// callers share one refresh when it is not.
    pub async fn ensure_fresh(&self, id: &ConnectionId) -> Result<Option<i64>, TokenError> {
        let t = self.load(id).await?;
        if !self.expiring(&t) {
            return Ok(t.access_expires_at);
        }
        self.refresh(id, Want::Fresh).await.map(|(_, expires_at)| expires_at)
    }

    /// Deletes the connection's tokens (sign-out) and returns the refresh token to revoke at
    /// the platform: local deletion happens first and never depends on revocation (item 34).
    pub async fn forget(&self, id: &ConnectionId) -> Result<Option<RefreshToken>, TokenError> {
        let now = self.inner.clock.now();
        Ok(self.inner.storage.connections().forget(id, now).await?)
    }

    /// Token-endpoint calls made by this manager (for `/metrics` and tests).
    pub fn refresh_count(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// Times this manager waited for another replica's refresh lease (for `/metrics` and tests).
    pub fn lease_wait_count(&self) -> u64 {
        self.inner.lease_waits.load(Ordering::Relaxed)
    }

    fn expiring(&self, t: &StoredTokens) -> bool {
        let limit = self.inner.clock.now().saturating_add(self.inner.config.skew_secs);
        t.access_expires_at.is_some_and(|at| at <= limit)
    }

    fn satisfied(&self, t: &StoredTokens, want: Want) -> bool {
        match want {
            Want::Fresh => !self.expiring(t),
            Want::NewerThan(v) => t.version > v,
        }
    }

    /// Reads the row; only an active connection with an access token is usable.
    async fn load(&self, id: &ConnectionId) -> Result<StoredTokens, TokenError> {
        let t = self.inner.storage.connections().tokens(id).await?;
        let t = t.ok_or(TokenError::UnknownConnection)?;
        if t.status != ConnectionStatus::Active || t.access_token.is_none() {
            return Err(TokenError::ReconnectRequired);
        }
        Ok(t)
    }

    async fn refresh(&self, id: &ConnectionId, want: Want) -> Result<(AccessToken, Option<i64>), TokenError> {
        let lock = self.lock_for(id);
        let turn = Arc::clone(&lock).lock_owned().await;
        let (this, task_id) = (self.clone(), id.clone());
        // Spawned so that a caller going away (axum drops the handler future when the client
        // disconnects) cannot abort a refresh between the platform rotating the refresh token
        // and us storing the new one: that would lose the only valid refresh token.
        let result = tokio::spawn(async move {
            let _turn = turn;
            // Our turn: whoever went before us may have refreshed already.
            let t = this.load(&task_id).await?;
            if this.satisfied(&t, want) {
                return usable_with_expiry(t);
            }
            this.refresh_across_replicas(&task_id, want).await
        })
        .await
        .unwrap_or_else(|e| Err(TokenError::Refresh(format!("refresh task failed: {e}"))));
        drop(lock);
        self.forget_lock_if_unused(id);
        result
    }

    async fn refresh_across_replicas(
        &self,
        id: &ConnectionId,
        want: Want,
    ) -> Result<(AccessToken, Option<i64>), TokenError> {
        let connections = self.inner.storage.connections();
        let owner = self.inner.owner.as_str();
        loop {
            let now = self.inner.clock.now();
            if connections.try_acquire_lease(id, owner, now, now + self.inner.config.lease_secs).await? {
                // Another replica may have stored new tokens between our read and the lease.
                let t = self.load_or_release(id).await?;
                if self.satisfied(&t, want) {
                    connections.release_lease(id, owner).await?;
                    return usable_with_expiry(t);
                }
                return self.refresh_holding_lease(id, t).await;
            }
            self.inner.lease_waits.fetch_add(1, Ordering::Relaxed);
            if let Some(done) = self.wait_for_other_replica(id, want).await? {
                return Ok(done);
            }
            // The lease was released or expired without new tokens (the holder failed or
            // died): compete for it again.
        }
    }

    async fn load_or_release(&self, id: &ConnectionId) -> Result<StoredTokens, TokenError> {
        match self.load(id).await {
            Ok(t) => Ok(t),
            Err(e) => {
                self.inner.storage.connections().release_lease(id, &self.inner.owner).await?;
                Err(e)
            }
        }
    }

    async fn refresh_holding_lease(
        &self,
        id: &ConnectionId,
        t: StoredTokens,
    ) -> Result<(AccessToken, Option<i64>), TokenError> {
        let connections = self.inner.storage.connections();
        let owner = self.inner.owner.as_str();
        let expiring = self.expiring(&t);
        let Some(refresh_token) = t.refresh_token else {
            if !expiring {
                // A forced refresh of a still valid token: keep using it.
                connections.release_lease(id, owner).await?;
                return Err(TokenError::Refresh("no refresh token was issued".to_owned()));
            }
            // Expiring with nothing to refresh it with: only a new sign-in helps.
            connections.mark_reconnect_required(id, self.inner.clock.now()).await?;
            return Err(TokenError::ReconnectRequired);
        };
        if !self.inner.limiters.allow(id) {
            tracing::warn!(connection = %id, "token refresh budget spent; refusing with 429");
            connections.release_lease(id, owner).await?;
            return Err(TokenError::Budget);
        }
        self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        let outcome =
            tokio::time::timeout(self.inner.config.refresh_timeout, self.inner.refresher.refresh(&refresh_token))
                .await
                .unwrap_or_else(|_| Err(RefreshError::Other("token endpoint timed out".to_owned())));
        match outcome {
            Ok(new) => {
                // Durable before use: if this write fails, the new access token is not handed
                // out, and the lease (not cleared) keeps other replicas from reusing the old
                // refresh token until it expires.
                connections.store_refreshed(id, &new, &refresh_token, self.inner.clock.now()).await?;
                tracing::info!(connection = %id, "access token refreshed");
                Ok((new.access_token, new.expires_at))
            }
            Err(RefreshError::InvalidGrant) => {
                tracing::warn!(connection = %id, "refresh token rejected; reconnect required");
                connections.mark_reconnect_required(id, self.inner.clock.now()).await?;
                Err(TokenError::ReconnectRequired)
            }
            Err(RefreshError::Rotated(rotated)) => {
                // Keep the only valid refresh token; the access token we had stays in use.
                tracing::warn!(connection = %id, "refresh answer unreadable; keeping the rotated refresh token");
                let Some(access_token) = t.access_token else { return Err(TokenError::ReconnectRequired) };
                let kept = TokenResponse {
                    access_token,
                    token_type: "Bearer".to_owned(),
                    refresh_token: Some(rotated),
                    expires_in: None,
                    expires_at: t.access_expires_at,
                    scopes: Vec::new(),
                    id_token: None,
                };
                connections.store_refreshed(id, &kept, &refresh_token, self.inner.clock.now()).await?;
                Err(TokenError::Refresh("the platform's refresh answer did not parse".to_owned()))
            }
            Err(RefreshError::Other(msg)) => {
                tracing::warn!(connection = %id, error = %msg, "token refresh failed");
                connections.release_lease(id, owner).await?;
                Err(TokenError::Refresh(msg))
            }
        }
    }

    /// Polls the row until another replica's refresh lands (`Some`), or its lease is gone
    /// without new tokens (`None`), within `wait_timeout`.
    async fn wait_for_other_replica(
        &self,
        id: &ConnectionId,
        want: Want,
    ) -> Result<Option<(AccessToken, Option<i64>)>, TokenError> {
        let deadline = tokio::time::Instant::now() + self.inner.config.wait_timeout;
        loop {
            tokio::time::sleep(self.inner.config.poll_interval).await;
            // `load` fails with ReconnectRequired if the winner got `invalid_grant`: no retry.
            let t = self.load(id).await?;
            if self.satisfied(&t, want) {
                return usable_with_expiry(t).map(Some);
            }
            if t.lease_until.is_none_or(|until| until < self.inner.clock.now()) {
                return Ok(None);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(TokenError::RefreshTimeout);
            }
        }
    }

    fn lock_for(&self, id: &ConnectionId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(locks.entry(id.clone()).or_default())
    }

    /// Drops the connection's mutex once nobody holds or waits for it, so the map does not grow
    /// with every connection ever refreshed. Clones are only made under the map lock, so a
    /// count of one (the map's) cannot race with a new waiter.
    fn forget_lock_if_unused(&self, id: &ConnectionId) {
        let mut locks = self.inner.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.get(id).is_some_and(|l| Arc::strong_count(l) == 1) {
            locks.remove(id);
        }
    }
}

/// The stored credential as the live API takes it.
pub(crate) fn as_credential(token: AccessToken, kind: CredentialKind) -> Credential {
    match kind {
        CredentialKind::OAuth => Credential::Bearer(token),
        CredentialKind::ApiKey => Credential::ApiKey(ApiKey::new(token.secret())),
    }
}

fn usable(t: StoredTokens) -> Result<AccessToken, TokenError> {
    t.access_token.ok_or(TokenError::ReconnectRequired)
}

fn usable_with_expiry(t: StoredTokens) -> Result<(AccessToken, Option<i64>), TokenError> {
    let expires_at = t.access_expires_at;
    usable(t).map(|token| (token, expires_at))
}
