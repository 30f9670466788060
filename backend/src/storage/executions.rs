//! `executions`: agent runs per connection, their status history's latest state and outputs
//! (B5), and the list the reconciler polls when a webhook got lost (checklist 64).
//!
//! Updates arrive from webhooks, polling and the reconciler in any order and any number of
//! times, so [`Executions::apply_update`] is idempotent and monotonic: a status never moves
//! back (queued → running → terminal) and a terminal status is final.

use autogpt::ids::{AgentId, ExecutionId};
use autogpt::types::ExecutionStatus;
use serde_json::Value;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::connections::ConnectionId;
use super::{Storage, StorageError, corrupt};

const TABLE: &str = "executions";
const COLUMNS: &str = "execution_id, connection_id, agent_id, status, inputs, outputs, error, \
                       created_at, updated_at, started_at, completed_at, last_polled_at";

/// SQL for the rank of the stored status; must agree with [`rank`].
const RANK_SQL: &str = "(CASE status WHEN 'completed' THEN 2 WHEN 'failed' THEN 2 \
                        WHEN 'terminated' THEN 2 WHEN 'cancelled' THEN 2 \
                        WHEN 'running' THEN 1 WHEN 'review' THEN 1 ELSE 0 END)";

/// Progress rank: 0 not started (queued, incomplete, unknown), 1 started (running, review),
/// 2 final. `incomplete` is the platform's pre-queue state, hence not final; `cancelled` is
/// not in the platform's list but is final wherever it appears.
fn rank(status: &str) -> i64 {
    match status {
        "completed" | "failed" | "terminated" | "cancelled" => 2,
        "running" | "review" => 1,
        _ => 0,
    }
}

/// Statuses are stored lower-case whatever case the platform used (B7).
fn normalize(status: &ExecutionStatus) -> String {
    status.as_str().to_ascii_lowercase()
}

/// A stored execution.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionRecord {
    /// Platform execution id.
    pub execution_id: ExecutionId,
    /// Owner.
    pub connection_id: ConnectionId,
    /// Agent run.
    pub agent_id: AgentId,
    /// Latest status.
    pub status: ExecutionStatus,
    /// Inputs sent.
    pub inputs: Value,
    /// Outputs, once known.
    pub outputs: Option<Value>,
    /// Error message, if failed.
    pub error: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Last status/outputs change, unix seconds.
    pub updated_at: i64,
    /// First seen running.
    pub started_at: Option<i64>,
    /// First seen final.
    pub completed_at: Option<i64>,
    /// Last reconciliation poll.
    pub last_polled_at: Option<i64>,
}

impl ExecutionRecord {
    /// Whether the status is final (completed, failed, terminated, cancelled).
    pub fn is_final(&self) -> bool {
        rank(&normalize(&self.status)) == 2
    }
}

/// An execution to record right after the platform accepted it.
#[derive(Clone, Copy, Debug)]
pub struct NewExecution<'a> {
    /// Platform execution id.
    pub execution_id: &'a ExecutionId,
    /// Agent.
    pub agent_id: &'a AgentId,
    /// Status from the execute response.
    pub status: &'a ExecutionStatus,
    /// Inputs sent.
    pub inputs: &'a Value,
}

/// What [`Executions::apply_update`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdateOutcome {
    /// Stored; publish `ExecutionUpdated` with this state.
    Applied(Box<ExecutionRecord>),
    /// Stale or repeated (would move backwards or past a final status); nothing changed.
    Unchanged,
    /// No such execution (e.g. started by another app): ignore.
    Unknown,
}

/// Queries on `executions`. Obtain with [`Storage::executions`].
pub struct Executions<'a> {
    storage: &'a Storage,
}

impl<'a> Executions<'a> {
    pub(super) fn new(storage: &'a Storage) -> Self {
        Self { storage }
    }

    /// Records an execution; a second insert of the same id changes nothing.
    pub async fn insert(&self, connection: &ConnectionId, new: NewExecution<'_>, now: i64) -> Result<(), StorageError> {
        let status = normalize(new.status);
        let started = (rank(&status) >= 1).then_some(now);
        sqlx::query(
            "INSERT INTO executions (execution_id, connection_id, agent_id, status, inputs, created_at, \
             updated_at, started_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
             ON CONFLICT (execution_id) DO NOTHING",
        )
        .bind(new.execution_id.as_str())
        .bind(connection.as_str())
        .bind(new.agent_id.as_str())
        .bind(status)
        .bind(new.inputs.to_string())
        .bind(now)
        .bind(started)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// One execution of the connection (never another user's).
    pub async fn get(
        &self,
        connection: &ConnectionId,
        id: &ExecutionId,
    ) -> Result<Option<ExecutionRecord>, StorageError> {
        let row =
            sqlx::query(&format!("SELECT {COLUMNS} FROM executions WHERE connection_id = $1 AND execution_id = $2"))
                .bind(connection.as_str())
                .bind(id.as_str())
                .fetch_optional(self.storage.pool())
                .await?;
        row.as_ref().map(execution_from_row).transpose()
    }

    /// The connection's executions, newest first, at most `limit`.
    pub async fn list(&self, connection: &ConnectionId, limit: i64) -> Result<Vec<ExecutionRecord>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM executions WHERE connection_id = $1 \
             ORDER BY created_at DESC, execution_id DESC LIMIT $2"
        ))
        .bind(connection.as_str())
        .bind(limit)
        .fetch_all(self.storage.pool())
        .await?;
        rows.iter().map(execution_from_row).collect()
    }

    /// How many executions the connection has.
    pub async fn count(&self, connection: &ConnectionId) -> Result<i64, StorageError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM executions WHERE connection_id = $1")
            .bind(connection.as_str())
            .fetch_one(self.storage.pool())
            .await?;
        Ok(n)
    }

    /// Applies a status report (webhook, poll or reconciliation) observed at `at`.
    /// `outputs`/`error` of `None` keep the stored values.
    pub async fn apply_update(
        &self,
        id: &ExecutionId,
        status: &ExecutionStatus,
        outputs: Option<&Value>,
        error: Option<&str>,
        at: i64,
    ) -> Result<UpdateOutcome, StorageError> {
        let status = normalize(status);
        let new_rank = rank(&status);
        // One conditional UPDATE: concurrent reports cannot interleave a read and a write.
        let row = sqlx::query(&format!(
            "UPDATE executions SET status = $2, outputs = COALESCE($3, outputs), error = COALESCE($4, error), \
             updated_at = $5, \
             started_at = COALESCE(started_at, CASE WHEN $6 >= 1 THEN $5 ELSE NULL END), \
             completed_at = CASE WHEN $6 = 2 THEN $5 ELSE completed_at END \
             WHERE execution_id = $1 AND {RANK_SQL} < 2 AND {RANK_SQL} <= $6 \
             RETURNING {COLUMNS}"
        ))
        .bind(id.as_str())
        .bind(&status)
        .bind(outputs.map(Value::to_string))
        .bind(error)
        .bind(at)
        .bind(new_rank)
        .fetch_optional(self.storage.pool())
        .await?;
        if let Some(row) = row {
            return Ok(UpdateOutcome::Applied(Box::new(execution_from_row(&row)?)));
        }
        let exists: Option<String> = sqlx::query_scalar("SELECT execution_id FROM executions WHERE execution_id = $1")
            .bind(id.as_str())
            .fetch_optional(self.storage.pool())
            .await?;
        Ok(if exists.is_some() { UpdateOutcome::Unchanged } else { UpdateOutcome::Unknown })
    }

    /// Notes that the reconciler polled the execution at `at`, so it is not polled again
    /// before the next period even if its status did not change.
    pub async fn touch_polled(&self, id: &ExecutionId, at: i64) -> Result<(), StorageError> {
        sqlx::query("UPDATE executions SET last_polled_at = $2 WHERE execution_id = $1")
            .bind(id.as_str())
            .bind(at)
            .execute(self.storage.pool())
            .await?;
        Ok(())
    }

    /// Not-final executions with no update and no poll since `cutoff` (unix seconds), oldest
    /// first: the reconciler polls these, so a lost webhook only costs latency (checklist 64).
    pub async fn stale(&self, cutoff: i64, limit: i64) -> Result<Vec<ExecutionRecord>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM executions WHERE {RANK_SQL} < 2 AND updated_at < $1 \
             AND (last_polled_at IS NULL OR last_polled_at < $1) ORDER BY updated_at LIMIT $2"
        ))
        .bind(cutoff)
        .bind(limit)
        .fetch_all(self.storage.pool())
        .await?;
        rows.iter().map(execution_from_row).collect()
    }
}

impl Executions<'_> {
    /// Takes (or renews) the watch lease of a not-final run for `owner` until `until`: true when
    /// `owner` holds it now (free, run out at `now`, or already its own). One conditional
    /// UPDATE, so two replicas racing for a run cannot both win.
    pub async fn claim_watch(&self, id: &ExecutionId, owner: &str, now: i64, until: i64) -> Result<bool, StorageError> {
        let done = sqlx::query(&format!(
            "UPDATE executions SET watch_owner = $2, watch_until = $4 WHERE execution_id = $1 AND {RANK_SQL} < 2 \
             AND (watch_until IS NULL OR watch_until < $3 OR watch_owner = $2)"
        ))
        .bind(id.as_str())
        .bind(owner)
        .bind(now)
        .bind(until)
        .execute(self.storage.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease up (the run is final, or the watcher cannot go on): another watcher may
    /// take it at once.
    pub async fn release_watch(&self, id: &ExecutionId, owner: &str) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE executions SET watch_owner = NULL, watch_until = NULL WHERE execution_id = $1 AND watch_owner = $2",
        )
        .bind(id.as_str())
        .bind(owner)
        .execute(self.storage.pool())
        .await?;
        Ok(())
    }

    /// Not-final runs whose watch lease is free or ran out at `now`, oldest first: a dead
    /// watcher's runs, adopted by whoever asks.
    pub async fn unwatched(&self, now: i64, limit: i64) -> Result<Vec<ExecutionRecord>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM executions WHERE {RANK_SQL} < 2 AND (watch_until IS NULL OR watch_until < $1) \
             ORDER BY created_at LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(self.storage.pool())
        .await?;
        rows.iter().map(execution_from_row).collect()
    }

    /// Which of `ids` are executions of ours (one statement; webhook processing skips the
    /// rest, which it would only look up one by one to ignore).
    pub async fn known(&self, ids: &[&str]) -> Result<std::collections::HashSet<String>, StorageError> {
        let mut out = std::collections::HashSet::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT execution_id FROM executions WHERE execution_id IN ({})",
                super::placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, String>(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            out.extend(query.fetch_all(self.storage.pool()).await?);
        }
        Ok(out)
    }

    /// Who holds the run's watch lease, and until when (tests and `/metrics`).
    pub async fn watch_lease(&self, id: &ExecutionId) -> Result<Option<(String, i64)>, StorageError> {
        let row = sqlx::query("SELECT watch_owner, watch_until FROM executions WHERE execution_id = $1")
            .bind(id.as_str())
            .fetch_optional(self.storage.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let owner: Option<String> = row.try_get(0)?;
        let until: Option<i64> = row.try_get(1)?;
        Ok(owner.zip(until))
    }
}

fn parse_json(text: &str) -> Result<Value, StorageError> {
    serde_json::from_str(text).map_err(|e| corrupt(TABLE, format!("invalid JSON: {e}")))
}

fn execution_from_row(r: &AnyRow) -> Result<ExecutionRecord, StorageError> {
    Ok(ExecutionRecord {
        execution_id: ExecutionId::new(r.try_get::<String, _>("execution_id")?),
        connection_id: ConnectionId::new(r.try_get::<String, _>("connection_id")?),
        agent_id: AgentId::new(r.try_get::<String, _>("agent_id")?),
        status: ExecutionStatus::parse(&r.try_get::<String, _>("status")?),
        inputs: parse_json(&r.try_get::<String, _>("inputs")?)?,
        outputs: r.try_get::<Option<String>, _>("outputs")?.as_deref().map(parse_json).transpose()?,
        error: r.try_get("error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        started_at: r.try_get("started_at")?,
        completed_at: r.try_get("completed_at")?,
        last_polled_at: r.try_get("last_polled_at")?,
    })
}
