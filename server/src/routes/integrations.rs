//! The live profile's setup-wizard return (L3): `GET /api/autogpt/integrations/callback`
//! answers the popup (or the window) with the result page, and `POST
//! /api/autogpt/integrations/record` records a result when there was no opener to do it.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use backend::services::connect::{self, WizardOutcome};
use backend::{Caller, Mutate};
use serde::Deserialize;
use serde_json::json;

use crate::middleware::CspNonce;
use crate::routes::pages::connect_result_page;
use crate::{AppState, Error};

/// Where the wizard returns: checks `state`, finds the credential, tells the opener.
pub async fn callback(
    State(state): State<AppState>,
    Extension(csp): Extension<CspNonce>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Response {
    let css = state.settings.site.stylesheet();
    let origin = state.ctx.config.app_origin.as_str();
    let page = match connect::wizard_callback(&state.ctx, &caller, query.as_deref().unwrap_or("")).await {
        Ok(WizardOutcome::Connected { nonce, provider, credential_id }) => {
            let message = json!({
                "type": autogpt::connect::CONNECT_MESSAGE_TYPE,
                "success": true,
                "nonce": nonce,
                "grant_id": credential_id,
                "provider": provider.as_str(),
            });
            connect_result_page(&css, csp.as_str(), origin, &message, &format!("{provider} is connected."))
        }
        Ok(WizardOutcome::Failed { nonce, error, description }) => {
            let message = json!({
                "type": autogpt::connect::CONNECT_MESSAGE_TYPE,
                "success": false,
                "nonce": nonce,
                "error": error,
                "error_description": description,
            });
            connect_result_page(&css, csp.as_str(), origin, &message, &description)
        }
        Err(e) => return Error::from(e).page("Not connected").into_response(),
    };
    // No `Referrer-Policy: no-referrer` here: under it Chromium posts the page's record form
    // with `Origin: null`, which the same-origin rule refuses (the default policy sends other
    // sites only our origin, never this URL's `state`).
    ([(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

/// The result form of a page without an opener.
#[derive(Deserialize)]
pub struct RecordForm {
    nonce: String,
    grant_id: String,
}

/// Records a wizard result (same-origin form post), then shows `/connect`.
pub async fn record(State(state): State<AppState>, caller: Caller<Mutate>, Form(form): Form<RecordForm>) -> Response {
    match connect::record(&state.ctx, &caller, &form.nonce, &form.grant_id).await {
        Ok(grant) => Redirect::to(&format!("/connect?connected={}", grant.provider.as_str())).into_response(),
        Err(e) => {
            let next =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("error", &e.to_string()).finish();
            Redirect::to(&format!("/connect?{next}")).into_response()
        }
    }
}
