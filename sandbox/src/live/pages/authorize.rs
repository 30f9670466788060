//! `/auth/authorize`: the consent page, in the order of the contract's §2.3 — login first
//! (`next` keeps the URL), then missing parameters, the app and its redirect URI (error cards,
//! never a redirect), the requested scopes ("Invalid Scopes" with a Deny redirect), then the
//! consent card. Nothing is remembered: every visit shows the card. Authorize does what the real
//! page's `POST /api/oauth/authorize` call does; Deny redirects as the page builds it.

use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::error::Error;
use crate::html::{self, escape};
use crate::live::model::OAuthApp;
use crate::live::oauth::authorize::{AppLookupError, AuthorizeRequest, authorize_for, lookup_app};
use crate::live::pages::cards::{CardKind, error_card, hidden_fields, title_case};
use crate::live::pages::{check_origin, see_other, session_user, to_login};
use crate::live::settings::ConsentMode;
use crate::live::{redirect, scopes};
use crate::routes::oauth::authorize::{param, params};
use crate::state::AppState;
use crate::state::model::User;

/// The page's query (or the consent form's fields).
#[derive(Debug, Clone, Default)]
struct Request {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
    response_type: String,
}

const REQUIRED: [&str; 5] = ["client_id", "redirect_uri", "scope", "state", "code_challenge"];

impl Request {
    fn from_pairs(p: &[(String, String)]) -> Self {
        let get = |k: &str| param(p, k).unwrap_or_default().to_owned();
        let or = |k: &str, d: &str| param(p, k).filter(|v| !v.is_empty()).unwrap_or(d).to_owned();
        Request {
            client_id: get("client_id"),
            redirect_uri: get("redirect_uri"),
            scope: get("scope"),
            state: get("state"),
            code_challenge: get("code_challenge"),
            code_challenge_method: or("code_challenge_method", "S256"),
            response_type: or("response_type", "code"),
        }
    }
    fn missing(&self) -> Vec<&'static str> {
        let values = [&self.client_id, &self.redirect_uri, &self.scope, &self.state, &self.code_challenge];
        REQUIRED.iter().zip(values).filter(|(_, v)| v.is_empty()).map(|(k, _)| *k).collect()
    }
    fn hidden(&self) -> String {
        hidden_fields(&[
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("response_type", &self.response_type),
        ])
    }
    fn page_url(&self) -> String {
        let q = serde_urlencoded::to_string([
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("response_type", &self.response_type),
        ])
        .unwrap_or_default();
        format!("/auth/authorize?{q}")
    }
}

fn missing_card(missing: &[&str]) -> Response {
    let items: String = missing.iter().map(|m| format!("<li>{m}</li>")).collect();
    error_card(
        StatusCode::BAD_REQUEST,
        CardKind::InvalidRequest,
        "The authorization link is missing required parameters.",
        &format!("<ul id=\"missing-params\">{items}</ul>"),
    )
}

/// Steps 3–4: the app and its redirect URI; an error card otherwise (no redirect).
fn checked_app(state: &AppState, req: &Request) -> Result<OAuthApp, Box<Response>> {
    match lookup_app(state, &req.client_id, Some(&req.redirect_uri)) {
        Ok(app) if app.redirect_uris.contains(&req.redirect_uri) => Ok(app),
        // Only variant B gets here: the page compares the URIs itself.
        Ok(_) => Err(Box::new(error_card(
            StatusCode::BAD_REQUEST,
            CardKind::InvalidRequest,
            "This link sends you back to an address the application has not registered.",
            "",
        ))),
        Err(AppLookupError::NotFound) => Err(Box::new(error_card(
            StatusCode::NOT_FOUND,
            CardKind::AppNotFound,
            "The application you are trying to authorize does not exist or is no longer active.",
            "",
        ))),
        Err(AppLookupError::UnregisteredRedirect) => Err(Box::new(error_card(
            StatusCode::BAD_REQUEST,
            CardKind::InvalidRequest,
            "redirect_uri is not registered for this application",
            "",
        ))),
    }
}

fn action(state: &AppState) -> String {
    escape(&format!("{}/auth/authorize", state.live_pages_url))
}

fn consent_card(state: &AppState, app: &OAuthApp, user: &User, req: &Request, error: Option<&str>) -> Response {
    let lines: String = scopes::split(&req.scope)
        .iter()
        .map(|s| {
            format!(
                "<li data-scope=\"{s}\"><strong>{title}</strong>: {text}</li>",
                s = escape(s),
                title = escape(&title_case(s)),
                text = escape(scopes::describe(s)),
            )
        })
        .collect();
    let description = app
        .description
        .as_deref()
        .map(|d| format!("<p id=\"authorize-app-description\" class=\"muted\">{}</p>", escape(d)))
        .unwrap_or_default();
    let error_html =
        error.map(|e| format!("<p id=\"authorize-error\" class=\"error\">{}</p>", escape(e))).unwrap_or_default();
    let body = format!(
        "<section id=\"authorize-card\" class=\"card\">\
<h1 id=\"authorize-title\">Authorize <span id=\"authorize-app-name\">{name}</span></h1>{description}\
<p id=\"authorize-user\">Signed in as {email}</p>\
<p><strong>{name}</strong> is requesting permission to:</p><ul id=\"authorize-scopes\">{lines}</ul>{error_html}\
<form id=\"authorize-form\" method=\"post\" action=\"{action}\">{hidden}\
<button id=\"authorize-approve\" type=\"submit\" name=\"decision\" value=\"authorize\">Authorize</button>\
<button id=\"authorize-deny\" class=\"secondary\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
</form><p class=\"muted\">You are sent back to the application either way.</p></section>",
        name = escape(&app.name),
        email = escape(&user.email),
        action = action(state),
        hidden = req.hidden(),
    );
    let mut resp = html::response("Authorize", &body);
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}

/// Authorize: the backend's decision, then the redirect it returns (or the card with its error).
fn approve(state: &AppState, app: &OAuthApp, user: &User, req: &Request) -> Response {
    if !matches!(req.code_challenge_method.as_str(), "S256" | "plain") {
        return consent_card(state, app, user, req, Some("code_challenge_method must be 'S256' or 'plain'"));
    }
    let call = AuthorizeRequest {
        client_id: req.client_id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        scopes: scopes::split(&req.scope),
        state: req.state.clone(),
        response_type: req.response_type.clone(),
        code_challenge: req.code_challenge.clone(),
        code_challenge_method: req.code_challenge_method.clone(),
    };
    match authorize_for(state, &user.id, &call) {
        Ok(url) => see_other(&url),
        Err(Error::Detail { detail, .. }) => consent_card(state, app, user, req, Some(&detail)),
        Err(_) => consent_card(state, app, user, req, Some("An unexpected error occurred")),
    }
}

/// `GET /auth/authorize?client_id&redirect_uri&scope&state&code_challenge[&code_challenge_method&response_type]`
pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let Some(user) = session_user(&state, &headers) else {
        let path = match raw.as_deref() {
            Some(q) => format!("/auth/authorize?{q}"),
            None => "/auth/authorize".to_owned(),
        };
        return to_login(&state, &path);
    };
    let req = Request::from_pairs(&params(raw.as_deref()));
    let missing = req.missing();
    if !missing.is_empty() {
        return missing_card(&missing);
    }
    let app = match checked_app(&state, &req) {
        Ok(app) => app,
        Err(card) => return *card,
    };
    let not_allowed: Vec<String> = scopes::split(&req.scope).into_iter().filter(|s| !app.scopes.contains(s)).collect();
    if !not_allowed.is_empty() {
        let items: String = not_allowed.iter().map(|s| format!("<li>{}</li>", escape(s))).collect();
        let extra = format!(
            "<ul id=\"invalid-scopes\">{items}</ul><form method=\"post\" action=\"{action}\">{hidden}\
<button id=\"return-to-application\" type=\"submit\" name=\"decision\" value=\"deny\">Return to Application</button></form>",
            action = action(&state),
            hidden = req.hidden(),
        );
        return error_card(
            StatusCode::BAD_REQUEST,
            CardKind::InvalidScopes,
            "The application requested permissions that are not valid or not allowed for it.",
            &extra,
        );
    }
    match state.live_settings().consent_mode {
        ConsentMode::Interactive => consent_card(&state, &app, &user, &req, None),
        ConsentMode::AutoApprove => approve(&state, &app, &user, &req),
        ConsentMode::AutoDeny => see_other(&redirect::denied(&req.redirect_uri, &req.state)),
    }
}

/// `POST /auth/authorize` (the card's form): `decision=authorize|deny`.
pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    check_origin(&state, &headers)?;
    let req = Request::from_pairs(&form);
    let Some(user) = session_user(&state, &headers) else {
        let q = serde_urlencoded::to_string([("next", req.page_url())]).unwrap_or_default();
        return Ok(see_other(&format!("{}/login?{q}", state.live_pages_url)));
    };
    let missing = req.missing();
    if !missing.is_empty() {
        return Ok(missing_card(&missing));
    }
    let app = match checked_app(&state, &req) {
        Ok(app) => app,
        Err(card) => return Ok(*card),
    };
    Ok(match param(&form, "decision") {
        Some("authorize") => approve(&state, &app, &user, &req),
        Some("deny") => see_other(&redirect::denied(&req.redirect_uri, &req.state)),
        _ => consent_card(&state, &app, &user, &req, Some("Choose Authorize or Deny")),
    })
}
