//! `GET /api/autogpt/callback` (G10): checks `state`, exchanges the code, stores
//! the tokens server-side and lands on `/connect?success=true` — or, when the
//! sign-in ran in a popup, tells the opener and closes.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use backend::Visitor;
use backend::services::auth::{self, AuthError, AuthMode};

use super::super::pages::popup_result_page;
use super::transaction_cookie;
use crate::middleware::CspNonce;
use crate::{AppState, Error};

/// Finishes a sign-in: the transaction comes out of this browser's cookie (and the cookie
/// is cleared, or keeps the browser's other pending sign-ins).
pub async fn callback(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    visitor: Visitor,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let origin = state.ctx.config.app_origin.as_str();
    let css = state.settings.site.stylesheet();
    let production = state.ctx.config.production;
    let cookie = transaction_cookie::read(&headers, production);
    let (finished, remaining) =
        auth::finish(&state.ctx, &visitor, query.as_deref().unwrap_or(""), cookie.as_deref()).await;
    let popup_page = |ok: bool, message: &str, next: &str| {
        Html(popup_result_page(&css, nonce.as_str(), origin, ok, message, next)).into_response()
    };
    let response = match finished {
        Ok(done) => {
            let next = with_param(&done.return_to, "success", "true");
            match done.mode {
                AuthMode::Window => Redirect::to(&next).into_response(),
                AuthMode::Popup => popup_page(true, "You are signed in.", &next),
            }
        }
        Err(failure) => {
            let message = failure.error.to_string();
            match (&failure.error, failure.mode) {
                // Checklist 20, 21: a bad state is a 400 and nothing was exchanged.
                (AuthError::BadState | AuthError::BadCallback, _) => {
                    Error::from(failure.error).page("Sign-in failed").into_response()
                }
                (_, Some(AuthMode::Popup)) => {
                    let next = with_param("/connect", "error", &message);
                    popup_page(false, &message, &next)
                }
                _ => Redirect::to(&with_param("/connect", "error", &message)).into_response(),
            }
        }
    };
    let mut response =
        ([(header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "no-referrer")], response).into_response();
    // Only when this browser had a transaction cookie: a request without one learns nothing.
    if cookie.is_some() {
        let (name, value) = transaction_cookie::set(remaining, production);
        response.headers_mut().append(name, value);
    }
    response
}

/// Appends `key=value` (form-encoded) to a relative path.
fn with_param(path: &str, key: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    let pair: String = url::form_urlencoded::Serializer::new(String::new()).append_pair(key, value).finish();
    format!("{path}{sep}{pair}")
}

#[cfg(test)]
mod tests {
    use super::with_param;

    #[test]
    fn params_are_encoded() {
        assert_eq!(with_param("/connect", "error", "a b&c"), "/connect?error=a+b%26c");
        assert_eq!(with_param("/agents?x=1", "success", "true"), "/agents?x=1&success=true");
    }
}
