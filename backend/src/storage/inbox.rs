//! `webhook_inbox`: verified webhook deliveries, stored durably BEFORE the 2xx (B3, checklist
//! 57, 58, 60, 61) and processed afterwards, so nothing acknowledged is ever lost.
//!
//! The primary key is the idempotency key, so a redelivery is recognised by the same INSERT
//! that would store it: one statement, no read-then-write race between replicas.

use autogpt::ids::ExecutionId;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::connections::ConnectionId;
use super::{Storage, StorageError, placeholders};

const COLUMNS: &str = "idempotency_key, event, subject_id, body, received_at, processed_at, attempts, last_error, next_attempt_at, dead_at";

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
    /// When the next processing attempt is due, unix seconds.
    pub next_attempt_at: i64,
    /// When processing was given up for good (a terminal state), unix seconds.
    pub dead_at: Option<i64>,
}

/// What happens after a failed processing attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time (unix seconds).
    RetryAt(i64),
    /// Give up for good at this time: the delivery is kept, marked dead.
    GiveUp(i64),
}

/// What [`Inbox::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    /// New delivery: process it.
    Inserted,
    /// Already stored: acknowledge with 2xx and do nothing (checklist 57).
    Duplicate,
}

/// A verified delivery to store.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    /// Derived from signed body fields.
    pub key: String,
    /// `event` as sent.
    pub event: String,
    /// The execution or grant id it is about.
    pub subject_id: Option<String>,
    /// The raw body, as verified.
    pub body: String,
    /// When it arrived, unix seconds.
    pub received_at: i64,
    /// Nothing to apply (an event about a run that is not ours): stored as processed at
    /// `received_at`, in the same commit that stores it.
    pub settled: bool,
}

/// Who holds the deliveries a batch stores, and for how long: rows born claimed by the
/// instance that will process them from memory, so no claim statement follows the insert.
#[derive(Clone, Copy, Debug)]
pub struct Holder<'a> {
    /// The instance id (as [`Inbox::claim`]'s `owner`).
    pub owner: &'a str,
    /// Lease length from each delivery's `received_at`.
    pub lease_secs: i64,
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

    /// Stores many deliveries in ONE transaction (group commit): the outcomes in order, all
    /// durable once this returns `Ok`; on `Err` none is (the caller answers each with 5xx).
    /// With a `holder`, the unsettled ones are stored claimed by it (see [`Holder`]).
    ///
    /// Multi-row `INSERT … RETURNING` statements, not one per delivery: on PostgreSQL each
    /// statement is a round trip, and on SQLite (through sqlx) a hand-off to the connection's
    /// thread and back, which bounded the intake either way. The rows go in chunks whose sizes
    /// are powers of two, so a batch of any size is at most a dozen statements of at most
    /// eight distinct texts, all kept prepared in the connection's statement cache.
    pub async fn insert_batch(
        &self,
        batch: &[NewDelivery],
        holder: Option<Holder<'_>>,
    ) -> Result<Vec<InsertOutcome>, StorageError> {
        let mut tx = self.storage.pool().begin().await?;
        let mut inserted = std::collections::HashSet::with_capacity(batch.len());
        // In key order: concurrent batches (replicas' writers on one PostgreSQL) then lock
        // shared keys in the same order, so a key in two of them makes one wait, never deadlock.
        let mut sorted: Vec<&NewDelivery> = batch.iter().collect();
        sorted.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        let mut rest = sorted.as_slice();
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(chunk_len(rest.len()));
            rest = tail;
            let sql = insert_sql(chunk.len());
            let mut query = sqlx::query(&sql);
            for d in chunk {
                let processed = d.settled.then_some(d.received_at);
                let held = holder.filter(|_| !d.settled);
                query = query
                    .bind(&d.key)
                    .bind(&d.event)
                    .bind(d.subject_id.as_deref())
                    .bind(&d.body)
                    .bind(d.received_at)
                    .bind(processed)
                    .bind(held.map(|h| d.received_at.saturating_add(h.lease_secs)))
                    .bind(held.map(|h| h.owner));
            }
            for row in query.fetch_all(&mut *tx).await? {
                inserted.insert(row.try_get::<String, _>(0)?);
            }
        }
        tx.commit().await?;
        // A key is inserted once: its first delivery in the batch; any later one (or one
        // already stored) is a duplicate.
        Ok(batch
            .iter()
            .map(|d| if inserted.remove(&d.key) { InsertOutcome::Inserted } else { InsertOutcome::Duplicate })
            .collect())
    }

    /// Deliveries due for a processing attempt at `now`: not processed, not given up, their
    /// next attempt due and not held by a live lease; the most overdue first, so no failing
    /// delivery can hold back the ones behind it.
    pub async fn due(&self, now: i64, limit: i64) -> Result<Vec<InboxRecord>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhook_inbox WHERE processed_at IS NULL AND dead_at IS NULL \
             AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
             ORDER BY next_attempt_at, received_at, idempotency_key LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(self.storage.pool())
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Deliveries not processed yet (given up or not), oldest first.
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

    /// Takes delivery `key` for `owner` (an instance id) until `now + lease_secs`: `None` when
    /// it is processed or given up already, unknown, or held by another processor whose lease
    /// has not run out (a replica, or the sweep). One atomic statement, so exactly one claimant
    /// wins.
    pub async fn claim(
        &self,
        owner: &str,
        key: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<Option<InboxRecord>, StorageError> {
        let row = sqlx::query(&format!(
            "UPDATE webhook_inbox SET lease_until = $2, lease_owner = $4 WHERE idempotency_key = $1 \
             AND processed_at IS NULL AND dead_at IS NULL AND (lease_until IS NULL OR lease_until <= $3) \
             RETURNING {COLUMNS}"
        ))
        .bind(key)
        .bind(now.saturating_add(lease_secs))
        .bind(now)
        .bind(owner)
        .fetch_optional(self.storage.pool())
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// [`Inbox::claim`] for many deliveries in one statement: the ones this call took (those
    /// processed, dead or held by someone else are left out), each with its failed attempts so
    /// far. Bodies are not read back: the caller has them (the intake, or the sweep's `due`).
    pub async fn claim_many(
        &self,
        owner: &str,
        keys: &[String],
        now: i64,
        lease_secs: i64,
    ) -> Result<Vec<(String, i64)>, StorageError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(MANY) {
            let sql = format!(
                "UPDATE webhook_inbox SET lease_until = $1, lease_owner = $3 WHERE idempotency_key IN ({}) \
                 AND processed_at IS NULL AND dead_at IS NULL AND (lease_until IS NULL OR lease_until <= $2) \
                 RETURNING idempotency_key, attempts",
                placeholders(4, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(now.saturating_add(lease_secs)).bind(now).bind(owner);
            for key in chunk {
                query = query.bind(key);
            }
            for row in query.fetch_all(self.storage.pool()).await? {
                out.push((row.try_get("idempotency_key")?, row.try_get("attempts")?));
            }
        }
        Ok(out)
    }

    /// [`Inbox::mark_processed`] for many deliveries in one statement.
    pub async fn mark_processed_many(&self, keys: &[String], at: i64) -> Result<(), StorageError> {
        for chunk in keys.chunks(MANY) {
            let sql = format!(
                "UPDATE webhook_inbox SET processed_at = COALESCE(processed_at, $1), lease_until = NULL, \
                 lease_owner = NULL WHERE idempotency_key IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(at);
            for key in chunk {
                query = query.bind(key);
            }
            query.execute(self.storage.pool()).await?;
        }
        Ok(())
    }

    /// Marks a delivery processed (idempotent: keeps the first time) and releases its lease.
    pub async fn mark_processed(&self, key: &str, at: i64) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE webhook_inbox SET processed_at = COALESCE(processed_at, $2), lease_until = NULL, \
             lease_owner = NULL WHERE idempotency_key = $1",
        )
        .bind(key)
        .bind(at)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// Records a failed processing attempt and releases the lease: the delivery waits for its
    /// next attempt, or is given up for good.
    pub async fn mark_failed(&self, key: &str, error: &str, after: AfterFailure) -> Result<(), StorageError> {
        let (next, dead) = match after {
            AfterFailure::RetryAt(at) => (at, None),
            AfterFailure::GiveUp(at) => (at, Some(at)),
        };
        sqlx::query(
            "UPDATE webhook_inbox SET attempts = attempts + 1, last_error = $2, lease_until = NULL, \
             lease_owner = NULL, next_attempt_at = $3, dead_at = $4 WHERE idempotency_key = $1",
        )
        .bind(key)
        .bind(error)
        .bind(next)
        .bind(dead)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// Releases `owner`'s leases on `keys` (stored claimed, then not handed to the processor):
    /// due again at once, for the sweep.
    pub async fn release_many(&self, owner: &str, keys: &[String]) -> Result<(), StorageError> {
        for chunk in keys.chunks(MANY) {
            let sql = format!(
                "UPDATE webhook_inbox SET lease_until = NULL, lease_owner = NULL \
                 WHERE lease_owner = $1 AND idempotency_key IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(owner);
            for key in chunk {
                query = query.bind(key);
            }
            query.execute(self.storage.pool()).await?;
        }
        Ok(())
    }

    /// Releases every lease `owner` holds (a restarted instance, for what its previous
    /// incarnation held when it died): those deliveries are due again at once. Returns how many.
    pub async fn release_leases_of(&self, owner: &str) -> Result<u64, StorageError> {
        let done = sqlx::query(
            "UPDATE webhook_inbox SET lease_until = NULL, lease_owner = NULL \
             WHERE lease_owner = $1 AND processed_at IS NULL",
        )
        .bind(owner)
        .execute(self.storage.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// How many deliveries were given up for good (for `/metrics`).
    pub async fn dead_count(&self) -> Result<i64, StorageError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_inbox WHERE dead_at IS NOT NULL")
            .fetch_one(self.storage.pool())
            .await?;
        Ok(n)
    }

    /// Deletes PROCESSED deliveries received before `cutoff` (use [`retention_cutoff`]);
    /// unprocessed ones are work, and given-up ones evidence for operators: never purged.
    /// Returns how many.
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
        next_attempt_at: r.try_get("next_attempt_at")?,
        dead_at: r.try_get("dead_at")?,
    })
}

/// Keys per statement of the `_many` queries (well under SQLite's bound-parameter limit).
const MANY: usize = 500;

/// Rows per multi-row insert at most ([`INSERT_PARAMS`] each: far under either database's limit).
const ROWS: usize = 128;

/// The next chunk of a multi-row insert for `left` rows: [`ROWS`] while that many are left,
/// then the largest power of two that fits, so only a few statement texts ever exist.
fn chunk_len(left: usize) -> usize {
    if left >= ROWS { ROWS } else { 1 << left.ilog2() }
}

/// Bound parameters per inserted row.
const INSERT_PARAMS: usize = 8;

fn insert_sql(rows: usize) -> String {
    let values = (0..rows)
        .map(|i| format!("({})", placeholders(INSERT_PARAMS * i + 1, INSERT_PARAMS)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO webhook_inbox (idempotency_key, event, subject_id, body, received_at, processed_at, \
         lease_until, lease_owner) VALUES {values} ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key"
    )
}

#[cfg(test)]
mod tests {
    use super::{ROWS, chunk_len};

    /// Every batch size splits into chunks that add up, each a power of two at most [`ROWS`].
    #[test]
    fn insert_chunks_are_powers_of_two() {
        for n in 1..=600 {
            let (mut left, mut sizes) = (n, Vec::new());
            while left > 0 {
                let c = chunk_len(left);
                assert!(c.is_power_of_two() && c <= ROWS && c <= left, "{n}: {c}");
                sizes.push(c);
                left -= c;
            }
            assert!(sizes.len() <= n / ROWS + 7, "{n}: {sizes:?}");
        }
    }
}
