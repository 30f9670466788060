//! `POST /library/agents/{agent_id}/runs` (`RUN_AGENT`) in the platform's order: request
//! validation (422) → run-start limiter (429, its own `X-RateLimit-*` on the response) →
//! `Idempotency-Key` claim (replay 202 / in flight 409 / other request 422) → balance (402) →
//! agent (404) → inputs against `input_schema` (422, all problems at once) → `202` with the run.
//! A failure after the claim releases the key, so a retry starts the run.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::canonical_json::{Dumps, dumps};
use crate::error::Error;
use crate::live::agents::Agent;
use crate::live::engine;
use crate::live::model::{IdempotencyKey, Run, RunStatus};
use crate::live::v2::auth::Principal;
use crate::live::v2::library::find;
use crate::live::v2::runs::mine;
use crate::live::v2::{rate, ts, views};
use crate::live::validation::{Fields, error, literal_error};
use crate::state::{AppState, now_ms, random_uuid};

const KEY_TTL_MS: i64 = 24 * 60 * 60 * 1000;
const MAX_KEY_CHARS: usize = 255;
const CREDENTIAL_TYPES: &[&str] = &["api_key", "oauth2", "user_password", "host_scoped"];

/// The validated request.
struct RunRequest {
    key: Option<String>,
    inputs: Map<String, Value>,
    credentials_inputs: Map<String, Value>,
    fingerprint: String,
}

pub async fn start(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(agent_id): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    p.require(&["RUN_AGENT"])?;
    let path = uri.path().to_owned();
    let req = validate(&headers, &body, &agent_id, &path)?;
    let settings = state.live_settings();
    let window = rate::hit(&state, &p.user.id, rate::RUN_STARTS, settings.run_rate_limit, settings.rate_window_secs);
    if window.exceeded {
        return Err(window.error());
    }
    let mut resp = match start_claimed(&state, &p, &agent_id, &path, req).await {
        Ok(run) => (StatusCode::ACCEPTED, Json(views::run(&run, ts(&state)))).into_response(),
        Err(e) => e.into_response(),
    };
    window.apply(resp.headers_mut());
    Ok(resp)
}

/// Header and body validation, all errors in one 422.
fn validate(headers: &HeaderMap, body: &[u8], agent_id: &str, path: &str) -> Result<RunRequest, Error> {
    let mut header_errors = Vec::new();
    let key = match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => None,
        Some(Ok(raw)) => {
            let trimmed = raw.trim();
            if trimmed.chars().count() > MAX_KEY_CHARS {
                let mut e = error(
                    "string_too_long",
                    json!(["header", "idempotency-key"]),
                    "String should have at most 255 characters",
                );
                e["ctx"] = json!({"max_length": MAX_KEY_CHARS});
                header_errors.push(e);
            }
            Some(trimmed.to_owned()).filter(|k| !k.is_empty())
        }
        Some(Err(_)) => {
            header_errors.push(error(
                "string_type",
                json!(["header", "idempotency-key"]),
                "Input should be a valid string",
            ));
            None
        }
    };
    let mut f = Fields::parse(headers, body);
    let inputs = object_field(&mut f, "inputs");
    let credentials_inputs = object_field(&mut f, "credentials_inputs");
    for (field, value) in &credentials_inputs {
        check_credential_input(&mut f, field, value);
    }
    let fingerprint = format!("{agent_id}\n{}", dumps(&Value::Object(f.object().clone()), Dumps::CANONICAL));
    header_errors.append(&mut f.errors);
    if !header_errors.is_empty() {
        return Err(Error::v2_validation("POST", path, header_errors));
    }
    Ok(RunRequest { key, inputs, credentials_inputs, fingerprint })
}

/// An optional object field (default `{}`).
fn object_field(f: &mut Fields, name: &str) -> Map<String, Value> {
    match f.raw(name) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            f.errors.push(error("dict_type", json!(["body", name]), "Input should be a valid dictionary"));
            Map::new()
        }
    }
}

/// `{id, provider, type[, title]}`.
fn check_credential_input(f: &mut Fields, field: &str, value: &Value) {
    let loc = |k: &str| json!(["body", "credentials_inputs", field, k]);
    let Some(obj) = value.as_object() else {
        f.errors.push(error(
            "model_attributes_type",
            json!(["body", "credentials_inputs", field]),
            "Input should be a valid dictionary or object to extract fields from",
        ));
        return;
    };
    for k in ["id", "provider"] {
        match obj.get(k) {
            Some(Value::String(_)) => {}
            None => f.errors.push(error("missing", loc(k), "Field required")),
            Some(_) => f.errors.push(error("string_type", loc(k), "Input should be a valid string")),
        }
    }
    match obj.get("type") {
        Some(Value::String(t)) if CREDENTIAL_TYPES.contains(&t.as_str()) => {}
        None => f.errors.push(error("missing", loc("type"), "Field required")),
        Some(_) => f.errors.push(literal_error(loc("type"), CREDENTIAL_TYPES)),
    }
    if let Some(title) = obj.get("title")
        && !title.is_null()
        && !title.is_string()
    {
        f.errors.push(error("string_type", loc("title"), "Input should be a valid string"));
    }
}

enum Claim {
    /// No key, or a new key now in flight.
    Fresh,
    /// The key's recorded run.
    Replay(String),
}

fn claim(state: &AppState, user_id: &str, key: &str, fingerprint: &str) -> Result<Claim, Error> {
    let mut db = state.db();
    let now = now_ms();
    db.live.idempotency.retain(|k| k.expires_at_ms > now);
    if let Some(entry) = db.live.idempotency.iter().find(|k| k.user_id == user_id && k.key == key) {
        if entry.fingerprint != fingerprint {
            return Err(Error::v2(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Idempotency-Key '{key}' was already used for a different request"),
            ));
        }
        return match &entry.run_id {
            Some(run_id) => Ok(Claim::Replay(run_id.clone())),
            None => Err(Error::v2(
                StatusCode::CONFLICT,
                format!("A request with Idempotency-Key '{key}' is still in flight. Retry once it completes."),
            )),
        };
    }
    db.live.idempotency.push(IdempotencyKey {
        user_id: user_id.to_owned(),
        key: key.to_owned(),
        fingerprint: fingerprint.to_owned(),
        run_id: None,
        expires_at_ms: now + KEY_TTL_MS,
    });
    Ok(Claim::Fresh)
}

async fn start_claimed(
    state: &AppState,
    p: &Principal,
    agent_id: &str,
    path: &str,
    req: RunRequest,
) -> Result<Run, Error> {
    let settings = state.live_settings();
    if let Some(key) = &req.key {
        if settings.idempotency_unavailable {
            return Err(Error::v2(StatusCode::SERVICE_UNAVAILABLE, format!("Failed to process POST {path}")));
        }
        if let Claim::Replay(run_id) = claim(state, &p.user.id, key, &req.fingerprint)? {
            return mine(state, &p.user.id, &run_id);
        }
    }
    let created = create(state, p, agent_id, path, &req).await;
    if let Some(key) = &req.key {
        let mut db = state.db();
        let now = now_ms();
        match &created {
            Ok(run) => {
                if let Some(entry) = db.live.idempotency.iter_mut().find(|k| k.user_id == p.user.id && &k.key == key) {
                    entry.run_id = Some(run.id.clone());
                    entry.expires_at_ms = now + KEY_TTL_MS;
                }
            }
            // Nothing started: the key is free again.
            Err(_) => db.live.idempotency.retain(|k| !(k.user_id == p.user.id && &k.key == key && k.run_id.is_none())),
        }
    }
    created
}

async fn create(state: &AppState, p: &Principal, agent_id: &str, path: &str, req: &RunRequest) -> Result<Run, Error> {
    let settings = state.live_settings();
    if settings.payment_required {
        return Err(Error::v2(
            StatusCode::PAYMENT_REQUIRED,
            "Insufficient balance to execute the agent. Please top up your account.",
        ));
    }
    let agent = find(agent_id)?;
    check_inputs(agent, &req.inputs, path)?;
    if settings.run_start_delay_ms > 0 {
        // Real time, not the scaled clock: this only holds the key in flight for a test.
        tokio::time::sleep(Duration::from_millis(settings.run_start_delay_ms)).await;
    }
    let run = {
        let mut db = state.db();
        db.live.run_seq += 1;
        let run = Run {
            id: random_uuid(),
            seq: db.live.run_seq,
            user_id: p.user.id.clone(),
            agent_id: agent.id.to_owned(),
            graph_id: agent.graph_id.to_owned(),
            graph_version: agent.graph_version,
            status: if settings.run_start_incomplete { RunStatus::Incomplete } else { RunStatus::Queued },
            created_at_ms: now_ms(),
            started_at_ms: None,
            ended_at_ms: None,
            inputs: req.inputs.clone(),
            credentials_inputs: views::credentials_inputs(&req.credentials_inputs, &db.credentials),
            cost_cents: 0,
            node_exec_count: 0,
            outputs: Map::new(),
            node_executions: Vec::new(),
        };
        db.live.runs.push(run.clone());
        run
    };
    engine::start(state, run.id.clone());
    Ok(run)
}

/// Unknown names → `extra_forbidden`; required names missing or `null` → `missing`.
fn check_inputs(agent: &Agent, inputs: &Map<String, Value>, path: &str) -> Result<(), Error> {
    let known = agent.input_names();
    let mut errors: Vec<Value> = inputs
        .keys()
        .filter(|name| !known.contains(&name.as_str()))
        .map(|name| error("extra_forbidden", json!(["body", "inputs", name]), "Unknown input"))
        .collect();
    for name in agent.required_inputs() {
        if inputs.get(name).is_none_or(Value::is_null) {
            errors.push(error("missing", json!(["body", "inputs", name]), "Input required"));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(Error::v2_validation("POST", path, errors)) }
}
