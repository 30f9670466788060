//! `POST /api/autogpt/webhook` (G12, B3): the raw body and headers go to the
//! inbox service; the answer comes after a durable insert, processing after
//! the answer (checklist 60, 61). Outside sessions and Origin checks, inside
//! the rate limiter (checklist 63).

use app::service::webhooks::{Receipt, process_key, receive};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::middleware::WebhookOutcome;

/// Receives one delivery.
pub async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (receipt, key) = receive(&state.ctx, &headers, &body).await;
    let (status, outcome, answer) = match receipt {
        Receipt::Accepted => (StatusCode::OK, WebhookOutcome::Accepted, json!({ "received": true })),
        Receipt::Duplicate => {
            (StatusCode::OK, WebhookOutcome::Duplicate, json!({ "received": true, "duplicate": true }))
        }
        Receipt::TooLarge => {
            (StatusCode::PAYLOAD_TOO_LARGE, WebhookOutcome::TooLarge, json!({ "error": "payload too large" }))
        }
        // Checklist 62: one body for every verification failure.
        Receipt::Rejected => {
            (StatusCode::UNAUTHORIZED, WebhookOutcome::Rejected, json!({ "error": "invalid webhook" }))
        }
        Receipt::Unavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, WebhookOutcome::Error, json!({ "error": "try again later" }))
        }
    };
    state.metrics.webhook(outcome);
    if let Some(key) = key {
        let ctx = state.ctx.clone();
        tokio::spawn(async move { process_key(&ctx, &key).await });
    }
    (status, Json(answer)).into_response()
}
