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
            Self::RateLimited => 429,
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
            S::Internal => Self::Internal,
        }
    }
}
