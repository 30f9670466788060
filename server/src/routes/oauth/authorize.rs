//! `GET /api/autogpt/authorize` (login flow: 303 to the platform) and
//! `POST /api/autogpt/authorize` (API-key flow, guide Step 4): JSON from the
//! page's script (`{"redirect":true,"url"}` or the consent HTML for its popup),
//! or a plain form post when JavaScript is off (B8: the consent page or a 303).
//!
//! Starting a sign-in stores nothing: the transaction goes into the browser's sealed
//! `agc_signin` cookie (issue 11 item 4). The API-key form must come from our own page
//! (issue 11 item 1: a cross-site post could otherwise sign the victim in as the attacker).

use autogpt::platform::Profile;
use autogpt::secret::ApiKey;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use backend::services::auth::{self, AuthError, AuthMode, SignInStarted, Started};
use backend::{Mutate, Visitor};
use serde::Deserialize;
use serde_json::json;

use super::transaction_cookie;
use crate::middleware::CspNonce;
use crate::routes::pages::popup_result_page;
use crate::{AppState, Error};

/// Query of the login flow.
#[derive(Deserialize)]
pub struct AuthorizeQuery {
    /// Where to land afterwards (validated, checklist 38).
    return_to: Option<String>,
}

/// Starts the browser login flow.
pub async fn start_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    let return_to = auth::safe_return_to(query.return_to.as_deref().or(Some("/connect")));
    let production = state.ctx.config.production;
    let cookie = transaction_cookie::read(&headers, production);
    match auth::start(&state.ctx, cookie.as_deref(), AuthMode::Window, &return_to, None).await {
        Ok(started) => answer(&state, started, |next| match next {
            Started::Redirect(url) => Redirect::to(url.as_str()).into_response(),
            Started::ConsentPage(html) => consent_page(&state, html),
        }),
        Err(e) => error_page(e),
    }
}

/// Body of the API-key flow, JSON (`{"apiKey"}`) or form (`apiKey=`).
#[derive(Deserialize)]
pub struct ApiKeyBody {
    #[serde(rename = "apiKey")]
    api_key: String,
    /// `popup` when the page's script posted this form into a popup (the callback then
    /// tells the opener); otherwise the flow runs in this window.
    #[serde(default)]
    mode: Option<String>,
}

/// Dispatches on the content type: the guide's JSON, or a no-JS form. Refused with 403
/// before anything else when the request is not from our own page.
pub async fn start_with_key(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    visitor: Visitor<Mutate>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::FromRequest;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if state.ctx.config.profile == Profile::Live {
        return live_key(&state, &visitor, nonce, json, request).await;
    }
    let cookie = transaction_cookie::read(&headers, state.ctx.config.production);
    if json {
        let Ok(Json(body)) = Json::<ApiKeyBody>::from_request(request, &()).await else {
            return Error::new(StatusCode::BAD_REQUEST, "Send {\"apiKey\": \"agpt_...\"}.").into_response();
        };
        match with_key(&state, cookie.as_deref(), body, AuthMode::Popup).await {
            Ok(started) => answer(&state, started, |next| match next {
                Started::Redirect(url) => Json(json!({ "redirect": true, "url": url.as_str() })).into_response(),
                Started::ConsentPage(html) => consent_page(&state, html),
            }),
            Err(e) => Error::from(e).into_response(),
        }
    } else {
        let Ok(Form(body)) = Form::<ApiKeyBody>::from_request(request, &()).await else {
            return Error::new(StatusCode::BAD_REQUEST, "Please enter your AutoGPT API key.")
                .page("API key missing")
                .into_response();
        };
        let mode = if body.mode.as_deref() == Some("popup") { AuthMode::Popup } else { AuthMode::Window };
        match with_key(&state, cookie.as_deref(), body, mode).await {
            Ok(started) => answer(&state, started, |next| match next {
                Started::Redirect(url) => Redirect::to(url.as_str()).into_response(),
                Started::ConsentPage(html) => consent_page(&state, html),
            }),
            Err(e) => error_page(e),
        }
    }
}

async fn with_key(
    state: &AppState,
    cookie: Option<&str>,
    body: ApiKeyBody,
    mode: AuthMode,
) -> Result<SignInStarted, AuthError> {
    let key = body.api_key.trim();
    if key.is_empty() {
        return Err(AuthError::Refused("Please enter your AutoGPT API key.".into()));
    }
    auth::start(&state.ctx, cookie, mode, "/connect", Some(ApiKey::new(key))).await
}

/// The live profile's API-key sign-in (L2): no consent page, the key is checked with
/// `GET /me` and this session signed in at once; the popup (or the window) is told as after a
/// callback.
async fn live_key(
    state: &AppState,
    visitor: &Visitor<Mutate>,
    nonce: CspNonce,
    json: bool,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::FromRequest;
    let body = if json {
        Json::<ApiKeyBody>::from_request(request, &()).await.map(|Json(b)| b).ok()
    } else {
        Form::<ApiKeyBody>::from_request(request, &()).await.map(|Form(b)| b).ok()
    };
    let Some(body) = body.filter(|b| !b.api_key.trim().is_empty()) else {
        return Error::new(StatusCode::BAD_REQUEST, "Please enter your AutoGPT API key.")
            .page("API key missing")
            .into_response();
    };
    let popup = json || body.mode.as_deref() == Some("popup");
    let css = state.settings.site.stylesheet();
    let origin = state.ctx.config.app_origin.as_str();
    match auth::sign_in_with_api_key(&state.ctx, visitor, ApiKey::new(body.api_key.trim())).await {
        Ok(()) if json => Json(json!({ "redirect": true, "url": "/connect?success=true" })).into_response(),
        Ok(()) if popup => {
            Html(popup_result_page(&css, nonce.as_str(), origin, true, "You are signed in.", "/connect?success=true"))
                .into_response()
        }
        Ok(()) => Redirect::to("/connect?success=true").into_response(),
        Err(e) if popup && !json => {
            let message = e.to_string();
            let next = format!(
                "/connect?{}",
                url::form_urlencoded::Serializer::new(String::new()).append_pair("error", &message).finish()
            );
            Html(popup_result_page(&css, nonce.as_str(), origin, false, &message, &next)).into_response()
        }
        Err(e) if json => Error::from(e).into_response(),
        Err(e) => error_page(e),
    }
}

/// The next step's response, carrying the transaction cookie.
fn answer(state: &AppState, started: SignInStarted, respond: impl FnOnce(Started) -> Response) -> Response {
    let mut response = respond(started.next);
    let (name, value) = transaction_cookie::set(Some(started.transaction_cookie), state.ctx.config.production);
    response.headers_mut().append(name, value);
    response
}

/// The platform's consent page, shown on our origin (the guide's API-key design). It is the
/// platform's HTML, so it gets a policy of its own (issue 11 item 8): a sandbox in which no
/// script runs, forms may be sent (to the platform, and on to our callback), and nothing is
/// loaded but its inline styles and data images.
fn consent_page(state: &AppState, html: String) -> Response {
    let platform = state.ctx.config.platform.origin();
    let csp = format!(
        "sandbox allow-forms allow-same-origin; default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
         form-action 'self' {platform}; frame-ancestors 'none'; base-uri 'none'"
    );
    let csp = HeaderValue::from_str(&csp).expect("a CSP built from a serialized origin is a valid header value");
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store")), (header::CONTENT_SECURITY_POLICY, csp)],
        Html(html),
    )
        .into_response()
}

fn error_page(e: AuthError) -> Response {
    Error::from(e).page("Sign-in failed").into_response()
}
