//! `/login?next=…` on the pages origin: email + password, a fresh `agpt_live_session`, then the
//! page the visitor came from (a same-origin path only). Also `/logout` and the index page.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use crate::error::Error;
use crate::html::{self, escape};
use crate::live::model::Session;
use crate::live::pages::{see_other, session_cookie, session_id, session_user};
use crate::routes::{origin_header, safe_continue};
use crate::state::{AppState, random_token};

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

fn form(state: &AppState, next: &str, error: Option<&str>) -> String {
    let err = error.map(|e| format!("<p id=\"login-error\" class=\"error\">{}</p>", escape(e))).unwrap_or_default();
    format!(
        "<section class=\"card\"><h1>Log in to AutoGPT</h1>{err}\
<form id=\"login-form\" method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"next\" value=\"{next}\">\
<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<button id=\"login-submit\" type=\"submit\">Log in</button></form></section>\
<p class=\"muted\">Demo users: alice@example.com / alice-password, bob@example.com / bob-password</p>",
        action = escape(&format!("{}/login", state.live_pages_url)),
        next = escape(next),
    )
}

/// `GET /login?next=/path`
pub async fn page(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    let next = q.next.as_deref().and_then(safe_continue).unwrap_or("/");
    html::response("Log in", &form(&state, next, None))
}

/// `POST /login`
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, Error> {
    // Login CSRF: a foreign page may not sign the visitor in (a missing Origin is a plain client).
    if let Some(origin) = origin_header(&headers)
        && origin != state.live_pages_url
    {
        return Err(Error::page(StatusCode::FORBIDDEN, "Cross-site login request refused"));
    }
    let next = f.next.as_deref().and_then(safe_continue).unwrap_or("/").to_owned();
    let user = {
        let db = state.db();
        db.users.iter().find(|u| u.email.eq_ignore_ascii_case(f.email.trim()) && u.password == f.password).cloned()
    };
    let Some(user) = user else {
        let mut resp = html::response("Log in", &form(&state, &next, Some("Invalid email or password")));
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(resp);
    };
    let sid = random_token("sess_");
    state.db().live.sessions.push(Session { id: sid.clone(), user_id: user.id.clone() });
    tracing::info!(user = %user.email, "live platform login");
    let mut resp = see_other(&format!("{}{next}", state.live_pages_url));
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &sid, None)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// `GET|POST /logout`
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(sid) = session_id(&headers) {
        state.db().live.sessions.retain(|s| s.id != sid);
    }
    let mut resp = see_other(&format!("{}/login", state.live_pages_url));
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, "", Some(0))) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /`: who is signed in.
pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = escape(&state.live_pages_url);
    let who = match session_user(&state, &headers) {
        Some(u) => format!(
            "<p id=\"signed-in-as\">Signed in as {}</p>\
<form method=\"post\" action=\"{base}/logout\"><button id=\"logout\" type=\"submit\">Log out</button></form>",
            escape(&u.email)
        ),
        None => format!("<p>Not signed in. <a id=\"login-link\" href=\"{base}/login\">Log in</a></p>"),
    };
    html::response("AutoGPT Platform", &format!("<h1>AutoGPT Platform (live sandbox)</h1>{who}"))
}
