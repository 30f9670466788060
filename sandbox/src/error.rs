//! The sandbox's one error type and the single place where failures become HTTP responses.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::html;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// OAuth token-endpoint error (`{"error","error_description"}`, or nested under `detail`).
    #[error("oauth {code}: {description}")]
    OAuth { code: &'static str, description: String, nested: bool },
    /// Token endpoint over its per-client limit.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// JSON API error `{"detail": ...}`; 401 carries `WWW-Authenticate: Bearer`.
    #[error("api {status}: {detail}")]
    Api { status: StatusCode, detail: String },
    /// An HTML error page (bad client, unregistered redirect URI, invalid connect request...).
    #[error("page {status}: {message}")]
    Page { status: StatusCode, message: String },
    #[error("internal: {0}")]
    Internal(String),
    /// Live External API v2: the envelope `{"error":{"code","message","details"}}`.
    #[error("v2 {}: {}", .0.status, .0.message)]
    V2(Box<V2Error>),
    /// Live internal app (`/api/oauth/*`): FastAPI's `{"detail": "..."}`, no `WWW-Authenticate`.
    #[error("detail {status}: {detail}")]
    Detail { status: StatusCode, detail: String },
    /// Live internal app request validation: 422 `{"message","detail":[...],"hint"}`.
    #[error("invalid data for {method} {path}")]
    InternalValidation { method: String, path: String, errors: Vec<Value> },
}

/// A v2 error: status (the `code` follows from it), message, details and extra headers
/// (`Retry-After`, the run-start limiter's `X-RateLimit-*`).
#[derive(Debug)]
pub struct V2Error {
    pub status: StatusCode,
    pub message: String,
    pub details: Option<Value>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// The v2 `error.code` for a status (`v2/errors.py`).
pub fn v2_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        402 => "payment_required",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        422 => "validation_error",
        428 => "precondition_required",
        429 => "rate_limit_exceeded",
        502 => "upstream_error",
        503 => "service_unavailable",
        code if (400..500).contains(&code) => "request_failed",
        _ => "internal_error",
    }
}

/// The v2 envelope body.
pub fn v2_envelope(status: StatusCode, message: &str, details: Option<&Value>) -> Value {
    json!({"error": {"code": v2_code(status), "message": message, "details": details}})
}

/// The internal app's body for an unhandled exception (500).
pub fn internal_failure_body(method: &str, path: &str, detail: &str) -> Value {
    json!({
        "message": format!("Failed to process {method} {path}"),
        "detail": detail,
        "hint": "Check server logs and dependent services.",
    })
}

impl Error {
    pub fn api(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Api { status, detail: detail.into() }
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::api(StatusCode::UNAUTHORIZED, detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::api(StatusCode::FORBIDDEN, detail)
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::api(StatusCode::NOT_FOUND, detail)
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::api(StatusCode::BAD_REQUEST, detail)
    }
    pub fn page(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Page { status, message: message.into() }
    }
    /// A v2 error with no details.
    pub fn v2(status: StatusCode, message: impl Into<String>) -> Self {
        Self::V2(Box::new(V2Error { status, message: message.into(), details: None, headers: Vec::new() }))
    }
    /// A v2 422: `Invalid data for <METHOD> <full path>` with `details.errors`.
    pub fn v2_validation(method: &str, path: &str, errors: Vec<Value>) -> Self {
        Self::V2(Box::new(V2Error {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("Invalid data for {method} {path}"),
            details: Some(json!({ "errors": errors })),
            headers: Vec::new(),
        }))
    }
    /// An internal-app `{"detail"}` error.
    pub fn detail(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Detail { status, detail: detail.into() }
    }
    /// Add a response header (v2 errors only; ignored otherwise).
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let (Error::V2(e), Ok(v)) = (&mut self, HeaderValue::from_str(value)) {
            e.headers.push((name, v));
        }
        self
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::OAuth { code, description, nested } => {
                let status = if code == "invalid_client" { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
                let inner = json!({"error": code, "error_description": description});
                let body = if nested { json!({ "detail": inner }) } else { inner };
                let mut resp = (status, axum::Json(body)).into_response();
                resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                resp
            }
            Error::RateLimited { retry_after_secs } => {
                let mut resp = (StatusCode::TOO_MANY_REQUESTS, axum::Json(json!({"detail": "Rate limit exceeded"})))
                    .into_response();
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                resp
            }
            Error::Api { status, detail } => {
                let mut resp = (status, axum::Json(json!({ "detail": detail }))).into_response();
                if status == StatusCode::UNAUTHORIZED {
                    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                }
                resp
            }
            Error::Page { status, message } => {
                let body = html::page(
                    "Error",
                    &format!(
                        "<h1>Something went wrong</h1><p id=\"error-message\" class=\"error\">{}</p>",
                        html::escape(&message)
                    ),
                );
                (status, Html(body)).into_response()
            }
            Error::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({"detail": "Internal server error"})))
                    .into_response()
            }
            Error::V2(e) => {
                let V2Error { status, message, details, headers } = *e;
                let mut resp = (status, axum::Json(v2_envelope(status, &message, details.as_ref()))).into_response();
                for (name, value) in headers {
                    resp.headers_mut().insert(name, value);
                }
                resp
            }
            Error::Detail { status, detail } => (status, axum::Json(json!({ "detail": detail }))).into_response(),
            Error::InternalValidation { method, path, errors } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({
                    "message": format!("Invalid data for {method} {path}"),
                    "detail": errors,
                    "hint": "Ensure the request matches the API schema.",
                })),
            )
                .into_response(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
