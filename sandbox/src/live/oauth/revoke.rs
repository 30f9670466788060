//! `POST /api/oauth/revoke`: revokes the calling app's own token (access or refresh, not its
//! pair); always `200 {"status":"ok"}` once the client authenticated.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::error::Error;
use crate::live::oauth::client;
use crate::live::oauth::introspect::{HINTS, lookup_order};
use crate::live::validation::Fields;
use crate::state::AppState;

pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, Error> {
    let mut f = Fields::parse(&headers, &body);
    let token = f.string("token");
    let hint = f.opt_literal("token_type_hint", HINTS);
    let client_id = f.string("client_id");
    let client_secret = f.string("client_secret");
    f.finish_internal("POST", "/api/oauth/revoke")?;
    let app = client::authenticate(&state, &client_id, &client_secret)?;
    let mut db = state.db();
    for kind in lookup_order(hint.as_deref()) {
        if let Some(t) =
            db.live.tokens.iter_mut().find(|t| t.kind == kind && t.token == token && t.client_id == app.client_id)
        {
            t.revoked = true;
            break;
        }
    }
    Ok(Json(json!({"status": "ok"})))
}
