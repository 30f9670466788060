//! `GET /healthz`: liveness for load balancers and the test harness.

use axum::Json;
use serde_json::{Value, json};

/// Answers 200 with a small JSON document.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}
