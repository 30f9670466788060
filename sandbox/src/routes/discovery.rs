//! OpenID discovery document, health check and the index page.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use crate::html;
use crate::routes::{oauth::scopes::OAUTH_SCOPES, session_user};
use crate::state::AppState;

/// `GET /.well-known/openid-configuration`: also the readiness probe.
pub async fn openid_configuration(State(state): State<AppState>) -> Json<Value> {
    let base = &state.public_url;
    let iss = state.quirks().iss_parameter;
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "userinfo_endpoint": format!("{base}/oauth/userinfo"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post", "none"],
        "scopes_supported": OAUTH_SCOPES,
        "subject_types_supported": ["public"],
        "authorization_response_iss_parameter_supported": iss,
    }))
}

/// `GET /healthz`
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /`: who is signed in, for humans.
pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let who = match session_user(&state, &headers) {
        Some((_, u)) => format!(
            "<p id=\"signed-in-as\">Signed in as {}</p>\
<form method=\"post\" action=\"{}/logout\"><button id=\"logout\" type=\"submit\">Sign out</button></form>",
            html::escape(&u.email),
            html::escape(&state.public_url)
        ),
        None => format!(
            "<p>Not signed in. <a id=\"login-link\" href=\"{}/login\">Sign in</a></p>",
            html::escape(&state.public_url)
        ),
    };
    html::response("AutoGPT sandbox", &format!("<h1>AutoGPT sandbox</h1>{who}"))
}
