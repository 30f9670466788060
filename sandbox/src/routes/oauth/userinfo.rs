//! `GET /oauth/userinfo`: the signed-in user behind a Bearer access token.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::error::Error;
use crate::routes::oauth::issue::authenticate;
use crate::state::AppState;

pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, Error> {
    let token = authenticate(&state, &headers)?;
    let user = state.db().user(&token.user_id).cloned().ok_or_else(|| Error::unauthorized("Unknown user"))?;
    Ok(Json(json!({
        "sub": user.id,
        "email": user.email,
        "email_verified": true,
        "name": user.name,
        "updated_at": user.updated_at,
    })))
}
