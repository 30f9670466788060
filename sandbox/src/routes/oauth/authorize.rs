//! `GET /oauth/authorize`: validation in the documented order, identity (API key, then session),
//! remembered consent, or the consent page.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::Error;
use crate::html::{self, escape};
use crate::routes::oauth::scopes::{is_oauth_scope, parse_space};
use crate::routes::{login_url, session_user};
use crate::state::model::{AuthCode, ConsentRequest, User};
use crate::state::{AppState, Db, now_ms, random_token, random_uuid};

const CODE_TTL_MS: i64 = 10 * 60 * 1000;
pub const CONSENT_TTL_MS: i64 = 10 * 60 * 1000;

/// Parse a query string leniently: a malformed one yields no parameters (never a panic).
pub fn params(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()).unwrap_or_default()
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// 302 to `redirect_uri` with extra query parameters (and `iss` when the quirk is on).
pub fn redirect_with(state: &AppState, redirect_uri: &str, extra: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return Error::page(StatusCode::BAD_REQUEST, "Invalid redirect URI").into_response();
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in extra {
            q.append_pair(k, v);
        }
        if state.quirks().iss_parameter {
            q.append_pair("iss", &state.public_url);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

/// A redirect carrying an OAuth error (and `state` when the request had one).
pub fn redirect_error(
    state: &AppState,
    redirect_uri: &str,
    error: &str,
    description: &str,
    st: Option<&str>,
) -> Response {
    let mut extra = vec![("error", error), ("error_description", description)];
    if let Some(s) = st {
        extra.push(("state", s));
    }
    redirect_with(state, redirect_uri, &extra)
}

/// Store a new single-use code (10 minutes) and return it.
pub fn issue_code(db: &mut Db, req: &ConsentRequest) -> String {
    let code = random_token("agpt_code_");
    db.codes.push(AuthCode {
        code: code.clone(),
        client_id: req.client_id.clone(),
        user_id: req.user_id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        scopes: req.scopes.clone(),
        code_challenge: req.code_challenge.clone(),
        expires_at_ms: now_ms() + CODE_TTL_MS,
        used: false,
        family: random_uuid(),
        verifier_presented: None,
    });
    code
}

/// 302 with a fresh code and the request's state.
pub fn redirect_code(state: &AppState, req: &ConsentRequest) -> Response {
    let code = issue_code(&mut state.db(), req);
    let mut extra = vec![("code", code.as_str())];
    if let Some(s) = req.state.as_deref() {
        extra.push(("state", s));
    }
    redirect_with(state, &req.redirect_uri, &extra)
}

/// `GET /oauth/authorize`
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, Error> {
    let p = params(raw.as_deref());
    let client_id = param(&p, "client_id").unwrap_or_default();
    let client = state
        .db()
        .client(client_id)
        .filter(|c| c.active)
        .cloned()
        .ok_or_else(|| Error::page(StatusCode::BAD_REQUEST, "Unknown or inactive client"))?;
    let redirect_uri = param(&p, "redirect_uri").unwrap_or_default().to_owned();
    if !client.redirect_uris.contains(&redirect_uri) {
        return Err(Error::page(StatusCode::BAD_REQUEST, "The redirect URI is not registered for this client"));
    }
    let st = param(&p, "state");
    let fail = |e: &str, d: &str| Ok(redirect_error(&state, &redirect_uri, e, d, st));
    if param(&p, "response_type") != Some("code") {
        return fail("unsupported_response_type", "Only response_type=code is supported");
    }
    let Some(challenge) = param(&p, "code_challenge").filter(|c| !c.is_empty()) else {
        return fail("invalid_request", "code_challenge is required");
    };
    // BASE64URL(SHA-256) is exactly 43 characters of the URL-safe alphabet.
    let well_formed =
        challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return fail("invalid_request", "code_challenge must be BASE64URL(SHA-256(verifier))");
    }
    if param(&p, "code_challenge_method") != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    let scopes = parse_space(param(&p, "scope").unwrap_or_default());
    if scopes.is_empty() {
        return fail("invalid_scope", "No scope requested");
    }
    if let Some(bad) = scopes.iter().find(|s| !is_oauth_scope(s)) {
        return fail("invalid_scope", &format!("Unknown scope: {bad}"));
    }

    // Identity: API key first, then the platform session.
    let api_user = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .and_then(|key| state.db().users.iter().find(|u| u.api_key == key).cloned());
    let (user, session_id): (User, Option<String>) = match api_user {
        Some(u) => (u, None),
        None => match session_user(&state, &headers) {
            Some((sid, u)) => (u, Some(sid)),
            None => {
                let cont = format!("/oauth/authorize?{}", raw.unwrap_or_default());
                return Ok(needs_login(&state, &cont));
            }
        },
    };

    let req = ConsentRequest {
        token: random_token("consent_"),
        user_id: user.id.clone(),
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.clone(),
        scopes,
        state: st.map(str::to_owned),
        code_challenge: challenge.to_owned(),
        session_id,
        expires_at_ms: now_ms() + CONSENT_TTL_MS,
    };
    let remembered = state
        .db()
        .consents
        .iter()
        .find(|c| c.user_id == user.id && c.client_id == client.id)
        .is_some_and(|c| req.scopes.iter().all(|s| c.scopes.contains(s)));
    if remembered {
        return Ok(redirect_code(&state, &req));
    }
    let body = consent_body(&state, &client.name, &user.email, &req);
    {
        let mut db = state.db();
        let now = now_ms();
        db.consent_requests.retain(|c| c.expires_at_ms > now);
        db.consent_requests.push(req);
    }
    Ok(html::response("Authorize", &body))
}

/// "Needs login": 302 to the login page, or (quirk) 200 with a meta refresh.
fn needs_login(state: &AppState, continue_path: &str) -> Response {
    let target = login_url(state, continue_path);
    if state.quirks().login_meta_refresh {
        let t = escape(&target);
        return Html(format!(
            "<!doctype html><html><head><meta http-equiv=\"refresh\" content=\"0;url={t}\"></head>\
<body><a href=\"{t}\">Continue to login</a></body></html>"
        ))
        .into_response();
    }
    (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
}

fn scope_text(scope: &str) -> &'static str {
    match scope {
        "openid" => "Confirm your identity",
        "profile" => "See your name",
        "email" => "See your email address",
        "agents:execute" => "Run agents on your behalf",
        "integrations:list" => "See which integrations you granted",
        "integrations:connect" => "Ask you to connect integrations",
        "integrations:delete" => "Delete integration credentials you granted",
        _ => "",
    }
}

/// The consent page: absolute URLs only, since in the API-key flow it is written into a popup on
/// the client's origin.
fn consent_body(state: &AppState, client_name: &str, email: &str, req: &ConsentRequest) -> String {
    let items: String =
        req.scopes.iter().map(|s| format!("<li><code>{}</code> {}</li>", escape(s), escape(scope_text(s)))).collect();
    format!(
        "<h1>Authorize {client}</h1>\
<p id=\"consent-user\">Signed in as {email}</p>\
<p><strong id=\"consent-client\">{client}</strong> wants to:</p><ul id=\"consent-scopes\">{items}</ul>\
<form id=\"consent-form\" method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"consent_token\" value=\"{token}\">\
<button id=\"consent-approve\" type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\
<button id=\"consent-deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
</form>",
        client = escape(client_name),
        email = escape(email),
        action = escape(&format!("{}/oauth/consent", state.public_url)),
        token = escape(&req.token),
    )
}
