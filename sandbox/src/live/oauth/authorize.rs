//! The internal app routes the consent page uses, authenticated by the user's platform session
//! (`Authorization: Bearer <agpt_live_session value>`), not by client credentials:
//! `GET /api/oauth/app/{client_id}` (app info, variant A; B behind a switch) and
//! `POST /api/oauth/authorize` (creates the code). The pages origin calls the same functions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::error::Error;
use crate::live::model::{Code, OAuthApp};
use crate::live::validation::Fields;
use crate::live::{redirect, scopes};
use crate::routes::oauth::authorize::{param, params};
use crate::routes::oauth::issue::bearer;
use crate::state::model::User;
use crate::state::{AppState, now_ms, random_token};

const CODE_TTL_MS: i64 = 10 * 60 * 1000;

/// What `POST /api/oauth/authorize` takes (and the consent form carries).
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: String,
    pub response_type: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
}

/// Why the app lookup of the pages failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppLookupError {
    /// 404 `Application not found` (unknown or inactive).
    NotFound,
    /// 400 `redirect_uri is not registered for this application` (variant A).
    UnregisteredRedirect,
}

/// The user behind a live session bearer, or 401.
fn session_user(state: &AppState, headers: &HeaderMap) -> Result<User, Error> {
    let unauthenticated = || Error::detail(StatusCode::UNAUTHORIZED, "Not authenticated");
    let sid = bearer(headers).ok_or_else(unauthenticated)?;
    let db = state.db();
    let user_id = db.live.session_user_id(sid).ok_or_else(unauthenticated)?;
    db.user(user_id).cloned().ok_or_else(unauthenticated)
}

/// The active app for the pages, with variant A's redirect check when `redirect_uri` is given
/// (variant B checks nothing here).
pub fn lookup_app(state: &AppState, client_id: &str, redirect_uri: Option<&str>) -> Result<OAuthApp, AppLookupError> {
    let app = state.db().live.app(client_id).filter(|a| a.active).cloned().ok_or(AppLookupError::NotFound)?;
    let variant_b = state.live_settings().app_info_variant_b;
    if !variant_b
        && let Some(uri) = redirect_uri
        && !app.redirect_uris.iter().any(|u| u == uri)
    {
        return Err(AppLookupError::UnregisteredRedirect);
    }
    Ok(app)
}

/// `GET /api/oauth/app/{client_id}[?redirect_uri=]`
pub async fn app_info(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, Error> {
    session_user(&state, &headers)?;
    let p = params(raw.as_deref());
    let app = lookup_app(&state, &client_id, param(&p, "redirect_uri")).map_err(|e| match e {
        AppLookupError::NotFound => Error::detail(StatusCode::NOT_FOUND, "Application not found"),
        AppLookupError::UnregisteredRedirect => {
            Error::detail(StatusCode::BAD_REQUEST, "redirect_uri is not registered for this application")
        }
    })?;
    let mut body = json!({
        "name": app.name, "description": app.description, "logo_url": app.logo_url, "scopes": app.scopes,
    });
    if state.live_settings().app_info_variant_b {
        body["redirect_uris"] = json!(app.redirect_uris);
    }
    Ok(Json(body))
}

/// `POST /api/oauth/authorize` → `200 {"redirect_url"}`.
pub async fn authorize(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, Error> {
    let user = session_user(&state, &headers)?;
    let mut f = Fields::parse(&headers, &body);
    let req = AuthorizeRequest {
        client_id: f.string("client_id"),
        redirect_uri: f.string("redirect_uri"),
        scopes: f.string_list("scopes"),
        state: f.string("state"),
        response_type: f.opt_string("response_type").unwrap_or_else(|| "code".into()),
        code_challenge: f.string("code_challenge"),
        code_challenge_method: f.literal("code_challenge_method", &["S256", "plain"], Some("S256")),
    };
    f.finish_internal("POST", "/api/oauth/authorize")?;
    let redirect_url = authorize_for(&state, &user.id, &req)?;
    Ok(Json(json!({ "redirect_url": redirect_url })))
}

/// The backend's decision: a 400 before the client and URI are verified, afterwards a redirect
/// URL carrying either the code or an OAuth error.
pub fn authorize_for(state: &AppState, user_id: &str, req: &AuthorizeRequest) -> Result<String, Error> {
    let app = state
        .db()
        .live
        .app(&req.client_id)
        .filter(|a| a.active)
        .cloned()
        .ok_or_else(|| Error::detail(StatusCode::BAD_REQUEST, "Unknown or inactive client_id"))?;
    if !app.redirect_uris.contains(&req.redirect_uri) {
        let allowed = app.redirect_uris.join(", ");
        return Err(Error::detail(StatusCode::BAD_REQUEST, format!("Invalid redirect_uri. Must be one of: {allowed}")));
    }
    let fail =
        |error: &str, description: &str| Ok(redirect::backend_error(&req.redirect_uri, error, &req.state, description));
    if req.response_type != "code" {
        return fail("unsupported_response_type", "Only 'code' response type is supported");
    }
    if let Some(bad) = req.scopes.iter().find(|s| !scopes::is_permission(s)) {
        return fail("invalid_scope", &format!("Invalid scope: {bad}"));
    }
    if req.scopes.is_empty() {
        return fail("invalid_scope", "At least one scope is required");
    }
    if !req.scopes.iter().all(|s| app.scopes.contains(s)) {
        let allowed = app.scopes.join(", ");
        return fail(
            "invalid_scope",
            &format!("Application is not authorized for all requested scopes. Allowed: {allowed}"),
        );
    }
    let code = random_token("");
    state.db().live.codes.push(Code {
        code: code.clone(),
        client_id: app.client_id.clone(),
        user_id: user_id.to_owned(),
        scopes: req.scopes.clone(),
        redirect_uri: req.redirect_uri.clone(),
        code_challenge: req.code_challenge.clone(),
        code_challenge_method: req.code_challenge_method.clone(),
        expires_at_ms: now_ms() + CODE_TTL_MS,
        used_at_ms: None,
    });
    Ok(redirect::code(&req.redirect_uri, &code, &req.state))
}
