//! The Connect popup flow: `/connect/{provider}` validation in the documented order, the
//! decision (approve / connect new account / deny), the simulated provider consent, and grants.

use axum::Form;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use crate::error::Error;
use crate::routes::connect_pages::{consent_page, provider_page, result_page};
use crate::routes::oauth::authorize::{param, params};
use crate::routes::oauth::scopes::{PROVIDERS, is_integration_scope, merge};
use crate::routes::{login_url, origin_header, session_user};
use crate::state::model::{ConnectRequest, Credential, Grant};
use crate::state::{AppState, now_iso, now_ms, random_token, random_uuid};

const NONCE_TTL_MS: i64 = 60 * 60 * 1000;
const REQUEST_TTL_MS: i64 = 30 * 60 * 1000;

fn invalid(msg: &str) -> Error {
    Error::page(StatusCode::BAD_REQUEST, msg)
}

/// `GET /connect/{provider}?client_id&scopes&nonce&redirect_origin`
pub async fn connect_page(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Error> {
    let p = params(raw.as_deref());
    let client_id = param(&p, "client_id").unwrap_or_default();
    let client = state
        .db()
        .client(client_id)
        .filter(|c| c.active)
        .cloned()
        .ok_or_else(|| invalid("Unknown or inactive client"))?;
    let redirect_origin = param(&p, "redirect_origin").unwrap_or_default().to_owned();
    if !client.origins.contains(&redirect_origin) {
        return Err(invalid("redirect_origin is not registered for this client"));
    }
    let nonce = param(&p, "nonce").unwrap_or_default().to_owned();
    if nonce.is_empty() {
        return Err(invalid("nonce is required"));
    }
    let nonce_used = state.db().used_nonces.get(&nonce).is_some_and(|exp| *exp > now_ms());
    if nonce_used {
        return Err(invalid("This nonce has already been used"));
    }
    if !PROVIDERS.contains(&provider.as_str()) {
        return Err(invalid("Unsupported provider"));
    }
    let scopes: Vec<String> = param(&p, "scopes")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(invalid("No scopes requested"));
    }
    let prefix = format!("{provider}:");
    if let Some(bad) = scopes.iter().find(|s| !is_integration_scope(s) || !s.starts_with(&prefix)) {
        return Err(invalid(&format!("Invalid scope for {provider}: {bad}")));
    }
    let Some((sid, user)) = session_user(&state, &headers) else {
        let cont = format!("/connect/{provider}?{}", raw.unwrap_or_default());
        return Ok((StatusCode::FOUND, [(header::LOCATION, login_url(&state, &cont))]).into_response());
    };
    let req = ConnectRequest {
        token: random_token("connect_"),
        session_id: sid,
        user_id: user.id.clone(),
        client_id: client.id.clone(),
        provider: provider.clone(),
        scopes,
        nonce,
        redirect_origin,
        expires_at_ms: now_ms() + REQUEST_TTL_MS,
    };
    let credentials: Vec<Credential> =
        state.db().credentials.iter().filter(|c| c.user_id == user.id && c.provider == provider).cloned().collect();
    let page = consent_page(&state, &client.name, &user.email, &req, &credentials);
    {
        let mut db = state.db();
        let now = now_ms();
        db.connect_requests.retain(|r| r.expires_at_ms > now);
        db.connect_requests.push(req);
    }
    Ok(page)
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    pub connect_token: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub credential_id: String,
    #[serde(default)]
    pub account: String,
}

/// The pending request for this token, checked against Origin and the session.
fn pending(state: &AppState, headers: &HeaderMap, token: &str, check_origin: bool) -> Result<ConnectRequest, Error> {
    if check_origin && origin_header(headers) != Some(state.origin()) {
        return Err(Error::page(StatusCode::FORBIDDEN, "Cross-site connect request refused"));
    }
    let req = state
        .db()
        .connect_requests
        .iter()
        .find(|r| r.token == token && r.expires_at_ms > now_ms())
        .cloned()
        .ok_or_else(|| invalid("This connect request is unknown, expired or already used"))?;
    // Two popups opened with one nonce: only the first decision may produce a result.
    if state.db().used_nonces.get(&req.nonce).is_some_and(|exp| *exp > now_ms()) {
        return Err(invalid("This nonce has already been used"));
    }
    let same_session = session_user(state, headers).is_some_and(|(sid, _)| sid == req.session_id);
    if !same_session {
        return Err(Error::page(StatusCode::FORBIDDEN, "This connect request belongs to another session"));
    }
    Ok(req)
}

/// `POST /connect/{provider}/decision`
pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Result<Response, Error> {
    let req = pending(&state, &headers, &form.connect_token, true)?;
    match form.action.as_str() {
        "approve" => {
            let owned = state
                .db()
                .credentials
                .iter()
                .any(|c| c.id == form.credential_id && c.user_id == req.user_id && c.provider == req.provider);
            if !owned {
                return Ok(finish_failure(&state, &req, "grant_error", "Choose one of your accounts to connect"));
            }
            Ok(finish_success(&state, &req, &form.credential_id))
        }
        "new" => Ok(Redirect::to(&format!(
            "{}/connect/{}/provider-consent?connect_token={}",
            state.public_url,
            req.provider,
            percent_encoding::utf8_percent_encode(&req.token, percent_encoding::NON_ALPHANUMERIC)
        ))
        .into_response()),
        "deny" => Ok(finish_failure(&state, &req, "access_denied", "The user denied the connection request")),
        _ => Err(invalid("Unknown action")),
    }
}

#[derive(Debug, Deserialize)]
pub struct ProviderQuery {
    #[serde(default)]
    pub connect_token: String,
}

/// `GET /connect/{provider}/provider-consent?connect_token=`: the simulated provider's page.
pub async fn provider_consent_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ProviderQuery>,
) -> Result<Response, Error> {
    let req = pending(&state, &headers, &q.connect_token, false)?;
    let email = state.db().user(&req.user_id).map(|u| u.email.clone()).unwrap_or_default();
    Ok(provider_page(&state, &req, &email))
}

/// `POST /connect/{provider}/provider-consent`: Allow creates a new credential and grants it.
pub async fn provider_consent_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Result<Response, Error> {
    let req = pending(&state, &headers, &form.connect_token, true)?;
    if form.action != "allow" {
        return Ok(finish_failure(&state, &req, "oauth_error", "The provider authorization was cancelled"));
    }
    let label = form.account.trim();
    let label =
        if label.is_empty() { format!("new {} account", req.provider) } else { label.chars().take(200).collect() };
    let cred = Credential {
        id: format!("cred-{}", random_uuid()),
        user_id: req.user_id.clone(),
        provider: req.provider.clone(),
        username: Some(label.clone()),
        label,
        created_at: now_iso(),
        scopes: Vec::new(),
    };
    let id = cred.id.clone();
    state.db().credentials.push(cred);
    Ok(finish_success(&state, &req, &id))
}

/// Consume the request and its nonce (single use, kept an hour).
fn consume(state: &AppState, req: &ConnectRequest) {
    let mut db = state.db();
    db.connect_requests.retain(|r| r.token != req.token);
    let now = now_ms();
    db.used_nonces.retain(|_, exp| *exp > now);
    db.used_nonces.insert(req.nonce.clone(), now + NONCE_TTL_MS);
}

fn finish_success(state: &AppState, req: &ConnectRequest, credential_id: &str) -> Response {
    consume(state, req);
    let grant_id = upsert_grant(state, req, credential_id);
    let msg = json!({
        "type": "autogpt_connect_result",
        "success": true,
        "nonce": req.nonce,
        "grant_id": grant_id,
        "credential_id": credential_id,
        "provider": req.provider,
    });
    result_page(&req.redirect_origin, &msg)
}

fn finish_failure(state: &AppState, req: &ConnectRequest, error: &str, desc: &str) -> Response {
    consume(state, req);
    let msg = json!({
        "type": "autogpt_connect_result",
        "success": false,
        "nonce": req.nonce,
        "error": error,
        "error_description": desc,
    });
    result_page(&req.redirect_origin, &msg)
}

/// One grant per (user, client, credential): re-approval merges scopes and keeps the id.
fn upsert_grant(state: &AppState, req: &ConnectRequest, credential_id: &str) -> String {
    let mut db = state.db();
    if let Some(g) = db
        .grants
        .iter_mut()
        .find(|g| g.user_id == req.user_id && g.client_id == req.client_id && g.credential_id == credential_id)
    {
        if g.revoked_at.take().is_some() {
            g.scopes = req.scopes.clone();
        } else {
            g.scopes = merge(&g.scopes, &req.scopes);
        }
        return g.id.clone();
    }
    let id = random_uuid();
    db.grants.push(Grant {
        id: id.clone(),
        user_id: req.user_id.clone(),
        client_id: req.client_id.clone(),
        credential_id: credential_id.to_owned(),
        provider: req.provider.clone(),
        scopes: req.scopes.clone(),
        permissions: vec!["use".into(), "delete".into()],
        created_at: now_iso(),
        last_used_at: None,
        expires_at: None,
        revoked_at: None,
    });
    id
}
