//! Agent runs (G8, G16): start with the user's grants and our webhook URL, read status
//! (polling fallback of the live stream), cancel, list history.

use autogpt::ids::{AgentId, ExecutionId};
use autogpt::types::{ExecuteRequest, ExecutionStatus};
use serde_json::{Map, Value};

use super::platform::with_token;
use crate::caller::{Caller, Mutate};
use crate::storage::{ExecutionRecord, InboxRecord, NewExecution, UpdateOutcome};
use crate::{AppEvent, ConnectionId, Context, ServiceError};

/// Agent ids as the platform uses them: letters, digits, `-`, `_`, `.`, at most 128.
fn valid_agent_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Starts `agent_id` with `inputs`, the user's active grants and our webhook URL.
pub async fn execute(
    ctx: &Context,
    caller: &Caller<Mutate>,
    agent_id: &str,
    inputs: Vec<(String, String)>,
) -> Result<ExecutionRecord, ServiceError> {
    let connection = &caller.connection;
    let agent_id = agent_id.trim();
    if !valid_agent_id(agent_id) {
        return Err(ServiceError::BadRequest(
            "An agent id uses letters, digits, '-', '_' or '.' (at most 128).".into(),
        ));
    }
    let agent = AgentId::new(agent_id);
    let mut map = Map::new();
    for (name, value) in inputs {
        let name = name.trim().to_owned();
        if !name.is_empty() {
            map.insert(name, Value::String(value));
        }
    }
    let grants = ctx.storage.grants().list_active(connection).await.map_err(ServiceError::storage)?;
    let request = ExecuteRequest {
        inputs: map.clone(),
        grant_ids: Some(grants.into_iter().map(|g| g.grant_id).collect()),
        webhook_url: ctx.config.webhook_url.clone(),
    };
    let started = with_token(ctx, connection, |token| {
        let api = ctx.api.clone();
        let (agent, request) = (agent.clone(), request.clone());
        async move { api.execute(&token, &agent, &request).await }
    })
    .await?;
    let inputs = Value::Object(map);
    let new = NewExecution {
        execution_id: &started.execution_id,
        agent_id: &agent,
        status: &started.status,
        inputs: &inputs,
    };
    let storage = ctx.storage.executions();
    storage.insert(connection, new, ctx.now()).await.map_err(ServiceError::storage)?;
    let record = storage.get(connection, &started.execution_id).await.map_err(ServiceError::storage)?;
    let record = record.ok_or(ServiceError::Internal)?;
    publish(ctx, connection, &record).await;
    Ok(record)
}

/// Polls the platform for one of the caller's executions and stores what changed.
pub async fn status(
    ctx: &Context,
    caller: &Caller<Mutate>,
    execution_id: &str,
) -> Result<ExecutionRecord, ServiceError> {
    refresh_execution(ctx, &caller.connection, &ExecutionId::new(execution_id)).await
}

/// Reads the execution from the platform and applies it; returns the stored state.
pub async fn refresh_execution(
    ctx: &Context,
    connection: &ConnectionId,
    id: &ExecutionId,
) -> Result<ExecutionRecord, ServiceError> {
    let storage = ctx.storage.executions();
    let stored = storage.get(connection, id).await.map_err(ServiceError::storage)?;
    let stored = stored.ok_or_else(|| ServiceError::NotFound("No such execution for you.".into()))?;
    if stored.is_final() {
        return Ok(stored);
    }
    let live = with_token(ctx, connection, |token| {
        let api = ctx.api.clone();
        let id = id.clone();
        async move { api.execution(&token, &id).await }
    })
    .await?;
    if let Err(e) = storage.touch_polled(id, ctx.now()).await {
        tracing::warn!(error = %e, "could not record a poll");
    }
    apply(ctx, id, &live.status, live.outputs.as_ref(), live.error.as_deref()).await?;
    storage.get(connection, id).await.map_err(ServiceError::storage)?.ok_or(ServiceError::Internal)
}

/// Stores a status report (poll or webhook) and publishes it when it changed something.
pub async fn apply(
    ctx: &Context,
    id: &ExecutionId,
    status: &ExecutionStatus,
    outputs: Option<&Value>,
    error: Option<&str>,
) -> Result<(), ServiceError> {
    let outcome = ctx.storage.executions().apply_update(id, status, outputs, error, ctx.now()).await;
    if let UpdateOutcome::Applied(record) = outcome.map_err(ServiceError::storage)? {
        publish(ctx, &record.connection_id, &record).await;
    }
    Ok(())
}

async fn publish(ctx: &Context, connection: &ConnectionId, r: &ExecutionRecord) {
    let event = AppEvent::ExecutionUpdated {
        execution_id: r.execution_id.clone(),
        status: r.status.clone(),
        outputs: r.outputs.clone(),
        error: r.error.clone(),
    };
    if let Err(e) = ctx.events.publish(connection, event).await {
        tracing::warn!(error = %e, "could not publish an execution update");
    }
}

/// Cancels a queued or running execution, then reads its new state.
pub async fn cancel(
    ctx: &Context,
    caller: &Caller<Mutate>,
    execution_id: &str,
) -> Result<ExecutionRecord, ServiceError> {
    let connection = &caller.connection;
    let id = ExecutionId::new(execution_id);
    let stored = ctx.storage.executions().get(connection, &id).await.map_err(ServiceError::storage)?;
    if stored.is_none() {
        return Err(ServiceError::NotFound("No such execution for you.".into()));
    }
    with_token(ctx, connection, |token| {
        let api = ctx.api.clone();
        let id = id.clone();
        async move { api.cancel(&token, &id).await }
    })
    .await?;
    refresh_execution(ctx, connection, &id).await
}

/// An execution with the webhook deliveries received for it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionHistory {
    /// The execution.
    pub record: ExecutionRecord,
    /// Deliveries about it, oldest first.
    pub events: Vec<InboxRecord>,
}

/// Our record of one of the connection's executions (no platform call).
pub async fn stored(
    ctx: &Context,
    connection: &ConnectionId,
    id: &str,
) -> Result<Option<ExecutionRecord>, ServiceError> {
    ctx.storage.executions().get(connection, &ExecutionId::new(id.trim())).await.map_err(ServiceError::storage)
}

/// One of the connection's executions with its webhook events (its detail page).
pub async fn execution(ctx: &Context, connection: &ConnectionId, id: &str) -> Result<ExecutionHistory, ServiceError> {
    let id = ExecutionId::new(id.trim());
    let record = ctx.storage.executions().get(connection, &id).await.map_err(ServiceError::storage)?;
    let record = record.ok_or_else(|| ServiceError::NotFound("No such execution for you.".into()))?;
    let events = ctx.storage.inbox().events_for_execution(connection, &id).await.map_err(ServiceError::storage)?;
    Ok(ExecutionHistory { record, events })
}

/// How many executions the history shows.
const HISTORY_LIMIT: i64 = 50;

/// The connection's most recent executions, newest first, each with its webhook events.
pub async fn history(ctx: &Context, connection: &ConnectionId) -> Result<Vec<ExecutionHistory>, ServiceError> {
    let records = ctx.storage.executions().list(connection, HISTORY_LIMIT).await.map_err(ServiceError::storage)?;
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let events = ctx.storage.inbox().events_for_execution(connection, &record.execution_id).await;
        let events = events.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read an execution's webhook events");
            Vec::new()
        });
        out.push(ExecutionHistory { record, events });
    }
    Ok(out)
}
#[cfg(test)]
mod tests {
    use super::valid_agent_id;

    #[test]
    fn agent_ids_are_checked_before_any_call() {
        assert!(valid_agent_id("echo-agent"));
        assert!(valid_agent_id("a.b_c-1"));
        for bad in ["", "../x", "a b", "a/b", "é"] {
            assert!(!valid_agent_id(bad), "{bad}");
        }
        assert!(!valid_agent_id(&"a".repeat(129)));
    }
}
