//! `POST /api/autogpt/refresh` (G11, server-side: answers the new expiry, never
//! a token) and `POST /api/autogpt/logout` (revokes at the platform, best
//! effort, and forgets the connection). Both require our own `Origin`.

use app::api::AppError;
use app::server::TokenError;
use app::service::{
    auth,
    session::{check_origin, signed_in},
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use tower_sessions::Session;

use crate::AppState;

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Refreshes the session's tokens now.
pub async fn refresh(State(state): State<AppState>, session: Session, headers: HeaderMap) -> Response {
    if check_origin(&headers, state.ctx.config.app_origin.as_str()).is_err() {
        return error(StatusCode::FORBIDDEN, &AppError::Forbidden.to_string());
    }
    let Some(connection) = signed_in(&session).await else {
        return error(StatusCode::UNAUTHORIZED, &AppError::Unauthorized.to_string());
    };
    match state.ctx.tokens.force_refresh(&connection).await {
        Ok(expires_at) => Json(json!({ "refreshed": true, "expires_at": expires_at })).into_response(),
        Err(TokenError::ReconnectRequired | TokenError::UnknownConnection) => {
            state.metrics.token_error("invalid_grant");
            error(StatusCode::UNAUTHORIZED, &AppError::ReconnectRequired.to_string())
        }
        Err(e) => {
            tracing::warn!(error = %e, "refresh failed");
            state.metrics.token_error("refresh_failed");
            error(StatusCode::BAD_GATEWAY, "The platform could not refresh the sign-in. Try again.")
        }
    }
}

/// Signs out (a plain form post works without JavaScript).
pub async fn logout(State(state): State<AppState>, session: Session, headers: HeaderMap) -> Response {
    if check_origin(&headers, state.ctx.config.app_origin.as_str()).is_err() {
        return error(StatusCode::FORBIDDEN, &AppError::Forbidden.to_string());
    }
    auth::logout(&state.ctx, &session).await;
    if wants_json(&headers) {
        Json(json!({ "signed_out": true })).into_response()
    } else {
        Redirect::to("/connect").into_response()
    }
}
