//! `GET /metrics`: the Prometheus scrape endpoint (B9), in the OpenMetrics text format.

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::AppState;

/// The content type of the OpenMetrics text exposition, which Prometheus negotiates natively.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Renders every registered metric, with the inbox's given-up count read now.
pub async fn metrics(State(state): State<AppState>) -> Response {
    match state.ctx.storage.inbox().dead_count().await {
        Ok(dead) => state.metrics.set_webhooks_dead(dead),
        Err(e) => tracing::warn!(error = %e, "could not count given-up webhooks"),
    }
    state.metrics.set_run_watch(state.ctx.watching.len(), state.ctx.watching.polls());
    match state.metrics.render() {
        Ok(text) => {
            ([(header::CONTENT_TYPE, HeaderValue::from_static(OPENMETRICS_CONTENT_TYPE))], text).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "encoding metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
