//! `/executions`: run a demo agent with grants, read its status, cancel it, capabilities.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::engine;
use crate::error::Error;
use crate::routes::oauth::issue::{authenticate, require_scope};
use crate::seed::AGENTS;
use crate::state::model::{Client, Execution, Status};
use crate::state::{AppState, now_iso, random_uuid};

#[derive(Debug, Deserialize)]
struct ExecuteBody {
    #[serde(default)]
    inputs: Option<Map<String, Value>>,
    #[serde(default)]
    grant_ids: Option<Vec<String>>,
    #[serde(default)]
    webhook_url: Option<String>,
}

/// `https`, or `http` on localhost/127.0.0.1; the host must be one of the client's.
fn check_webhook_url(client: &Client, raw: &str) -> Result<(), Error> {
    let url = url::Url::parse(raw).map_err(|_| Error::bad_request("Invalid webhook_url"))?;
    let host = url.host_str().unwrap_or_default();
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => matches!(host, "localhost" | "127.0.0.1"),
        _ => false,
    };
    if !scheme_ok {
        return Err(Error::bad_request("webhook_url must use https (http only on localhost/127.0.0.1)"));
    }
    if !client.webhook_hosts.iter().any(|h| h == host) {
        return Err(Error::bad_request("webhook_url host is not allowed for this client"));
    }
    Ok(())
}

/// `POST /executions/agents/{agent_id}/execute`
pub async fn execute(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(agent_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), Error> {
    let token = authenticate(&state, &headers)?;
    require_scope(&token, "agents:execute")?;
    if !AGENTS.iter().any(|a| a.0 == agent_id) {
        return Err(Error::not_found("Agent not found"));
    }
    let body: ExecuteBody = if body.is_empty() {
        ExecuteBody { inputs: None, grant_ids: None, webhook_url: None }
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Error::api(StatusCode::UNPROCESSABLE_ENTITY, format!("Invalid request body: {e}")))?
    };
    let client = state.db().client(&token.client_id).cloned().ok_or_else(|| Error::unauthorized("Unknown client"))?;
    if let Some(url) = &body.webhook_url {
        check_webhook_url(&client, url)?;
    }
    let now = now_iso();
    let exec = {
        let mut db = state.db();
        let mine = |g: &&mut crate::state::model::Grant| {
            g.user_id == token.user_id && g.client_id == token.client_id && g.revoked_at.is_none()
        };
        let grant_ids: Vec<String> = match &body.grant_ids {
            Some(ids) => {
                for id in ids {
                    if !db.grants.iter_mut().filter(mine).any(|g| &g.id == id) {
                        return Err(Error::forbidden(format!("Invalid grant: {id}")));
                    }
                }
                ids.clone()
            }
            None => db.grants.iter_mut().filter(mine).map(|g| g.id.clone()).collect(),
        };
        if agent_id == "gmail-agent" && !db.grants.iter().any(|g| grant_ids.contains(&g.id) && g.provider == "google") {
            return Err(Error::forbidden("gmail-agent requires a Google grant (connect Google first)"));
        }
        for g in db.grants.iter_mut().filter(|g| grant_ids.contains(&g.id)) {
            g.last_used_at = Some(now.clone());
        }
        if let Some(url) = &body.webhook_url {
            db.remember_webhook_url(&token.user_id, &token.client_id, url);
        }
        let exec = Execution {
            id: random_uuid(),
            agent_id: agent_id.clone(),
            user_id: token.user_id.clone(),
            client_id: token.client_id.clone(),
            inputs: Value::Object(body.inputs.unwrap_or_default()),
            grant_ids,
            webhook_url: body.webhook_url,
            status: Status::Queued,
            cancelled: false,
            created_at: now,
            started_at: None,
            completed_at: None,
            outputs: None,
            error: None,
        };
        db.executions.push(exec.clone());
        exec
    };
    engine::start(&state, exec.id.clone());
    Ok((
        StatusCode::OK,
        Json(json!({
            "execution_id": exec.id,
            "status": "queued",
            "message": format!("Execution of {agent_id} queued"),
        })),
    ))
}

fn find(state: &AppState, user: &str, client: &str, id: &str) -> Result<Execution, Error> {
    state
        .db()
        .executions
        .iter()
        .find(|e| e.id == id && e.user_id == user && e.client_id == client)
        .cloned()
        .ok_or_else(|| Error::not_found("Execution not found"))
}

/// `GET /executions/{id}`
pub async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    let token = authenticate(&state, &headers)?;
    require_scope(&token, "agents:execute")?;
    let e = find(&state, &token.user_id, &token.client_id, &id)?;
    let status = if state.quirks().upper_case_statuses {
        if e.cancelled { "TERMINATED".to_owned() } else { e.status.as_str().to_ascii_uppercase() }
    } else {
        e.status.as_str().to_owned()
    };
    Ok(Json(json!({
        "execution_id": e.id,
        "status": status,
        "started_at": e.started_at,
        "completed_at": e.completed_at,
        "outputs": e.outputs,
        "error": e.error,
    })))
}

/// `POST /executions/{id}/cancel`
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    let token = authenticate(&state, &headers)?;
    require_scope(&token, "agents:execute")?;
    let e = find(&state, &token.user_id, &token.client_id, &id)?;
    engine::cancel(&state, &e.id)
        .ok_or_else(|| Error::bad_request(format!("Execution cannot be cancelled in status {}", e.status.as_str())))?;
    Ok(Json(json!({"execution_id": e.id, "message": "Execution cancelled"})))
}

/// `GET /executions/capabilities`
pub async fn capabilities(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, Error> {
    let token = authenticate(&state, &headers)?;
    require_scope(&token, "agents:execute")?;
    let db = state.db();
    let mut available: Vec<String> = Vec::new();
    let grants: Vec<Value> = db
        .grants
        .iter()
        .filter(|g| g.user_id == token.user_id && g.client_id == token.client_id && g.revoked_at.is_none())
        .map(|g| {
            for s in &g.scopes {
                if !available.contains(s) {
                    available.push(s.clone());
                }
            }
            json!({"grant_id": g.id, "provider": g.provider, "scopes": g.scopes})
        })
        .collect();
    Ok(Json(json!({
        "user_id": token.user_id,
        "client_id": token.client_id,
        "grants": grants,
        "available_scopes": available,
    })))
}
