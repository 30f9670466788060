//! The one error type of the app's server functions: safe to show, never a
//! cause chain (causes are logged on the server, inside the request span).

use serde::{Deserialize, Serialize};
use server_fn::codec::PostcardEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What a server function can answer instead of a value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: sign in first (HTTP 401, checklist 43).
    #[error("Please sign in with AutoGPT first.")]
    Unauthorized,
    /// Cross-origin call of a mutating function (HTTP 403, checklist 42).
    #[error("This request did not come from this site.")]
    Forbidden,
    /// The platform refused our tokens for good: sign in again (checklist 32).
    #[error("Your AutoGPT connection expired. Please sign in again.")]
    ReconnectRequired,
    /// Something the user can fix (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// Unknown id for this user (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The platform answered with an error the user should see (HTTP 502).
    #[error("AutoGPT: {0}")]
    Platform(String),
    /// Too many requests (HTTP 429).
    #[error("Too many requests. Please wait a moment and try again.")]
    RateLimited,
    /// The platform asks to wait this long (HTTP 429).
    #[error("AutoGPT is busy right now. Please wait {retry_after_secs} seconds and try again.")]
    PlatformBusy {
        /// Seconds.
        retry_after_secs: u64,
    },
    /// The AutoGPT account cannot pay for runs (HTTP 402).
    #[error("This AutoGPT account has no active plan or credits. Top it up on AutoGPT, then try again.")]
    PaymentRequired,
    /// The sign-in lacks a permission (HTTP 403); the text names it.
    #[error("AutoGPT refused: {0}. Sign in again and allow it.")]
    MissingPermission(String),
    /// Conflicts with the current state (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The platform refused the inputs (HTTP 422): a sentence, and input name → problem.
    #[error("{message}")]
    Invalid {
        /// For the whole form.
        message: String,
        /// Per input.
        fields: Vec<(String, String)>,
    },
    /// Anything else (HTTP 500); details are in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// Transport or encoding failure between browser and server.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status the server answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized | Self::ReconnectRequired => 401,
            Self::Forbidden => 403,
            Self::BadRequest(_) => 400,
            Self::NotFound(_) => 404,
            Self::RateLimited | Self::PlatformBusy { .. } => 429,
            Self::PaymentRequired => 402,
            Self::MissingPermission(_) => 403,
            Self::Conflict(_) => 409,
            Self::Invalid { .. } => 422,
            Self::Platform(_) => 502,
            Self::Internal | Self::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = PostcardEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<backend::ServiceError> for AppError {
    fn from(e: backend::ServiceError) -> Self {
        use backend::ServiceError as S;
        match e {
            S::Unauthorized => Self::Unauthorized,
            S::Forbidden => Self::Forbidden,
            S::ReconnectRequired => Self::ReconnectRequired,
            S::BadRequest(m) => Self::BadRequest(m),
            S::NotFound(m) => Self::NotFound(m),
            S::Platform(m) => Self::Platform(m),
            S::RateLimited => Self::RateLimited,
            S::PlatformBusy { retry_after_secs } => Self::PlatformBusy { retry_after_secs },
            S::PaymentRequired => Self::PaymentRequired,
            S::MissingPermission(m) => Self::MissingPermission(m),
            S::Conflict(m) => Self::Conflict(m),
            S::Invalid { message, fields } => Self::Invalid { message, fields },
            S::Internal => Self::Internal,
        }
    }
}
