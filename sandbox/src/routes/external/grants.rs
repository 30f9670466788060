//! `/grants`: the integration grants a client holds for the token's user.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::error::Error;
use crate::routes::oauth::issue::{authenticate, require_scope};
use crate::state::model::Grant;
use crate::state::{AppState, now_iso};
use crate::webhooks;

fn summary(g: &Grant) -> Value {
    json!({
        "id": g.id,
        "provider": g.provider,
        "granted_scopes": g.scopes,
        "permissions": g.permissions,
        "created_at": g.created_at,
        "last_used_at": g.last_used_at,
        "expires_at": g.expires_at,
    })
}

/// `GET /grants/`: active grants of (user, client).
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, Error> {
    let token = authenticate(&state, &headers)?;
    require_scope(&token, "integrations:list")?;
    let db = state.db();
    let items: Vec<Value> = db
        .grants
        .iter()
        .filter(|g| g.user_id == token.user_id && g.client_id == token.client_id && g.revoked_at.is_none())
        .map(summary)
        .collect();
    Ok(Json(Value::Array(items)))
}

fn find(state: &AppState, user: &str, client: &str, id: &str) -> Result<Grant, Error> {
    state
        .db()
        .grants
        .iter()
        .find(|g| g.id == id && g.user_id == user && g.client_id == client)
        .cloned()
        .ok_or_else(|| Error::not_found("Grant not found"))
}

/// `GET /grants/{id}`: one grant, revoked ones included.
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    let token = authenticate(&state, &headers)?;
    require_scope(&token, "integrations:list")?;
    let g = find(&state, &token.user_id, &token.client_id, &id)?;
    let mut v = summary(&g);
    v["credential_id"] = json!(g.credential_id);
    v["revoked_at"] = json!(g.revoked_at);
    Ok(Json(v))
}

/// `DELETE /grants/{id}/credential`: deletes the credential behind an active grant; the grant
/// (and any other grant on that credential) is revoked and `grant.revoked` is sent.
pub async fn delete_credential(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    let token = authenticate(&state, &headers)?;
    require_scope(&token, "integrations:delete")?;
    let g = find(&state, &token.user_id, &token.client_id, &id)?;
    if g.revoked_at.is_some() {
        return Err(Error::forbidden("Grant has been revoked"));
    }
    if !g.permissions.iter().any(|p| p == "delete") {
        return Err(Error::forbidden("Grant does not allow deleting the credential"));
    }
    delete_credential_and_revoke(&state, &g.credential_id);
    Ok(Json(json!({"message": "Credential deleted"})))
}

/// Delete a credential, revoke every active grant on it and send `grant.revoked` for each;
/// returns how many grants were revoked.
pub fn delete_credential_and_revoke(state: &AppState, credential_id: &str) -> usize {
    let revoked: Vec<Grant> = {
        let mut db = state.db();
        db.credentials.retain(|c| c.id != credential_id);
        let now = now_iso();
        db.grants
            .iter_mut()
            .filter(|x| x.credential_id == credential_id && x.revoked_at.is_none())
            .map(|x| {
                x.revoked_at = Some(now.clone());
                x.clone()
            })
            .collect()
    };
    for r in &revoked {
        webhooks::emit_grant_revoked(state, r);
    }
    revoked.len()
}
