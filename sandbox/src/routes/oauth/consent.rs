//! `POST /oauth/consent`: the consent page's approve/deny, authorised by the single-use consent
//! token and an `Origin` that is the platform's own or one of the client's registered origins.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use crate::error::Error;
use crate::routes::oauth::authorize::{redirect_code, redirect_error};
use crate::routes::oauth::scopes::merge;
use crate::routes::{origin_header, session_id};
use crate::state::model::Consent;
use crate::state::{AppState, now_ms};

#[derive(Debug, Deserialize)]
pub struct Decision {
    #[serde(default)]
    pub consent_token: String,
    #[serde(default)]
    pub decision: String,
}

pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Decision>,
) -> Result<Response, Error> {
    let origin = origin_header(&headers).unwrap_or_default().to_owned();
    let req = state.db().consent_requests.iter().find(|c| c.token == form.consent_token).cloned();
    let Some(req) = req else {
        return Err(Error::page(StatusCode::BAD_REQUEST, "This consent request is unknown, expired or already used"));
    };
    let allowed_origin =
        origin == state.origin() || state.db().client(&req.client_id).is_some_and(|c| c.origins.contains(&origin));
    if !allowed_origin {
        return Err(Error::page(StatusCode::FORBIDDEN, "Cross-site consent request refused"));
    }
    // Single use from here on, whatever the outcome (a cross-site post cannot burn it).
    state.db().consent_requests.retain(|c| c.token != req.token);
    if req.expires_at_ms <= now_ms() {
        return Err(Error::page(StatusCode::BAD_REQUEST, "This consent request has expired"));
    }
    if let Some(bound) = &req.session_id
        && session_id(&headers).as_deref() != Some(bound.as_str())
    {
        return Err(Error::page(StatusCode::FORBIDDEN, "This consent request belongs to another session"));
    }
    match form.decision.as_str() {
        "approve" => {
            {
                let mut db = state.db();
                match db.consents.iter_mut().find(|c| c.user_id == req.user_id && c.client_id == req.client_id) {
                    Some(c) => c.scopes = merge(&c.scopes, &req.scopes),
                    None => db.consents.push(Consent {
                        user_id: req.user_id.clone(),
                        client_id: req.client_id.clone(),
                        scopes: req.scopes.clone(),
                    }),
                }
            }
            Ok(redirect_code(&state, &req))
        }
        "deny" => Ok(redirect_error(
            &state,
            &req.redirect_uri,
            "access_denied",
            "The user denied the authorization request",
            req.state.as_deref(),
        )),
        _ => Err(Error::page(StatusCode::BAD_REQUEST, "Unknown decision")),
    }
}
