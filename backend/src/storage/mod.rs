//! The database: opening SQLite or PostgreSQL, migrations, and one query module per table.
//!
//! We use sqlx's `Any` driver with one portable query text per operation rather than an enum
//! over `SqlitePool`/`PgPool`. Everything we need is in the common subset of both dialects —
//! `$n` placeholders, `INSERT .. ON CONFLICT`, `UPDATE/DELETE .. RETURNING`, `BIGINT` unix
//! seconds, `TEXT` JSON, `BLOB`/`BYTEA` ciphertexts — so an enum would only make us write (and
//! test) every query twice. The one thing `Any` cannot do, `LISTEN`, is done by
//! [`crate::events`] on a native PostgreSQL connection from the same URL.
//!
//! Secrets never cross this boundary in plaintext: the modules that store tokens or PKCE
//! verifiers seal them with the [`TokenCipher`] given to [`Storage::open`] (checklist 36).
//! Architecture invariant: SQL lives in this module tree only, never in callers.

mod attempts;
mod connections;
mod consumed_states;
mod executions;
mod grants;
mod inbox;
mod sessions;

use std::fmt;
use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor as _};

use crate::crypto::{CryptoError, TokenCipher};

pub use attempts::{ATTEMPT_TTL_SECS, Attempts, ConsumeAttemptError};
pub use connections::{
    ConnectionId, ConnectionRecord, ConnectionStatus, Connections, CredentialKind, Profile, StoredTokens,
};
pub use consumed_states::ConsumedStates;
pub use executions::{ExecutionRecord, Executions, NewExecution, UpdateOutcome};
pub use grants::{GrantRecord, GrantUpsert, Grants, NewGrant, RevokedGrant};
pub use inbox::{AfterFailure, Holder, Inbox, InboxRecord, InsertOutcome, NewDelivery, retention_cutoff};
pub use sessions::SqlSessionStore;

/// Which database a [`Storage`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One file, one process (the single-binary default).
    Sqlite,
    /// Shared by any number of replicas (B10).
    Postgres,
}

/// Errors of the storage layer. Messages carry no secrets and no row contents.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// `DATABASE_URL` is neither `sqlite:` nor `postgres(ql)://`.
    #[error("unsupported database URL scheme {0:?} (expected sqlite:// or postgres://)")]
    UnsupportedUrl(String),
    /// Creating the SQLite file's directory failed.
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A query or connection failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored ciphertext could not be opened (wrong `APP_SECRET`, or tampering).
    #[error("stored secret unreadable: {0}")]
    Crypto(#[from] CryptoError),
    /// A row holds a value this code never writes (manual edit, newer schema).
    #[error("corrupt row in {table}: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong (no secret values).
        detail: String,
    },
}

/// Handle to the database. Cheap to clone: a pool, a cipher and the URL behind `Arc`s.
#[derive(Clone)]
pub struct Storage {
    pool: AnyPool,
    backend: Backend,
    cipher: TokenCipher,
    // Kept for `PgListener`, which needs its own native connection. It may hold a password,
    // so it is private and absent from `Debug`.
    url: Arc<str>,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage").field("backend", &self.backend).finish_non_exhaustive()
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How durable a SQLite commit is (PostgreSQL commits are durable by its own settings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SqliteSync {
    /// WAL with `synchronous=NORMAL`: a commit survives a process crash (the WAL is in the OS);
    /// a power loss may lose the last commits.
    #[default]
    Normal,
    /// `synchronous=FULL`: also survives a power loss (an `fsync` per commit; group commit
    /// shares it among the deliveries of a batch).
    Full,
}

impl SqliteSync {
    fn pragma(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}

/// SQLite waits this long for a competing writer instead of failing with `SQLITE_BUSY`.
const SQLITE_BUSY_TIMEOUT_MS: u64 = 5_000;

impl Storage {
    /// Opens `sqlite://path` (file and directory created if missing) or `postgres://...`, and
    /// applies the migrations of that dialect.
    pub async fn open(url: &str, cipher: TokenCipher) -> Result<Self, StorageError> {
        Self::open_with(url, cipher, SqliteSync::default()).await
    }

    /// [`Storage::open`] with the SQLite durability of `sync`.
    pub async fn open_with(url: &str, cipher: TokenCipher, sync: SqliteSync) -> Result<Self, StorageError> {
        sqlx::any::install_default_drivers();
        let (backend, connect_url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, prepare_sqlite_url(url)?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else {
            let scheme = url.split(':').next().unwrap_or_default().to_owned();
            return Err(StorageError::UnsupportedUrl(scheme));
        };
        let options = AnyConnectOptions::from_str(&connect_url)?;
        let pool_options = match backend {
            Backend::Sqlite => AnyPoolOptions::new()
                // SQLite has one writer anyway; a few readers suffice for one process.
                .max_connections(4)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        // WAL lets readers proceed during a write; foreign keys are off by
                        // default in SQLite; the busy timeout queues writers instead of failing.
                        conn.execute(
                            format!(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};",
                                sync.pragma()
                            )
                            .as_str(),
                        )
                        .await?;
                        Ok(())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(10),
        };
        let pool = pool_options.acquire_timeout(Duration::from_secs(10)).connect_with(options).await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Self { pool, backend, cipher, url: Arc::from(connect_url) })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A trivial round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.pool.execute("SELECT 1").await?;
        Ok(())
    }

    /// Closes the pool (waits for connections in use to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Session records (and the `tower_sessions` store over them).
    pub fn sessions(&self) -> SqlSessionStore {
        SqlSessionStore::new(self.clone())
    }

    /// Connections: one per signed-in platform user, with its encrypted tokens.
    pub fn connections(&self) -> Connections<'_> {
        Connections::new(self)
    }

    /// The `state`s of answered sign-in callbacks (replay protection).
    pub fn consumed_states(&self) -> ConsumedStates<'_> {
        ConsumedStates::new(self)
    }

    /// Connect-popup attempts (nonces).
    pub fn attempts(&self) -> Attempts<'_> {
        Attempts::new(self)
    }

    /// Credential grants per connection.
    pub fn grants(&self) -> Grants<'_> {
        Grants::new(self)
    }

    /// Agent executions per connection.
    pub fn executions(&self) -> Executions<'_> {
        Executions::new(self)
    }

    /// The durable webhook inbox.
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox::new(self)
    }

    /// Housekeeping for a periodic task: deletes expired sessions, consumed sign-in states and
    /// Connect attempts, and processed webhook records past [`retention_cutoff`] for the given
    /// freshness window. Returns the number of rows deleted.
    pub async fn sweep(&self, now: i64, webhook_window_secs: i64) -> Result<u64, StorageError> {
        Ok(self.sessions().delete_expired_at(now).await?
            + self.consumed_states().purge_expired(now).await?
            + self.attempts().purge_expired(now).await?
            + self.inbox().purge_older_than(retention_cutoff(now, webhook_window_secs)).await?)
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub(crate) fn cipher(&self) -> &TokenCipher {
        &self.cipher
    }

    /// The connection URL, for native connections (PostgreSQL `LISTEN`).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

/// Creates the SQLite file's directory and asks SQLite to create the file (`mode=rwc`).
fn prepare_sqlite_url(url: &str) -> Result<String, StorageError> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        // An in-memory database is per connection, which a pool cannot share: refuse it
        // rather than lose data between connections.
        return Err(StorageError::UnsupportedUrl("sqlite::memory:".to_owned()));
    }
    if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|source| StorageError::CreateDir { path: dir.display().to_string(), source })?;
    }
    let query = if query.split('&').any(|kv| kv.starts_with("mode=")) {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// A [`StorageError::Corrupt`] for a row value this code never writes.
pub(crate) fn corrupt(table: &'static str, detail: impl Into<String>) -> StorageError {
    StorageError::Corrupt { table, detail: detail.into() }
}

/// `$from, $from+1, …` (`count` of them): the bound parameters of an `IN (…)` list.
pub(crate) fn placeholders(from: usize, count: usize) -> String {
    (from..from + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_gets_create_mode() {
        assert_eq!(prepare_sqlite_url("sqlite://x.db").unwrap(), "sqlite://x.db?mode=rwc");
        assert_eq!(prepare_sqlite_url("sqlite:x.db?mode=ro").unwrap(), "sqlite://x.db?mode=ro");
        assert!(prepare_sqlite_url("sqlite::memory:").is_err());
    }
}
