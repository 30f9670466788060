//! `webhook_inbox`: verified webhook deliveries, stored durably BEFORE the 2xx (B3, checklist
//! 57, 58, 60, 61) and processed afterwards, so nothing acknowledged is ever lost.
//!
//! The primary key is the idempotency key, so a redelivery is recognised by the same INSERT
//! that would store it: one statement, no read-then-write race between replicas.

use autogpt::ids::ExecutionId;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::connections::ConnectionId;
use super::{Storage, StorageError};

const COLUMNS: &str = "idempotency_key, event, subject_id, body, received_at, processed_at, attempts, last_error";

/// The oldest `received_at` that [`Inbox::purge_older_than`] must keep, for a signed-timestamp
/// freshness window of `freshness_window_secs` (checklist 58).
///
/// The window applies in both directions, so a body stamped `window` seconds in the future
/// is first accepted at `t` and can be replayed until `t + 2 * window`: the record must
/// outlive that, or the replay would be processed again.
pub fn retention_cutoff(now: i64, freshness_window_secs: i64) -> i64 {
    now.saturating_sub(freshness_window_secs.saturating_mul(2))
}

/// A stored delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxRecord {
    /// Derived from signed body fields by the receiver.
    pub idempotency_key: String,
    /// `event` as sent (`execution.completed`, ...).
    pub event: String,
    /// The execution or grant id the event is about.
    pub subject_id: Option<String>,
    /// The raw body, as verified.
    pub body: String,
    /// Unix seconds.
    pub received_at: i64,
    /// When processing finished, unix seconds.
    pub processed_at: Option<i64>,
    /// Failed processing attempts.
    pub attempts: i64,
    /// Last processing error (for operators).
    pub last_error: Option<String>,
}

/// What [`Inbox::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    /// New delivery: process it.
    Inserted,
    /// Already stored: acknowledge with 2xx and do nothing (checklist 57).
    Duplicate,
}

/// Queries on `webhook_inbox`. Obtain with [`Storage::inbox`].
pub struct Inbox<'a> {
    storage: &'a Storage,
}

impl<'a> Inbox<'a> {
    pub(super) fn new(storage: &'a Storage) -> Self {
        Self { storage }
    }

    /// Stores a verified delivery. `Ok` means durable (committed): only then answer 2xx; on
    /// `Err` answer 5xx so the platform retries (checklist 61).
    pub async fn insert(
        &self,
        key: &str,
        event: &str,
        subject_id: Option<&str>,
        body: &str,
        now: i64,
    ) -> Result<InsertOutcome, StorageError> {
        let done = sqlx::query(
            "INSERT INTO webhook_inbox (idempotency_key, event, subject_id, body, received_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(key)
        .bind(event)
        .bind(subject_id)
        .bind(body)
        .bind(now)
        .execute(self.storage.pool())
        .await?;
        Ok(if done.rows_affected() == 1 { InsertOutcome::Inserted } else { InsertOutcome::Duplicate })
    }

    /// Deliveries not processed yet, oldest first (for the background processor after a crash
    /// or a failed attempt).
    pub async fn unprocessed(&self, limit: i64) -> Result<Vec<InboxRecord>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhook_inbox WHERE processed_at IS NULL \
             ORDER BY received_at, idempotency_key LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.storage.pool())
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Takes delivery `key` for processing until `now + lease_secs`: `None` when it is
    /// processed already, unknown, or held by another processor whose lease has not run out
    /// (a replica, or the sweep). One atomic statement, so exactly one claimant wins.
    pub async fn claim(&self, key: &str, now: i64, lease_secs: i64) -> Result<Option<InboxRecord>, StorageError> {
        let row = sqlx::query(&format!(
            "UPDATE webhook_inbox SET lease_until = $2 WHERE idempotency_key = $1 AND processed_at IS NULL \
             AND (lease_until IS NULL OR lease_until <= $3) RETURNING {COLUMNS}"
        ))
        .bind(key)
        .bind(now.saturating_add(lease_secs))
        .bind(now)
        .fetch_optional(self.storage.pool())
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// Marks a delivery processed (idempotent: keeps the first time) and releases its lease.
    pub async fn mark_processed(&self, key: &str, at: i64) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE webhook_inbox SET processed_at = COALESCE(processed_at, $2), lease_until = NULL \
             WHERE idempotency_key = $1",
        )
        .bind(key)
        .bind(at)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// Records a failed processing attempt and releases the lease; the delivery stays
    /// unprocessed for the next sweep.
    pub async fn mark_failed(&self, key: &str, error: &str) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE webhook_inbox SET attempts = attempts + 1, last_error = $2, lease_until = NULL \
             WHERE idempotency_key = $1",
        )
        .bind(key)
        .bind(error)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// Deletes PROCESSED deliveries received before `cutoff` (use [`retention_cutoff`]);
    /// unprocessed ones are work, never purged. Returns how many.
    pub async fn purge_older_than(&self, cutoff: i64) -> Result<u64, StorageError> {
        let done = sqlx::query("DELETE FROM webhook_inbox WHERE received_at < $1 AND processed_at IS NOT NULL")
            .bind(cutoff)
            .execute(self.storage.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// The deliveries about one of the connection's executions, oldest first (the executions
    /// page shows them). Joined through `executions`, so another user's id yields nothing.
    pub async fn events_for_execution(
        &self,
        connection: &ConnectionId,
        execution: &ExecutionId,
    ) -> Result<Vec<InboxRecord>, StorageError> {
        let columns = COLUMNS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM webhook_inbox i JOIN executions e ON e.execution_id = i.subject_id \
             WHERE e.connection_id = $1 AND e.execution_id = $2 ORDER BY i.received_at, i.idempotency_key"
        ))
        .bind(connection.as_str())
        .bind(execution.as_str())
        .fetch_all(self.storage.pool())
        .await?;
        rows.iter().map(record_from_row).collect()
    }
}

fn record_from_row(r: &AnyRow) -> Result<InboxRecord, StorageError> {
    Ok(InboxRecord {
        idempotency_key: r.try_get("idempotency_key")?,
        event: r.try_get("event")?,
        subject_id: r.try_get("subject_id")?,
        body: r.try_get("body")?,
        received_at: r.try_get("received_at")?,
        processed_at: r.try_get("processed_at")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
    })
}
