//! The live profile's admin routes, nested at `/__admin/live` (same guards as the rest of the
//! admin API): switches, token expiry, app activation, rate-limit counters, runs and reviews.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::Error;
use crate::live::model::TokenKind;
use crate::live::settings;
use crate::routes::admin::parse;
use crate::state::{AppState, lock, now_ms};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(get_settings).post(update_settings))
        .route("/tokens/expire", post(expire_tokens))
        .route("/apps/{client_id}/active", post(set_app_active))
        .route("/rate-limits/reset", post(reset_rate_limits))
        .route("/runs", get(runs))
        .route("/reviews", get(reviews))
}

/// `GET /__admin/live/settings` → every live switch (see `live::settings::LiveSettings`).
async fn get_settings(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.live_settings()))
}

/// `POST /__admin/live/settings` with any subset of the switches → the new switches; unknown
/// names or wrong types → 400.
async fn update_settings(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, Error> {
    let patch: Value = parse(&body)?;
    let mut s = lock(&state.settings);
    let next = settings::patched(&s.live, &patch).map_err(Error::bad_request)?;
    s.live = next;
    Ok(Json(json!(s.live)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ExpireBody {
    token: Option<String>,
    email: Option<String>,
    user_id: Option<String>,
    /// `access` (default), `refresh` or `all`.
    kind: Option<String>,
}

/// `POST /__admin/live/tokens/expire` `{"email"?|"user_id"?|"token"?, "kind"?}` → `{"expired": n}`.
/// Without user or token every live token of that kind expires.
async fn expire_tokens(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, Error> {
    let b: ExpireBody = parse(&body)?;
    let mut db = state.db();
    let user_id = match (&b.user_id, &b.email) {
        (Some(u), _) => Some(u.clone()),
        (None, Some(email)) => Some(
            db.users
                .iter()
                .find(|u| u.email.eq_ignore_ascii_case(email))
                .map(|u| u.id.clone())
                .ok_or_else(|| Error::not_found("User not found"))?,
        ),
        _ => None,
    };
    let kind = b.kind.as_deref().unwrap_or("access");
    if !matches!(kind, "access" | "refresh" | "all") {
        return Err(Error::bad_request("kind must be access, refresh or all"));
    }
    let past = now_ms() - 1000;
    let mut n = 0;
    for t in db.live.tokens.iter_mut() {
        let kind_ok = match kind {
            "all" => true,
            "refresh" => t.kind == TokenKind::Refresh,
            _ => t.kind == TokenKind::Access,
        };
        if kind_ok
            && b.token.as_ref().is_none_or(|x| *x == t.token)
            && user_id.as_ref().is_none_or(|u| *u == t.user_id)
            && t.expires_at_ms > past
        {
            t.expires_at_ms = past;
            n += 1;
        }
    }
    Ok(Json(json!({"expired": n})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ActiveBody {
    active: bool,
}

/// `POST /__admin/live/apps/{client_id}/active` `{"active": bool}` → `{"client_id","active"}`.
/// A disabled app fails client authentication and its access tokens stop working.
async fn set_app_active(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Error> {
    let b: ActiveBody = parse(&body)?;
    let mut db = state.db();
    let app =
        db.live.apps.iter_mut().find(|a| a.client_id == client_id).ok_or_else(|| Error::not_found("App not found"))?;
    app.active = b.active;
    Ok(Json(json!({"client_id": client_id, "active": b.active})))
}

/// `POST /__admin/live/rate-limits/reset` → `{"cleared": n}`: every window starts afresh.
async fn reset_rate_limits(State(state): State<AppState>) -> Json<Value> {
    let mut counters = lock(&state.live_rate);
    let n = counters.len();
    counters.clear();
    Json(json!({"cleared": n}))
}

/// `GET /__admin/live/runs` → every run record (all users).
async fn runs(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.db().live.runs))
}

/// `GET /__admin/live/reviews` → every review record.
async fn reviews(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.db().live.reviews))
}
