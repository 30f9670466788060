//! `POST /oauth/revoke` (RFC 7009): revokes the given access or refresh token; always 200.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;

use crate::routes::oauth::authorize::param;
use crate::state::AppState;

pub async fn revoke(State(state): State<AppState>, body: Bytes) -> StatusCode {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if let Some(token) = param(&form, "token").filter(|t| !t.is_empty()) {
        let client_id = param(&form, "client_id");
        let mut db = state.db();
        for t in db.tokens.iter_mut().filter(|t| t.token == token) {
            // A client may only revoke its own tokens; when it names itself, check it.
            if client_id.is_none_or(|c| c == t.client_id) {
                t.revoked = true;
            }
        }
    }
    StatusCode::OK
}
