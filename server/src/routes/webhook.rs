//! `POST /api/autogpt/webhook` (G12, B3): the raw body and headers go to the
//! inbox service; the answer comes after a durable insert, processing after
//! the answer (checklist 60, 61). Outside sessions and Origin checks, inside
//! the rate limiter (checklist 63).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use backend::services::webhooks::{Receipt, receive};
use serde_json::json;

use crate::middleware::WebhookOutcome;
use crate::{AppState, Error};

/// Receives one delivery: the service stores it and starts its processing; this maps the
/// receipt to the answer.
pub async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let receipt = receive(&state.ctx, &headers, &body).await;
    let (outcome, response) = match receipt {
        Receipt::Accepted => (WebhookOutcome::Accepted, Json(json!({ "received": true })).into_response()),
        Receipt::Duplicate => {
            (WebhookOutcome::Duplicate, Json(json!({ "received": true, "duplicate": true })).into_response())
        }
        Receipt::TooLarge => {
            (WebhookOutcome::TooLarge, Error::new(StatusCode::PAYLOAD_TOO_LARGE, "payload too large").into_response())
        }
        // Checklist 62: one body for every verification failure.
        Receipt::Rejected => {
            (WebhookOutcome::Rejected, Error::new(StatusCode::UNAUTHORIZED, "invalid webhook").into_response())
        }
        Receipt::Unavailable => {
            (WebhookOutcome::Error, Error::new(StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response())
        }
    };
    state.metrics.webhook(outcome);
    response
}
