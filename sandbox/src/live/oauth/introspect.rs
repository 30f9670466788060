//! `POST /api/oauth/introspect`: any authenticated client may introspect any token; `exp` is in
//! Unix seconds; inactive tokens answer `{"active": false}` with the other fields `null`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{Error, internal_failure_body};
use crate::live::model::TokenKind;
use crate::live::oauth::client;
use crate::live::validation::Fields;
use crate::state::{AppState, now_ms};

pub const HINTS: &[&str] = &["access_token", "refresh_token"];
const PATH: &str = "/api/oauth/introspect";

/// Lookup order: access tokens first, unless the hint names refresh tokens.
pub fn lookup_order(hint: Option<&str>) -> [TokenKind; 2] {
    if hint == Some("refresh_token") {
        [TokenKind::Refresh, TokenKind::Access]
    } else {
        [TokenKind::Access, TokenKind::Refresh]
    }
}

pub async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, Error> {
    let mut f = Fields::parse(&headers, &body);
    let token = f.string("token");
    let hint = f.opt_literal("token_type_hint", HINTS);
    let client_id = f.string("client_id");
    let client_secret = f.string("client_secret");
    f.finish_internal("POST", PATH)?;
    client::authenticate(&state, &client_id, &client_secret)?;
    let inactive_for_disabled_app = state.live_settings().introspect_disabled_app_inactive;
    let db = state.db();
    let now = now_ms();
    let found = lookup_order(hint.as_deref())
        .into_iter()
        .find_map(|kind| db.live.tokens.iter().find(|t| t.kind == kind && t.token == token));
    let inactive = json!({
        "active": false, "scopes": null, "client_id": null, "user_id": null, "exp": null, "token_type": null,
    });
    let Some(t) = found.filter(|t| !t.revoked && t.expires_at_ms > now) else {
        return Ok(axum::Json(inactive).into_response());
    };
    if !db.live.app(&t.client_id).is_some_and(|a| a.active) {
        if inactive_for_disabled_app {
            return Ok(axum::Json(inactive).into_response());
        }
        // Q8: the platform's lookup raises for a disabled app and nothing handles it.
        let body = internal_failure_body("POST", PATH, "Client application is disabled");
        return Ok((StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response());
    }
    let token_type = match t.kind {
        TokenKind::Access => "access_token",
        TokenKind::Refresh => "refresh_token",
    };
    Ok(axum::Json(json!({
        "active": true,
        "scopes": t.scopes,
        "client_id": t.client_id,
        "user_id": t.user_id,
        "exp": t.expires_at_ms.div_euclid(1000),
        "token_type": token_type,
    }))
    .into_response())
}
