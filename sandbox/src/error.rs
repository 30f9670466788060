//! The sandbox's one error type and the single place where failures become HTTP responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

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
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
