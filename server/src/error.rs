//! [`Error`]: the one way the server's own routes answer a failure. The status and a message
//! that is safe to show, as JSON `{"error": …}` for scripts or as a small HTML page for a
//! browser that navigated here (a form post without JavaScript, a redirect from the
//! platform). Causes are logged where they happen, never sent.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use backend::ServiceError;
use backend::services::auth::AuthError;

use crate::middleware::ErrorPage;

/// A failed request.
#[derive(Debug)]
pub struct Error {
    status: StatusCode,
    message: String,
    page: Option<&'static str>,
}

impl Error {
    /// An error with this status and message (answered as JSON).
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), page: None }
    }

    /// Answers as an HTML page titled `title` instead of JSON.
    pub fn page(mut self, title: &'static str) -> Self {
        self.page = Some(title);
        self
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Self::new(e.status(), e.to_string())
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Self::new(e.status(), e.to_string())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self.page {
            Some(title) => {
                let page = ErrorPage { title, message: self.message };
                (self.status, [(header::CACHE_CONTROL, "no-store")], axum::Extension(page)).into_response()
            }
            None => (self.status, Json(serde_json::json!({ "error": self.message }))).into_response(),
        }
    }
}
