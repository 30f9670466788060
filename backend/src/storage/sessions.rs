//! `sessions`: `tower_sessions` records in the shared database, so a session works on both
//! SQLite and PostgreSQL and on every replica (B10).
//!
//! The store trait is declared with `#[async_trait]`; tower-sessions already builds that
//! crate, so we use the same macro rather than spelling out its boxed futures.

use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::{Storage, StorageError};

/// A [`SessionStore`] over [`Storage`]. Obtain with [`Storage::sessions`].
#[derive(Clone, Debug)]
pub struct SqlSessionStore {
    storage: Storage,
}

fn backend(e: StorageError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn db(e: sqlx::Error) -> session_store::Error {
    backend(StorageError::from(e))
}

fn encode(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl SqlSessionStore {
    pub(super) fn new(storage: Storage) -> Self {
        Self { storage }
    }

    async fn create_record(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits, so a collision is theoretical; still, never overwrite
        // another user's session: insert-if-absent and draw a new id on conflict.
        loop {
            let done = sqlx::query(
                "INSERT INTO sessions (id, record, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(encode(record)?)
            .bind(record.expiry_date.unix_timestamp())
            .execute(self.storage.pool())
            .await
            .map_err(db)?;
            if done.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save_record(&self, record: &Record) -> session_store::Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, record, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at",
        )
        .bind(record.id.to_string())
        .bind(encode(record)?)
        .bind(record.expiry_date.unix_timestamp())
        .execute(self.storage.pool())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn load_record(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let text: Option<String> = sqlx::query_scalar("SELECT record FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id.to_string())
            .bind(now())
            .fetch_optional(self.storage.pool())
            .await
            .map_err(db)?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| session_store::Error::Decode(e.to_string()))).transpose()
    }

    async fn delete_record(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(self.storage.pool())
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Deletes sessions expired at `now`; returns how many.
    pub async fn delete_expired_at(&self, now: i64) -> Result<u64, StorageError> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(self.storage.pool()).await?;
        Ok(done.rows_affected())
    }
}

#[async_trait::async_trait]
impl SessionStore for SqlSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.create_record(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.save_record(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.load_record(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.delete_record(id).await
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for SqlSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.delete_expired_at(now()).await.map(drop).map_err(backend)
    }
}
