//! Live status without webhooks (L5): one watcher per running run polls `GET /runs/{id}`,
//! records what changed and publishes it on the event stream.
//!
//! Exactly one watcher per run across tabs and replicas: a watcher holds the run's lease in
//! the database (`executions.watch_owner`/`watch_until`) and renews it on every poll, and this
//! instance also remembers which runs it watches, so two tabs asking cost one poller. A
//! watcher that dies (its instance was killed) stops renewing; upkeep on any instance then
//! adopts the run ([`adopt`]). Polls back off from 1 s doubling to 10 s while nothing changes,
//! back to 1 s when something does, and wait what the platform's `Retry-After` says.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use autogpt::ids::ExecutionId;
use autogpt::live::api::{Run, RunId, RunStatus};
use autogpt::types::ExecutionStatus;
use serde_json::Value;

use super::agents;
use super::platform::with_credential;
use crate::storage::ExecutionRecord;
use crate::{ConnectionId, Context, ServiceError};

/// First and longest wait between two polls of a run.
const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(10);
/// A lease outlives the next poll by this much, so a slow poll does not lose it.
const LEASE_MARGIN_SECS: i64 = 20;
/// How many unwatched runs one upkeep pass adopts at most.
const ADOPT_BATCH: i64 = 100;

/// The runs this instance is watching (one task each), and how many status polls it made.
#[derive(Debug, Default)]
pub struct Watching(Mutex<HashSet<String>>, AtomicU64);

impl Watching {
    /// Status polls this instance made so far (`/metrics`: `run_polls`).
    pub fn polls(&self) -> u64 {
        self.1.load(Ordering::Relaxed)
    }

    fn start(&self, id: &ExecutionId) -> bool {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id.as_str().to_owned())
    }

    fn stop(&self, id: &ExecutionId) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(id.as_str());
    }

    /// How many runs this instance watches now.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// Whether it watches none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Makes sure the run is watched: starts a watcher here unless one runs here already (the
/// database lease then decides between replicas).
pub fn watch(ctx: &Context, connection: &ConnectionId, id: &ExecutionId) {
    if ctx.platform.as_live().is_none() || !ctx.watching.start(id) {
        return;
    }
    let (ctx, connection, id) = (ctx.clone(), connection.clone(), id.clone());
    tokio::spawn(async move {
        run_watcher(&ctx, &connection, &id).await;
        ctx.watching.stop(&id);
    });
}

/// Upkeep: adopts the not-final runs nobody watches (their watcher's instance died).
pub async fn adopt(ctx: &Context) {
    match ctx.storage.executions().unwatched(ctx.now(), ADOPT_BATCH).await {
        Ok(runs) => {
            for record in runs {
                watch(ctx, &record.connection_id, &record.execution_id);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not list the runs nobody watches"),
    }
}

async fn run_watcher(ctx: &Context, connection: &ConnectionId, id: &ExecutionId) {
    let storage = ctx.storage.executions();
    let owner = ctx.instance.as_str();
    let mut delay = FIRST_DELAY;
    loop {
        let until = ctx.now() + i64::try_from(delay.as_secs()).unwrap_or(60) + LEASE_MARGIN_SECS;
        match storage.claim_watch(id, owner, ctx.now(), until).await {
            Ok(true) => {}
            // Final, or another replica watches it.
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = %e, run = %id, "could not renew a run's watch lease");
                return;
            }
        }
        tokio::time::sleep(delay).await;
        match poll(ctx, connection, id).await {
            Ok(Polled { changed, done }) => {
                if done {
                    break;
                }
                delay = if changed { FIRST_DELAY } else { (delay * 2).min(MAX_DELAY) };
            }
            Err(ServiceError::PlatformBusy { retry_after_secs }) => {
                delay = Duration::from_secs(retry_after_secs.max(1))
            }
            // The user must sign in again, or the run is gone: nothing more to learn; upkeep
            // will try again once the lease has run out.
            Err(e @ (ServiceError::ReconnectRequired | ServiceError::Unauthorized | ServiceError::NotFound(_))) => {
                tracing::info!(run = %id, error = %e, "stopped watching a run");
                return;
            }
            Err(e) => {
                tracing::info!(run = %id, error = %e, "a run's status poll failed; trying again");
                delay = (delay * 2).min(MAX_DELAY);
            }
        }
    }
    if let Err(e) = storage.release_watch(id, owner).await {
        tracing::warn!(error = %e, run = %id, "could not release a run's watch lease");
    }
}

struct Polled {
    changed: bool,
    done: bool,
}

async fn poll(ctx: &Context, connection: &ConnectionId, id: &ExecutionId) -> Result<Polled, ServiceError> {
    let live = ctx.platform.as_live().ok_or(ServiceError::Internal)?;
    let run_id = RunId::new(id.as_str());
    ctx.watching.1.fetch_add(1, Ordering::Relaxed);
    let run = with_credential(ctx, connection, |credential| {
        let (api, run_id) = (live.api.clone(), run_id.clone());
        async move { api.run(&credential, &run_id).await.map(|r| r.value) }
    })
    .await?;
    let storage = ctx.storage.executions();
    let record = storage.get(connection, id).await.map_err(ServiceError::storage)?;
    let record = record.ok_or_else(|| ServiceError::NotFound("This run is not one of ours.".into()))?;
    if let Err(e) = storage.touch_polled(id, ctx.now()).await {
        tracing::warn!(error = %e, "could not record a poll");
    }
    let changed = apply_run(ctx, &record, &run).await;
    Ok(Polled { changed, done: run.is_final() })
}

/// Records what a read of the run says, if it differs from what we have, and publishes it:
/// true when something changed.
pub(crate) async fn apply_run(ctx: &Context, record: &ExecutionRecord, run: &Run) -> bool {
    let (status, outputs, error) = observed(run);
    if record.status == status && record.outputs == outputs && record.error == error {
        return false;
    }
    match agents::apply(ctx, &record.execution_id, &status, outputs.as_ref(), error.as_deref()).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, run = %record.execution_id, "could not record a run's status");
            false
        }
    }
}

/// What we keep of a run: its status, its outputs (lists, as the platform gives them) and,
/// for a failed run or one that completed with failed blocks, the block errors.
fn observed(run: &Run) -> (ExecutionStatus, Option<Value>, Option<String>) {
    let status = ExecutionStatus::parse(run.status.as_str());
    let outputs = run.outputs.as_ref().filter(|o| !o.is_empty()).and_then(|o| serde_json::to_value(o).ok());
    let errors: Vec<String> = run.block_errors().into_iter().map(|e| e.message).collect();
    let error = match (&run.status, errors.is_empty()) {
        (_, false) => Some(errors.join("; ")),
        (RunStatus::Failed, true) => Some("The run failed.".to_owned()),
        _ => None,
    };
    (status, outputs, error)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(value: Value) -> Run {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn block_errors_are_kept_for_a_completed_run_and_a_failed_run_always_says_so() {
        let base = json!({"id": "r1", "graph_id": "g", "graph_version": 1, "status": "COMPLETED",
            "outputs": {"joined": ["a, b"]},
            "node_executions": [{"node_id": "n2", "status": "FAILED", "outputs": {"error": ["enrich: timed out"]}}]});
        let (status, outputs, error) = observed(&run(base));
        assert_eq!(status, ExecutionStatus::Completed);
        assert_eq!(outputs, Some(json!({"joined": ["a, b"]})));
        assert_eq!(error.as_deref(), Some("enrich: timed out"));
        let (status, outputs, error) =
            observed(&run(json!({"id": "r2", "graph_id": "g", "graph_version": 1, "status": "FAILED"})));
        assert_eq!((status, outputs, error.as_deref()), (ExecutionStatus::Failed, None, Some("The run failed.")));
    }
}
