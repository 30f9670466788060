//! Client authentication with `client_id` + `client_secret` from the JSON body; it runs before
//! any grant check and fails with 401.

use axum::http::StatusCode;
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::live::model::OAuthApp;
use crate::state::AppState;

/// The active app these credentials name, or 401 with the platform's message.
pub fn authenticate(state: &AppState, client_id: &str, client_secret: &str) -> Result<OAuthApp, Error> {
    let db = state.db();
    let Some(app) = db.live.app(client_id) else {
        return Err(Error::detail(StatusCode::UNAUTHORIZED, "Invalid client_id"));
    };
    if !app.active {
        return Err(Error::detail(StatusCode::UNAUTHORIZED, "Application is not active"));
    }
    if !bool::from(app.client_secret.as_bytes().ct_eq(client_secret.as_bytes())) {
        return Err(Error::detail(StatusCode::UNAUTHORIZED, "Invalid client_secret"));
    }
    Ok(app.clone())
}
