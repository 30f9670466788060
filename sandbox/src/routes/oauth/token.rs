//! `POST /oauth/token`: `client_secret_post` only, PKCE S256, single-use codes, refresh-token
//! rotation with reuse detection, and the per-client rate limit.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::routes::oauth::authorize::param;
use crate::routes::oauth::issue::{Pair, issue_pair, pkce_matches, revoke_family};
use crate::state::model::TokenKind;
use crate::state::{AppState, lock, now_ms};

const WINDOW: Duration = Duration::from_secs(60);

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, Error> {
    let nested = state.quirks().nested_token_errors;
    let err =
        |code: &'static str, description: &str| Error::OAuth { code, description: description.to_owned(), nested };
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let client_id = param(&form, "client_id").unwrap_or_default().to_owned();
    rate_limit(&state, &client_id)?;

    // checklist 68: only client_secret_post; any Authorization header is refused.
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(err(
            "invalid_client",
            "Client authentication must use client_secret_post (no Authorization header)",
        ));
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(err("invalid_request", "Content-Type must be application/x-www-form-urlencoded"));
    }
    let secret = param(&form, "client_secret").unwrap_or_default();
    let client_ok = state
        .db()
        .client(&client_id)
        .filter(|c| c.active)
        .is_some_and(|c| bool::from(c.secret.as_bytes().ct_eq(secret.as_bytes())));
    if client_id.is_empty() || !client_ok {
        return Err(err("invalid_client", "Invalid client credentials"));
    }
    let pair = match param(&form, "grant_type") {
        None | Some("") => return Err(err("invalid_request", "grant_type is required")),
        Some("authorization_code") => exchange_code(&state, &client_id, &form, &err)?,
        Some("refresh_token") => refresh(&state, &client_id, &form, &err)?,
        Some(_) => {
            return Err(err("unsupported_grant_type", "Supported: authorization_code, refresh_token"));
        }
    };
    let mut resp = Json(json!({
        "access_token": pair.access,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh,
        "scope": pair.scopes.join(" "),
        "id_token": null,
    }))
    .into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

fn exchange_code(
    state: &AppState,
    client_id: &str,
    form: &[(String, String)],
    err: &dyn Fn(&'static str, &str) -> Error,
) -> Result<Pair, Error> {
    let Some(code) = param(form, "code").filter(|c| !c.is_empty()) else {
        return Err(err("invalid_request", "code is required"));
    };
    let mut db = state.db();
    let Some(idx) = db.codes.iter().position(|c| c.code == code && c.client_id == client_id) else {
        return Err(err("invalid_grant", "Invalid authorization code"));
    };
    if db.codes[idx].used {
        // Reuse: whatever was issued from this code is revoked.
        let family = db.codes[idx].family.clone();
        let n = revoke_family(&mut db, &family);
        tracing::warn!(revoked = n, "authorization code reused");
        return Err(err("invalid_grant", "Authorization code has already been used"));
    }
    db.codes[idx].used = true;
    let code = db.codes[idx].clone();
    if code.expires_at_ms <= now_ms() {
        return Err(err("invalid_grant", "Authorization code has expired"));
    }
    if param(form, "redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(err("invalid_grant", "redirect_uri does not match"));
    }
    let Some(verifier) = param(form, "code_verifier").filter(|v| !v.is_empty()) else {
        return Err(err("invalid_request", "code_verifier is required"));
    };
    db.codes[idx].verifier_presented = Some(verifier.to_owned());
    // Checklist 29: a wrong verifier is `invalid_grant` (RFC 7636 §4.6), described as the
    // contract words it.
    if !pkce_matches(verifier, &code.code_challenge) {
        return Err(err("invalid_grant", "PKCE verification failed"));
    }
    Ok(issue_pair(state, &mut db, &code.family, client_id, &code.user_id, &code.scopes))
}

fn refresh(
    state: &AppState,
    client_id: &str,
    form: &[(String, String)],
    err: &dyn Fn(&'static str, &str) -> Error,
) -> Result<Pair, Error> {
    let Some(raw) = param(form, "refresh_token").filter(|c| !c.is_empty()) else {
        return Err(err("invalid_request", "refresh_token is required"));
    };
    let mut db = state.db();
    let Some(idx) =
        db.tokens.iter().position(|t| t.kind == TokenKind::Refresh && t.token == raw && t.client_id == client_id)
    else {
        return Err(err("invalid_grant", "Invalid refresh token"));
    };
    let old = db.tokens[idx].clone();
    if old.rotated {
        // Reuse of a rotated refresh token: revoke the whole grant (checklist 28/31).
        let n = revoke_family(&mut db, &old.family);
        tracing::warn!(revoked = n, "refresh token reuse detected");
        return Err(err("invalid_grant", "Refresh token reuse detected; the grant has been revoked"));
    }
    if old.revoked {
        return Err(err("invalid_grant", "Refresh token has been revoked"));
    }
    if old.expires_at_ms <= now_ms() {
        return Err(err("invalid_grant", "Refresh token has expired"));
    }
    let scopes = match param(form, "scope").filter(|s| !s.is_empty()) {
        Some(s) => {
            let requested = crate::routes::oauth::scopes::parse_space(s);
            if requested.iter().any(|r| !old.scopes.contains(r)) {
                return Err(err("invalid_scope", "Requested scope exceeds the grant"));
            }
            requested
        }
        None => old.scopes.clone(),
    };
    db.tokens[idx].rotated = true;
    db.tokens[idx].revoked = true;
    Ok(issue_pair(state, &mut db, &old.family, client_id, &old.user_id, &scopes))
}

/// Sliding one-minute window per client id.
fn rate_limit(state: &AppState, client_id: &str) -> Result<(), Error> {
    let limit = state.settings().token_rate_limit as usize;
    let now = Instant::now();
    let mut rate = lock(&state.rate);
    let q = rate.entry(client_id.to_owned()).or_default();
    while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
        q.pop_front();
    }
    if q.len() >= limit {
        let wait = q.front().map(|t| WINDOW.saturating_sub(now.duration_since(*t))).unwrap_or(WINDOW);
        return Err(Error::RateLimited { retry_after_secs: wait.as_secs() + 1 });
    }
    q.push_back(now);
    Ok(())
}
