//! `GET /api/autogpt/authorize` (login flow: 303 to the platform) and
//! `POST /api/autogpt/authorize` (API-key flow, guide Step 4): JSON from the
//! page's script (`{"redirect":true,"url"}` or the consent HTML for its popup),
//! or a plain form post when JavaScript is off (B8: the consent page or a 303).

use autogpt::secret::ApiKey;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use backend::services::auth::{self, AuthError, Started};
use backend::storage::AuthMode;
use backend::{Access, Visitor};
use serde::Deserialize;
use serde_json::json;

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
    visitor: Visitor,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    let return_to = auth::safe_return_to(query.return_to.as_deref().or(Some("/connect")));
    match auth::start(&state.ctx, &visitor, AuthMode::Window, &return_to, None).await {
        Ok(Started::Redirect(url)) => Redirect::to(url.as_str()).into_response(),
        Ok(Started::ConsentPage(html)) => consent_page(html),
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

/// API-key flow from the page's script: JSON in, JSON or consent HTML out.
async fn start_with_key_json(state: &AppState, visitor: &Visitor<impl Access>, body: ApiKeyBody) -> Response {
    match with_key(state, visitor, body, AuthMode::Popup).await {
        Ok(Started::Redirect(url)) => Json(json!({ "redirect": true, "url": url.as_str() })).into_response(),
        Ok(Started::ConsentPage(html)) => consent_page(html),
        Err(e) => Error::from(e).into_response(),
    }
}

/// API-key flow without JavaScript: a plain form post, answered in the window.
async fn start_with_key_form(state: &AppState, visitor: &Visitor<impl Access>, body: ApiKeyBody) -> Response {
    let mode = if body.mode.as_deref() == Some("popup") { AuthMode::Popup } else { AuthMode::Window };
    match with_key(state, visitor, body, mode).await {
        Ok(Started::Redirect(url)) => Redirect::to(url.as_str()).into_response(),
        Ok(Started::ConsentPage(html)) => consent_page(html),
        Err(e) => error_page(e),
    }
}

/// Dispatches on the content type: the guide's JSON, or a no-JS form.
pub async fn start_with_key(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::FromRequest;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        match Json::<ApiKeyBody>::from_request(request, &()).await {
            Ok(Json(body)) => start_with_key_json(&state, &visitor, body).await,
            Err(_) => Error::new(StatusCode::BAD_REQUEST, "Send {\"apiKey\": \"agpt_...\"}.").into_response(),
        }
    } else {
        match Form::<ApiKeyBody>::from_request(request, &()).await {
            Ok(Form(body)) => start_with_key_form(&state, &visitor, body).await,
            Err(_) => Error::new(StatusCode::BAD_REQUEST, "Please enter your AutoGPT API key.")
                .page("API key missing")
                .into_response(),
        }
    }
}

async fn with_key(
    state: &AppState,
    visitor: &Visitor<impl Access>,
    body: ApiKeyBody,
    mode: AuthMode,
) -> Result<Started, AuthError> {
    let key = body.api_key.trim();
    if key.is_empty() {
        return Err(AuthError::Refused("Please enter your AutoGPT API key.".into()));
    }
    auth::start(&state.ctx, visitor, mode, "/connect", Some(ApiKey::new(key))).await
}

/// The platform's consent page, shown on our origin. Its form posts to the platform, so
/// the CSP of this one response also allows that form action (set by the headers layer).
fn consent_page(html: String) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

fn error_page(e: AuthError) -> Response {
    Error::from(e).page("Sign-in failed").into_response()
}
