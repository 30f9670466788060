//! The one error type of the app's server functions, as it crosses the wire: what kind of
//! failure (for the HTTP status and for code that branches on it), the sentence to show (made
//! on the server, from `backend::ServiceError`'s messages: written once, and not shipped in the
//! WASM bundle), and the form fields at fault. Never a cause chain: causes are logged on the
//! server, inside the request span.

use serde::{Deserialize, Serialize};
use server_fn::codec::PostcardEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What a server function can answer instead of a value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The sentence to show (text, never HTML).
    pub message: String,
    /// Input name → what is wrong with it (a form the platform refused, HTTP 422).
    pub fields: Vec<(String, String)>,
}

/// The kinds of [`AppError`], each with its HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// No valid session: sign in first (401, checklist 43).
    Unauthorized,
    /// A state-changing call from another site (403, checklist 42).
    Forbidden,
    /// The platform refused our tokens for good: sign in again (401, checklist 32).
    ReconnectRequired,
    /// Something the user can fix (400).
    BadRequest,
    /// Unknown id for this user (404).
    NotFound,
    /// Conflicts with the current state (409).
    Conflict,
    /// The platform refused the inputs (422; see [`AppError::fields`]).
    Invalid,
    /// The AutoGPT account cannot pay for runs (402).
    PaymentRequired,
    /// The sign-in lacks a permission the call needs (403).
    MissingPermission,
    /// Too many requests, ours or the platform's (429).
    RateLimited,
    /// The platform answered with an error the user should see (502).
    Platform,
    /// Anything else (500); details are in the server log only.
    Internal,
    /// Transport or encoding failure between browser and server.
    Transport,
}

impl AppError {
    /// The HTTP status the server answers with.
    pub fn status(&self) -> u16 {
        match self.kind {
            ErrorKind::Unauthorized | ErrorKind::ReconnectRequired => 401,
            ErrorKind::Forbidden | ErrorKind::MissingPermission => 403,
            ErrorKind::BadRequest => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Invalid => 422,
            ErrorKind::PaymentRequired => 402,
            ErrorKind::RateLimited => 429,
            ErrorKind::Platform => 502,
            ErrorKind::Internal | ErrorKind::Transport => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = PostcardEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self { kind: ErrorKind::Transport, message: format!("Could not reach the server: {value}"), fields: Vec::new() }
    }
}

#[cfg(feature = "ssr")]
impl From<backend::ServiceError> for AppError {
    fn from(e: backend::ServiceError) -> Self {
        use backend::ServiceError as S;
        let message = e.to_string();
        let (kind, fields) = match e {
            S::Unauthorized => (ErrorKind::Unauthorized, Vec::new()),
            S::Forbidden => (ErrorKind::Forbidden, Vec::new()),
            S::ReconnectRequired => (ErrorKind::ReconnectRequired, Vec::new()),
            S::BadRequest(_) => (ErrorKind::BadRequest, Vec::new()),
            S::NotFound(_) => (ErrorKind::NotFound, Vec::new()),
            S::Platform(_) => (ErrorKind::Platform, Vec::new()),
            S::RateLimited | S::PlatformBusy { .. } => (ErrorKind::RateLimited, Vec::new()),
            S::PaymentRequired => (ErrorKind::PaymentRequired, Vec::new()),
            S::MissingPermission(_) => (ErrorKind::MissingPermission, Vec::new()),
            S::Conflict(_) => (ErrorKind::Conflict, Vec::new()),
            S::Invalid { fields, .. } => (ErrorKind::Invalid, fields),
            S::Internal => (ErrorKind::Internal, Vec::new()),
        };
        Self { kind, message, fields }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_message_and_status_come_from_the_service_error() {
        let e = AppError::from(backend::ServiceError::PaymentRequired);
        assert_eq!((e.kind, e.status()), (ErrorKind::PaymentRequired, 402));
        assert!(e.to_string().contains("no active plan or credits"), "{e}");
        let e = AppError::from(backend::ServiceError::Invalid {
            message: "Check the fields.".into(),
            fields: vec![("count".into(), "must be a whole number".into())],
        });
        assert_eq!((e.status(), e.fields.len()), (422, 1));
        assert_eq!(AppError::from(backend::ServiceError::Forbidden).status(), 403);
    }
}
