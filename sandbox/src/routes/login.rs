//! Platform login and logout: the login page sets the HttpOnly session cookie and continues the
//! pending authorization or connect flow.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::error::Error;
use crate::html::{self, escape};
use crate::routes::{origin_header, safe_continue, session_cookie, session_id};
use crate::state::model::Session;
use crate::state::{AppState, random_token};

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default, rename = "continue")]
    pub continue_to: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default, rename = "continue")]
    pub continue_to: Option<String>,
}

fn login_form(state: &AppState, continue_to: &str, error: Option<&str>) -> String {
    let err = error.map(|e| format!("<p id=\"login-error\" class=\"error\">{}</p>", escape(e))).unwrap_or_default();
    format!(
        "<h1>Sign in to AutoGPT</h1>{err}\
<form id=\"login-form\" method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"continue\" value=\"{cont}\">\
<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<button id=\"login-submit\" type=\"submit\">Sign in</button></form>\
<p class=\"muted\">Demo users: alice@example.com / alice-password, bob@example.com / bob-password</p>",
        action = escape(&format!("{}/login", state.public_url)),
        cont = escape(continue_to),
    )
}

/// `GET /login?continue=/path`
pub async fn login_page(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    let cont = q.continue_to.as_deref().and_then(safe_continue).unwrap_or("/");
    html::response("Sign in", &login_form(&state, cont, None))
}

/// `POST /login`: check the password, start a session, continue.
pub async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, Error> {
    // Login CSRF: a browser always sends Origin on a form POST; only our own page may post here.
    if let Some(origin) = origin_header(&headers)
        && origin != state.origin()
    {
        return Err(Error::page(StatusCode::FORBIDDEN, "Cross-site login request refused"));
    }
    let cont = form.continue_to.as_deref().and_then(safe_continue).unwrap_or("/").to_owned();
    let user = {
        let db = state.db();
        db.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(form.email.trim()) && u.password == form.password)
            .cloned()
    };
    let Some(user) = user else {
        let body = login_form(&state, &cont, Some("Invalid email or password"));
        let mut resp = html::response("Sign in", &body);
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(resp);
    };
    let sid = random_token("sess_");
    state.db().sessions.push(Session { id: sid.clone(), user_id: user.id.clone() });
    tracing::info!(user = %user.email, "platform login");
    let target = format!("{}{}", state.public_url, cont);
    let mut resp = Redirect::to(&target).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &sid, None)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// `GET|POST /logout`: end the platform session.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(sid) = session_id(&headers) {
        state.db().sessions.retain(|s| s.id != sid);
    }
    let mut resp = Redirect::to(&format!("{}/login", state.public_url)).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, "", Some(0))) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}
