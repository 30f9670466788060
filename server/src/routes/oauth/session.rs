//! `POST /api/autogpt/refresh` (G11, server-side: answers the new expiry, never
//! a token) and `POST /api/autogpt/logout` (revokes at the platform, best
//! effort, and forgets the connection). Both require our own `Origin`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use backend::services::auth;
use backend::{Caller, Mutate, ServiceError, Visitor};
use serde_json::json;

use crate::{AppState, Error};

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

/// Refreshes the session's tokens now.
pub async fn refresh(State(state): State<AppState>, caller: Caller<Mutate>) -> Result<Response, Error> {
    match auth::refresh(&state.ctx, &caller).await {
        Ok(expires_at) => Ok(Json(json!({ "refreshed": true, "expires_at": expires_at })).into_response()),
        Err(e) => {
            let kind = if matches!(e, ServiceError::ReconnectRequired | ServiceError::Unauthorized) {
                "invalid_grant"
            } else {
                "refresh_failed"
            };
            state.metrics.token_error(kind);
            Err(e.into())
        }
    }
}

/// Signs out (a plain form post works without JavaScript).
pub async fn logout(State(state): State<AppState>, visitor: Visitor<Mutate>, headers: HeaderMap) -> Response {
    auth::logout(&state.ctx, &visitor).await;
    if wants_json(&headers) {
        Json(json!({ "signed_out": true })).into_response()
    } else {
        Redirect::to("/connect").into_response()
    }
}
