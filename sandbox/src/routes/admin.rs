//! The admin API for tests under `/__admin/` (on the guide origin and the live backend origin):
//! deliveries, grant revocation, token expiry, credentials, fault injection, settings, reset,
//! snapshot, and the live profile's switches under `/__admin/live`. JSON in and out.
//!
//! Guarded against the developer's own browser (issue 11, item 10): only loopback peers, only
//! the sandbox's own `Host` names (DNS rebinding), no foreign `Origin`, and POSTs only with
//! `Content-Type: application/json` (a page can send `text/plain` cross-origin without a
//! preflight, never JSON).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::config::Quirks;
use crate::error::Error;
use crate::state::model::TokenKind;
use crate::state::{AppState, Fault, Settings, lock, now_iso, now_ms, random_uuid};
use crate::{seed, webhooks};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/deliveries", get(deliveries))
        .route("/deliveries/{id}/redeliver", post(redeliver))
        .route("/grants", get(grants))
        .route("/grants/{id}/revoke", post(revoke_grant))
        .route("/executions", get(executions))
        .route("/tokens/expire", post(expire_tokens))
        .route("/faults", get(faults).post(add_fault).delete(clear_faults))
        .route("/settings", get(settings).post(update_settings))
        .route("/reset", post(reset))
        .route("/snapshot", post(snapshot))
        .route("/credentials", get(credentials))
        .route("/credentials/{id}/delete", post(delete_credential))
        .nest("/live", crate::live::admin::router())
        .layer(middleware::from_fn_with_state(state, guard))
}

/// Loopback peers only, the sandbox's own host names and origins only, JSON POSTs only.
async fn guard(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if let Err(refusal) = admissible(&state, peer, &req) {
        tracing::warn!(%refusal, "admin request refused");
        return Error::forbidden(refusal).into_response();
    }
    next.run(req).await
}

fn admissible(state: &AppState, peer: SocketAddr, req: &Request) -> Result<(), String> {
    if !peer.ip().is_loopback() {
        return Err("Admin API is loopback only".into());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    // No Host at all is no browser (HTTP/1.1 browsers always send it).
    if let Some(host) = host
        && !own_host(state, &host)
    {
        return Err(format!("Admin API: Host {host:?} is not one of the sandbox's own (DNS rebinding protection)"));
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("<unreadable>");
        if !state.own_origins().contains(&origin) {
            return Err(format!("Admin API: cross-origin request from {origin:?} refused"));
        }
    }
    if req.method() == Method::POST {
        let media = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        if media.as_deref() != Some("application/json") {
            return Err("Admin API: POST requests need Content-Type: application/json".into());
        }
    }
    Ok(())
}

/// The host part of a `Host` value is a loopback name or the host of one of the public URLs.
fn own_host(state: &AppState, host: &str) -> bool {
    let name = |authority: &str| {
        url::Url::parse(&format!("http://{authority}")).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    };
    let Some(asked) = name(host) else {
        return false;
    };
    let loopback = ["127.0.0.1", "localhost", "[::1]"];
    loopback.contains(&asked.as_str())
        || state.own_origins().iter().any(|o| {
            url::Url::parse(o).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase)).as_deref()
                == Some(asked.as_str())
        })
}

/// A JSON body (empty = the type's default).
pub fn parse<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| Error::bad_request(format!("Invalid JSON: {e}")))
}

/// `GET /__admin/deliveries` → `[{id,event,url,client_id,user_id,body,signature,state,attempts:[{at,status,error}],created_at}]`
async fn deliveries(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.db().deliveries))
}

/// `POST /__admin/deliveries/{id}/redeliver` → `{"redelivering": id}`
async fn redeliver(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    if webhooks::redeliver(&state, &id) {
        Ok(Json(json!({"redelivering": id})))
    } else {
        Err(Error::not_found("Delivery not found"))
    }
}

/// `GET /__admin/grants` → every grant record.
async fn grants(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.db().grants))
}

/// `GET /__admin/executions` → every execution record.
async fn executions(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.db().executions))
}

/// `POST /__admin/grants/{id}/revoke` → the revoked grant; sends `grant.revoked`.
async fn revoke_grant(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    let grant = {
        let mut db = state.db();
        let g = db.grants.iter_mut().find(|g| g.id == id).ok_or_else(|| Error::not_found("Grant not found"))?;
        if g.revoked_at.is_none() {
            g.revoked_at = Some(now_iso());
        }
        g.clone()
    };
    webhooks::emit_grant_revoked(&state, &grant);
    Ok(Json(json!(grant)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ExpireBody {
    token: Option<String>,
    email: Option<String>,
    user_id: Option<String>,
    /// `access` (default), `refresh` or `all`.
    kind: Option<String>,
}

/// `POST /__admin/tokens/expire` `{"token"?,"email"?,"user_id"?,"kind"?}` → `{"expired": n}`.
/// With neither token nor user, every token of that kind expires.
async fn expire_tokens(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, Error> {
    let b: ExpireBody = parse(&body)?;
    let mut db = state.db();
    let user_id = match (&b.user_id, &b.email) {
        (Some(u), _) => Some(u.clone()),
        (None, Some(email)) => Some(
            db.users
                .iter()
                .find(|u| u.email.eq_ignore_ascii_case(email))
                .map(|u| u.id.clone())
                .ok_or_else(|| Error::not_found("User not found"))?,
        ),
        _ => None,
    };
    let kind = b.kind.as_deref().unwrap_or("access");
    let past = now_ms() - 1000;
    let mut n = 0;
    for t in db.tokens.iter_mut() {
        let kind_ok = match kind {
            "all" => true,
            "refresh" => t.kind == TokenKind::Refresh,
            _ => t.kind == TokenKind::Access,
        };
        let token_ok = b.token.as_ref().is_none_or(|x| *x == t.token);
        let user_ok = user_id.as_ref().is_none_or(|u| *u == t.user_id);
        if kind_ok && token_ok && user_ok && t.expires_at_ms > past {
            t.expires_at_ms = past;
            n += 1;
        }
    }
    Ok(Json(json!({"expired": n})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FaultBody {
    route: String,
    method: Option<String>,
    status: Option<u16>,
    delay_ms: Option<u64>,
    drop: bool,
    count: Option<u32>,
    until_cleared: bool,
    origin: Option<String>,
}

/// `GET /__admin/faults` → active faults.
async fn faults(State(state): State<AppState>) -> Json<Value> {
    Json(json!(*lock(&state.faults)))
}

/// `POST /__admin/faults` `{"route","method"?,"status"?,"delay_ms"?,"drop"?,"count"?=1,
/// "until_cleared"?=false,"origin"?}` → the fault. `route` is a path pattern in which `*` matches
/// anything (a trailing `*` is a prefix); `origin` limits it to one listener (`guide`, `live_api`,
/// `live_pages`). On the live backend a status answers in the route's own error shape.
async fn add_fault(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, Error> {
    let b: FaultBody = parse(&body)?;
    if !b.route.starts_with('/') {
        return Err(Error::bad_request("route must start with /"));
    }
    if b.status.is_none() && b.delay_ms.is_none() && !b.drop {
        return Err(Error::bad_request("give status, delay_ms or drop"));
    }
    if let Some(s) = b.status {
        StatusCode::from_u16(s).map_err(|_| Error::bad_request("invalid status"))?;
    }
    if let Some(o) = &b.origin
        && !matches!(o.as_str(), "guide" | "live_api" | "live_pages")
    {
        return Err(Error::bad_request("origin must be guide, live_api or live_pages"));
    }
    let fault = Fault {
        id: random_uuid(),
        route: b.route,
        method: b.method,
        status: b.status,
        delay_ms: b.delay_ms,
        drop: b.drop,
        remaining: b.count.unwrap_or(1).max(1),
        until_cleared: b.until_cleared,
        origin: b.origin,
    };
    lock(&state.faults).push(fault.clone());
    Ok(Json(json!(fault)))
}

/// `DELETE /__admin/faults` → `{"cleared": n}`
async fn clear_faults(State(state): State<AppState>) -> Json<Value> {
    let mut f = lock(&state.faults);
    let n = f.len();
    f.clear();
    Json(json!({"cleared": n}))
}

/// `GET /__admin/settings` → `{"quirks":{...},"time_factor","access_token_ttl_secs","refresh_token_ttl_secs","token_rate_limit","live":{...}}`
async fn settings(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.settings()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SettingsBody {
    quirks: Option<Quirks>,
    time_factor: Option<f64>,
    access_token_ttl_secs: Option<u64>,
    refresh_token_ttl_secs: Option<u64>,
    token_rate_limit: Option<u32>,
}

/// `POST /__admin/settings` with any subset of the settings fields → the new settings.
async fn update_settings(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, Error> {
    let b: SettingsBody = parse(&body)?;
    if let Some(f) = b.time_factor
        && (!f.is_finite() || f < 0.0)
    {
        return Err(Error::bad_request("time_factor must be a finite number >= 0"));
    }
    let mut s = lock(&state.settings);
    if let Some(q) = b.quirks {
        s.quirks = q;
    }
    if let Some(f) = b.time_factor {
        s.time_factor = f;
    }
    if let Some(t) = b.access_token_ttl_secs {
        s.access_token_ttl_secs = t;
    }
    if let Some(t) = b.refresh_token_ttl_secs {
        s.refresh_token_ttl_secs = t;
    }
    if let Some(r) = b.token_rate_limit {
        s.token_rate_limit = r;
    }
    Ok(Json(json!(*s)))
}

/// `POST /__admin/reset` → `{"reset": true}`: seed data (both profiles), settings from the
/// start config, no faults, no rate-limit history.
async fn reset(State(state): State<AppState>) -> Json<Value> {
    let cfg = &state.config;
    *state.db() = seed::seeded(&cfg.extra_client_origins, &cfg.extra_redirect_uris);
    *lock(&state.settings) = Settings::from_config(cfg);
    lock(&state.faults).clear();
    lock(&state.rate).clear();
    lock(&state.live_rate).clear();
    Json(json!({"reset": true}))
}

/// `GET /__admin/credentials` → every provider credential (shared by both profiles).
async fn credentials(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.db().credentials))
}

/// `POST /__admin/credentials/{id}/delete` → `{"deleted": id, "revoked_grants": n}`: the
/// credential disappears for both profiles (live runs that need it fail in their block); guide
/// grants on it are revoked with `grant.revoked` webhooks.
async fn delete_credential(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, Error> {
    if !state.db().credentials.iter().any(|c| c.id == id) {
        return Err(Error::not_found("Credential not found"));
    }
    let revoked = crate::routes::external::grants::delete_credential_and_revoke(&state, &id);
    Ok(Json(json!({"deleted": id, "revoked_grants": revoked})))
}

/// `POST /__admin/snapshot` → `{"saved": bool}` (false without a data file).
async fn snapshot(State(state): State<AppState>) -> Json<Value> {
    let saved = state.config.data_file.is_some();
    crate::save_data_file(&state);
    Json(json!({"saved": saved}))
}
