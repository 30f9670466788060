//! The live browser pages on their own origin (`platform.agpt.co` in production): login,
//! the consent page and the Integration Setup Wizard. Plain HTML forms and links, no
//! JavaScript; a session cookie of its own name; every form POST checks `Origin`.

pub mod authorize;
pub mod cards;
pub mod login;
pub mod providers;
pub mod wizard;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::routes::origin_header;
use crate::state::AppState;
use crate::state::model::User;

/// Distinct from the app's `agc_session` and the guide sandbox's `agpt_platform_session`:
/// browsers share cookies across the ports of one host.
pub const SESSION_COOKIE: &str = "agpt_live_session";

/// The live session id from the cookie.
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

/// The signed-in user of the pages origin.
pub fn session_user(state: &AppState, headers: &HeaderMap) -> Option<User> {
    let sid = session_id(headers)?;
    let db = state.db();
    let user_id = db.live.session_user_id(&sid)?;
    db.user(user_id).cloned()
}

/// `Set-Cookie` for the live session (Secure when the pages origin is https).
pub fn session_cookie(state: &AppState, value: &str, max_age: Option<u64>) -> String {
    let secure = if state.live_pages_url.starts_with("https://") { "; Secure" } else { "" };
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}")
}

/// Protected pages send anonymous visitors to `/login?next=<path and query>` (307, as the
/// platform's middleware redirects).
pub fn to_login(state: &AppState, path_and_query: &str) -> Response {
    let q = serde_urlencoded::to_string([("next", path_and_query)]).unwrap_or_default();
    let target = format!("{}/login?{q}", state.live_pages_url);
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response()
}

/// A 303 to `target` (after a form POST).
pub fn see_other(target: &str) -> Response {
    match HeaderValue::from_str(target) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => Error::page(StatusCode::BAD_REQUEST, "Invalid redirect target").into_response(),
    }
}

/// Form POSTs must come from a page of this origin (CSRF): a missing `Origin` is refused too,
/// since browsers always send it on POST.
pub fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), Error> {
    if origin_header(headers) == Some(state.live_pages_url.as_str()) {
        Ok(())
    } else {
        Err(Error::page(StatusCode::FORBIDDEN, "Cross-site request refused"))
    }
}
