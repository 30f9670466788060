//! [`ServiceError`]: what a service answers instead of a result. Every message is safe to
//! show a person; causes are logged where they happen (inside the request span), never
//! carried out.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a service call did not succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// No valid session: sign in first (401, checklist 43).
    #[error("Please sign in with AutoGPT first.")]
    Unauthorized,
    /// A state-changing call from another site (403, checklist 42).
    #[error("This request did not come from this site.")]
    Forbidden,
    /// The platform refused our tokens for good: sign in again (401, checklist 32).
    #[error("Your AutoGPT connection expired. Please sign in again.")]
    ReconnectRequired,
    /// Something the user can fix (400).
    #[error("{0}")]
    BadRequest(String),
    /// Unknown id for this user (404).
    #[error("{0}")]
    NotFound(String),
    /// The platform answered with an error the user should see (502).
    #[error("AutoGPT: {0}")]
    Platform(String),
    /// Too many requests (429).
    #[error("Too many requests. Please wait a moment and try again.")]
    RateLimited,
    /// The platform asks us to wait (its 429 with `Retry-After`).
    #[error("AutoGPT is busy right now. Please wait {retry_after_secs} seconds and try again.")]
    PlatformBusy {
        /// What `Retry-After` said (at least 1).
        retry_after_secs: u64,
    },
    /// The AutoGPT account cannot pay for runs (402).
    #[error("This AutoGPT account has no active plan or credits. Top it up on AutoGPT, then try again.")]
    PaymentRequired,
    /// The sign-in lacks a permission the call needs (the platform's 403 names it).
    #[error("AutoGPT refused: {0}. Sign in again and allow it.")]
    MissingPermission(String),
    /// The request conflicts with the current state (409), e.g. stopping a finished run.
    #[error("{0}")]
    Conflict(String),
    /// The platform refused the input (422); `fields` names the inputs at fault.
    #[error("{message}")]
    Invalid {
        /// A sentence for the whole form.
        message: String,
        /// Input name → what is wrong with it.
        fields: Vec<(String, String)>,
    },
    /// Anything else (500); details are in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl ServiceError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized | Self::ReconnectRequired => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::RateLimited | Self::PlatformBusy { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
            Self::MissingPermission(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Platform(_) => StatusCode::BAD_GATEWAY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs a storage failure and answers the generic 500.
    pub(crate) fn storage(e: crate::StorageError) -> Self {
        tracing::error!(error = %e, "storage failed");
        Self::Internal
    }
}

/// `{"error": "<message>"}` with the error's status: the answer of a refused extractor
/// ([`crate::Caller`]) on a plain axum route.
impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        (self.status(), Json(serde_json::json!({ "error": self.to_string() }))).into_response()
    }
}
