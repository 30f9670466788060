//! The guide contract's router, plus what several routes share: the platform session cookie,
//! Origin checks and the fault-injection layer driven by the admin API (on all three listeners).

pub mod admin;
pub mod connect;
pub mod connect_pages;
pub mod discovery;
pub mod external;
pub mod login;
pub mod oauth;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::state::model::User;
use crate::state::{AppState, lock};

/// Distinct from the app's cookie: browsers share cookies across ports of one host.
pub const SESSION_COOKIE: &str = "agpt_platform_session";

pub fn router(state: AppState) -> Router {
    let external = external::router();
    let documented_api = external.clone().layer(middleware::from_fn_with_state(state.clone(), documented_api_gate));
    Router::new()
        .route("/", get(discovery::index))
        .route("/.well-known/openid-configuration", get(discovery::openid_configuration))
        .route("/healthz", get(discovery::healthz))
        .route("/login", get(login::login_page).post(login::login_submit))
        .route("/logout", get(login::logout).post(login::logout))
        .route("/oauth/authorize", get(oauth::authorize::authorize))
        .route("/oauth/consent", post(oauth::consent::decide))
        .route("/oauth/token", post(oauth::token::token))
        .route("/oauth/revoke", post(oauth::revoke::revoke))
        .route("/oauth/userinfo", get(oauth::userinfo::userinfo).post(oauth::userinfo::userinfo))
        .route("/connect/{provider}", get(connect::connect_page))
        .route("/connect/{provider}/decision", post(connect::decide))
        .route(
            "/connect/{provider}/provider-consent",
            get(connect::provider_consent_page).post(connect::provider_consent_submit),
        )
        .nest("/api/external/v1", documented_api)
        .nest("/external-api/v1", external)
        .layer(middleware::from_fn_with_state((state.clone(), Listener::Guide), inject_faults))
        .nest("/__admin", admin::router(state.clone()))
        .with_state(state)
}

/// The documented External API path disappears in the `platform_api_path_only` quirk.
async fn documented_api_gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.quirks().platform_api_path_only {
        return (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"detail": "Not Found"}))).into_response();
    }
    next.run(req).await
}

/// The three listeners, as fault injection (`origin` of a fault) names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Guide,
    LiveApi,
    LivePages,
}

impl Listener {
    pub fn name(self) -> &'static str {
        match self {
            Listener::Guide => "guide",
            Listener::LiveApi => "live_api",
            Listener::LivePages => "live_pages",
        }
    }
}

/// `*` matches any run of characters (including `/`); everything else literally.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == path;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !path.starts_with(first) || path.len() < first.len() + last.len() || !path.ends_with(last) {
        return false;
    }
    let mut rest = &path[first.len()..path.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Apply the first matching admin-injected fault: delay, status, or a dropped connection.
pub async fn inject_faults(
    State((state, listener)): State<(AppState, Listener)>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let method = req.method().as_str().to_owned();
    let fault = {
        let mut faults = lock(&state.faults);
        let found = faults.iter_mut().find(|f| {
            (f.until_cleared || f.remaining > 0)
                && f.origin.as_deref().is_none_or(|o| o == listener.name())
                && f.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(&method))
                && glob_matches(&f.route, &path)
        });
        let fault = found.map(|f| {
            if !f.until_cleared {
                f.remaining -= 1;
            }
            f.clone()
        });
        faults.retain(|f| f.until_cleared || f.remaining > 0);
        fault
    };
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    tracing::info!(route = %fault.route, listener = listener.name(), "injecting fault");
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if fault.drop {
        // A body that fails at once makes hyper abort the connection mid-response.
        let stream = futures::stream::once(async {
            Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("fault: dropped"))
        });
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_LENGTH, "100")
            .body(Body::from_stream(stream))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    if let Some(code) = fault.status {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return match listener {
            Listener::Guide => (status, axum::Json(serde_json::json!({"detail": "Injected fault"}))).into_response(),
            Listener::LiveApi => crate::live::fault_response(&method, &path, status),
            Listener::LivePages => {
                let mut resp = crate::error::Error::page(status, "Injected fault").into_response();
                *resp.status_mut() = status;
                resp
            }
        };
    }
    next.run(req).await
}

/// The session id from the platform cookie, if any.
pub fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// The logged-in platform user and their session id.
pub fn session_user(state: &AppState, headers: &HeaderMap) -> Option<(String, User)> {
    let sid = session_id(headers)?;
    let user = state.db().session_user(&sid).cloned()?;
    Some((sid, user))
}

/// The `Origin` header, if present and readable.
pub fn origin_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// `Set-Cookie` for the platform session (Secure when the public URL is https).
pub fn session_cookie(state: &AppState, value: &str, max_age: Option<u64>) -> String {
    let secure = if state.public_url.starts_with("https://") { "; Secure" } else { "" };
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}")
}

/// Only same-origin relative paths may be continued after login (no open redirect).
pub fn safe_continue(path: &str) -> Option<&str> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control());
    ok.then_some(path)
}

/// Absolute URL of the login page that continues `continue_path`.
pub fn login_url(state: &AppState, continue_path: &str) -> String {
    let q = serde_urlencoded::to_string([("continue", continue_path)]).unwrap_or_default();
    format!("{}/login?{q}", state.public_url)
}
