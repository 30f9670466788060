//! v2 authentication (`external/middleware.py`): `X-API-Key` wins (invalid → 401 at once), else
//! a Bearer that is tried as an API key (unless it is an `agpt_xt_` token) and then as an OAuth
//! access token. The credential is resolved once per request and handed to the handler as a
//! [`Principal`]; the per-user request limit is counted here and its headers added to the response.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::live::model::TokenKind;
use crate::live::scopes;
use crate::live::v2::rate;
use crate::routes::oauth::issue::bearer;
use crate::state::model::User;
use crate::state::{AppState, now_ms};

/// Who a v2 request acts for.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub scopes: Vec<String>,
    /// `api_key` or `oauth`.
    pub credential_type: &'static str,
}

impl Principal {
    /// 403 unless every scope is held.
    pub fn require(&self, needed: &[&str]) -> Result<(), Error> {
        let missing: Vec<&str> = needed.iter().copied().filter(|s| !self.scopes.iter().any(|h| h == s)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::v2(StatusCode::FORBIDDEN, format!("Missing required permission(s): {}", missing.join(", "))))
    }
}

fn unauthorized(message: &str) -> Error {
    Error::v2(StatusCode::UNAUTHORIZED, message)
}

fn api_key_user(state: &AppState, key: &str) -> Option<User> {
    state.db().users.iter().find(|u| !key.is_empty() && u.api_key == key).cloned()
}

/// API keys act with every permission.
fn api_key_principal(user: User) -> Principal {
    Principal { user, scopes: scopes::all(), credential_type: "api_key" }
}

pub fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Principal, Error> {
    if let Some(value) = headers.get("x-api-key") {
        let key = value.to_str().unwrap_or_default().trim();
        return api_key_user(state, key).map(api_key_principal).ok_or_else(|| unauthorized("Invalid API key"));
    }
    let Some(token) = bearer(headers) else {
        return Err(unauthorized("Missing authentication. Provide API key or access token."));
    };
    if !token.starts_with("agpt_xt_")
        && let Some(user) = api_key_user(state, token)
    {
        return Ok(api_key_principal(user));
    }
    let db = state.db();
    let t = db
        .live
        .tokens
        .iter()
        .find(|t| t.kind == TokenKind::Access && t.token == token)
        .ok_or_else(|| unauthorized("Invalid token: access token not found"))?;
    if t.expires_at_ms <= now_ms() {
        return Err(unauthorized("Invalid token: access token expired"));
    }
    if t.revoked {
        return Err(unauthorized("Invalid token: access token has been revoked"));
    }
    if !db.live.app(&t.client_id).is_some_and(|a| a.active) {
        return Err(unauthorized("Client application is disabled"));
    }
    let user = db.user(&t.user_id).cloned().ok_or_else(|| unauthorized("Invalid token: access token not found"))?;
    Ok(Principal { user, scopes: t.scopes.clone(), credential_type: "oauth" })
}

/// The middleware on every v2 route.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let principal = match resolve(&state, req.headers()) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    // The sandbox's users belong to no team: any X-Team-Id names a team they are not in.
    if let Some(team) = req.headers().get("x-team-id").and_then(|v| v.to_str().ok()).filter(|t| !t.is_empty()) {
        return Error::v2(StatusCode::FORBIDDEN, format!("You are not an active member of team {team}"))
            .into_response();
    }
    let settings = state.live_settings();
    let window = rate::hit(&state, &principal.user.id, rate::REQUESTS, settings.rate_limit, settings.rate_window_secs);
    if window.exceeded {
        return window.error().into_response();
    }
    req.extensions_mut().insert(principal);
    let mut resp = next.run(req).await;
    // Endpoints with their own limiter (run start) report that one.
    if !resp.headers().contains_key(rate::LIMIT) {
        window.apply(resp.headers_mut());
    }
    resp
}
