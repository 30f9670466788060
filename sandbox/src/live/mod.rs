//! The live profile: the AutoGPT Platform as it ships (`platform-live-contract.md`), on two
//! origins of its own in the same process as the guide contract, sharing its users and
//! provider credentials.
//!
//! - backend origin ([`api_router`]): the OAuth provider at `/api/oauth/*` ([`oauth`]) and
//!   External API v2 at `/external-api/v2` ([`v2`]), plus `/healthz` and the admin API;
//! - pages origin ([`pages_router`]): `/login`, `/auth/authorize`, the setup wizard ([`pages`]).
//!
//! Runs execute on the shared scaled clock ([`engine`]); the library is a fixed catalog
//! ([`agents`]); switches for limits and open questions live in [`settings`].

pub mod admin;
pub mod agents;
pub mod engine;
pub mod model;
pub mod oauth;
pub mod pages;
pub mod redirect;
pub mod scopes;
pub mod seed;
pub mod settings;
pub mod time;
pub mod v2;
pub mod validation;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::error::{internal_failure_body, v2_envelope};
use crate::routes::{Listener, discovery, inject_faults};
use crate::state::AppState;

/// The backend origin.
pub fn api_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(discovery::healthz))
        .nest("/api/oauth", oauth::router())
        .nest(v2::PREFIX, v2::router(state.clone()))
        .layer(middleware::from_fn(shape_errors))
        .layer(middleware::from_fn_with_state((state.clone(), Listener::LiveApi), inject_faults))
        .nest("/__admin", crate::routes::admin::router(state.clone()))
        .with_state(state)
}

/// The pages origin.
pub fn pages_router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::login::index))
        .route("/healthz", get(discovery::healthz))
        .route("/login", get(pages::login::page).post(pages::login::submit))
        .route("/logout", get(pages::login::logout).post(pages::login::logout))
        .route("/auth/authorize", get(pages::authorize::show).post(pages::authorize::decide))
        .route("/auth/integrations/setup-wizard", get(pages::wizard::show).post(pages::wizard::submit))
        .layer(middleware::from_fn_with_state((state.clone(), Listener::LivePages), inject_faults))
        .with_state(state)
}

/// Give every error that axum produced itself (unknown path, wrong method, a rejected
/// extractor) the body the platform would send: the v2 envelope under `/external-api/v2`,
/// FastAPI's `{"detail"}` elsewhere.
async fn shape_errors(req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = if path.starts_with(v2::PREFIX) {
        let message =
            if status.is_server_error() { format!("Failed to process {method} {path}") } else { reason.into() };
        v2_envelope(status, &message, None)
    } else if status.is_server_error() {
        internal_failure_body(&method, &path, reason)
    } else {
        json!({ "detail": reason })
    };
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body.to_string()))
}

/// The fault body of the backend origin for `path`.
pub fn fault_response(method: &str, path: &str, status: StatusCode) -> Response {
    let body = if path.starts_with(v2::PREFIX) {
        let message = if status.is_server_error() {
            format!("Failed to process {method} {path}")
        } else {
            "Injected fault".into()
        };
        v2_envelope(status, &message, None)
    } else if status.is_server_error() {
        internal_failure_body(method, path, "Injected fault")
    } else {
        json!({"detail": "Injected fault"})
    };
    (status, axum::Json(body)).into_response()
}

/// The start-up summary (no secrets: the client secret is in the README).
pub fn summary(state: &AppState) -> String {
    let db = state.db();
    let mut out = format!(
        "AutoGPT sandbox live profile: API {} (OAuth /api/oauth, External API /external-api/v2), pages {}\n",
        state.live_api_url, state.live_pages_url
    );
    for app in &db.live.apps {
        out.push_str(&format!("  OAuth app {} ({}) redirect URIs {:?}\n", app.client_id, app.name, app.redirect_uris));
    }
    let ids: Vec<&str> = agents::all().iter().map(|a| a.id).collect();
    out.push_str(&format!("  library agents {ids:?}"));
    out
}
