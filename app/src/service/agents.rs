//! Agent runs (G8, G16): start with the user's grants and our webhook URL, read
//! status (polling fallback of the live stream), cancel, list history.

use autogpt::ids::{AgentId, ExecutionId};
use autogpt::types::{ExecuteRequest, ExecutionStatus};
use serde_json::{Map, Value};

use super::AppContext;
use super::platform::{storage_error, with_token};
use super::session::{Access, Caller, caller, respond};
use crate::api::{AppError, ExecutionView};
use crate::server::storage::{ExecutionRecord, NewExecution, UpdateOutcome};
use crate::server::{AppEvent, ConnectionId};

/// An execution as the browser sees it (outputs pre-formatted: no JSON parser in WASM).
pub fn view(r: &ExecutionRecord) -> ExecutionView {
    ExecutionView {
        execution_id: r.execution_id.as_str().to_owned(),
        agent_id: r.agent_id.as_str().to_owned(),
        status: r.status.as_str().to_ascii_lowercase(),
        outputs: r.outputs.as_ref().filter(|o| !o.is_null()).map(pretty),
        error: r.error.clone(),
        created_at: r.created_at,
        terminal: r.is_final(),
        events: Vec::new(),
    }
}

/// JSON pretty-printed with two-space indentation (as the guide's `JSON.stringify(x, null, 2)`).
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Agent ids as the platform uses them: letters, digits, `-`, `_`, `.`, at most 128.
fn valid_agent_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Starts `agent_id` with `inputs`, the user's active grants and our webhook URL.
pub async fn execute(agent_id: String, inputs: Vec<(String, String)>) -> Result<ExecutionView, AppError> {
    let Caller { ctx, connection, .. } = caller(Access::Mutate).await?;
    respond(
        async {
            let agent_id = agent_id.trim();
            if !valid_agent_id(agent_id) {
                return Err(AppError::BadRequest(
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
            let grants = ctx.storage.grants().list_active(&connection).await.map_err(storage_error)?;
            let request = ExecuteRequest {
                inputs: map.clone(),
                grant_ids: Some(grants.into_iter().map(|g| g.grant_id).collect()),
                webhook_url: ctx.config.webhook_url.clone(),
            };
            let started = with_token(&ctx, &connection, |token| {
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
            storage.insert(&connection, new, ctx.now()).await.map_err(storage_error)?;
            let record = storage.get(&connection, &started.execution_id).await.map_err(storage_error)?;
            let record = record.ok_or(AppError::Internal)?;
            publish(&ctx, &connection, &record).await;
            Ok(view(&record))
        }
        .await,
    )
}

/// Polls the platform for one of the user's executions and stores what changed.
pub async fn status(execution_id: String) -> Result<ExecutionView, AppError> {
    let Caller { ctx, connection, .. } = caller(Access::Read).await?;
    respond(refresh_execution(&ctx, &connection, &ExecutionId::new(execution_id)).await.map(|r| view(&r)))
}

/// Reads the execution from the platform and applies it; returns the stored state.
pub async fn refresh_execution(
    ctx: &AppContext,
    connection: &ConnectionId,
    id: &ExecutionId,
) -> Result<ExecutionRecord, AppError> {
    let storage = ctx.storage.executions();
    let stored = storage.get(connection, id).await.map_err(storage_error)?;
    let stored = stored.ok_or_else(|| AppError::NotFound("No such execution for you.".into()))?;
    if stored.is_final() {
        return Ok(stored);
    }
    let live = with_token(ctx, connection, |token| {
        let api = ctx.api.clone();
        let id = id.clone();
        async move { api.execution(&token, &id).await }
    })
    .await?;
    let _ = storage.touch_polled(id, ctx.now()).await;
    apply(ctx, id, &live.status, live.outputs.as_ref(), live.error.as_deref()).await?;
    storage.get(connection, id).await.map_err(storage_error)?.ok_or(AppError::Internal)
}

/// Stores a status report (poll or webhook) and publishes it when it changed something.
pub async fn apply(
    ctx: &AppContext,
    id: &ExecutionId,
    status: &ExecutionStatus,
    outputs: Option<&Value>,
    error: Option<&str>,
) -> Result<(), AppError> {
    let outcome = ctx.storage.executions().apply_update(id, status, outputs, error, ctx.now()).await;
    if let UpdateOutcome::Applied(record) = outcome.map_err(storage_error)? {
        publish(ctx, &record.connection_id, &record).await;
    }
    Ok(())
}

async fn publish(ctx: &AppContext, connection: &ConnectionId, r: &ExecutionRecord) {
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
pub async fn cancel(execution_id: String) -> Result<ExecutionView, AppError> {
    let Caller { ctx, connection, .. } = caller(Access::Mutate).await?;
    respond(
        async {
            let id = ExecutionId::new(execution_id);
            let stored = ctx.storage.executions().get(&connection, &id).await.map_err(storage_error)?;
            if stored.is_none() {
                return Err(AppError::NotFound("No such execution for you.".into()));
            }
            with_token(&ctx, &connection, |token| {
                let api = ctx.api.clone();
                let id = id.clone();
                async move { api.cancel(&token, &id).await }
            })
            .await?;
            refresh_execution(&ctx, &connection, &id).await.map(|r| view(&r))
        }
        .await,
    )
}

/// The user's executions, newest first.
pub async fn list() -> Result<Vec<ExecutionView>, AppError> {
    let Caller { ctx, connection, .. } = caller(Access::Read).await?;
    respond(history(&ctx, &connection).await)
}

/// The connection's 50 most recent executions, each with the webhook events received for it.
pub async fn history(ctx: &AppContext, connection: &ConnectionId) -> Result<Vec<ExecutionView>, AppError> {
    let records = ctx.storage.executions().list(connection, 50).await.map_err(storage_error)?;
    let mut out = Vec::with_capacity(records.len());
    for record in &records {
        let mut v = view(record);
        let events = ctx.storage.inbox().events_for_execution(connection, &record.execution_id).await;
        v.events = events
            .unwrap_or_default()
            .into_iter()
            .map(|e| crate::api::WebhookEventView { event: e.event, received_at: e.received_at })
            .collect();
        out.push(v);
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
