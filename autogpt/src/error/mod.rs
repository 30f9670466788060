//! Protocol-level errors shared by the parsers of both contracts: structured parse failures
//! that never keep body bytes (issue 11 item 7), a summary of unexpected error bodies, OAuth
//! error codes, and the guide's two error body shapes.

use std::fmt;

use serde_json::Value;

mod body;
mod json_path;
mod parse;

pub use body::{BodyKind, BodySummary};
pub use parse::{ParseError, ParseErrorKind, TokenParseError};

/// RFC 6749 §5.2 / §4.1.2.1 error codes, plus whatever else the platform sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OAuthErrorCode {
    /// `invalid_request` (includes "PKCE verification failed").
    InvalidRequest,
    /// `invalid_client` (401).
    InvalidClient,
    /// `invalid_grant`: bad, expired, reused code or refresh token. Reconnect required.
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
    /// `access_denied` (user denied consent).
    AccessDenied,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `server_error`
    ServerError,
    /// `temporarily_unavailable`
    TemporarilyUnavailable,
    /// Anything else, kept verbatim.
    Other(String),
}

impl OAuthErrorCode {
    /// Reads a code.
    pub fn parse(s: &str) -> Self {
        match s {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error answer: `{"error","error_description"}` at top level (RFC 6749, documented)
/// or nested as `{"detail":{...}}` (platform code). Checklist 27.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthErrorBody {
    /// The error code.
    pub error: OAuthErrorCode,
    /// Human-readable description, if any.
    pub error_description: Option<String>,
}

impl OAuthErrorBody {
    /// Recognises either shape; `None` if the body is neither.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let v: Value = serde_json::from_slice(body).ok()?;
        let obj = match v.get("error") {
            Some(_) => &v,
            None => v.get("detail").filter(|d| d.get("error").is_some())?,
        };
        let error = obj.get("error")?.as_str()?;
        Some(Self {
            error: OAuthErrorCode::parse(error),
            error_description: obj.get("error_description").and_then(Value::as_str).map(str::to_owned),
        })
    }
}

/// The text of a FastAPI error body `{"detail": ...}`: the string itself, or the JSON text of a
/// structured detail (validation errors are a list). `None` if there is no `detail`.
pub fn api_error_detail(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    match v.get("detail")? {
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checklist 27: both error shapes are recognised.
    #[test]
    fn item27_top_level_and_nested_errors() {
        let top = OAuthErrorBody::parse(br#"{"error":"invalid_grant","error_description":"PKCE verification failed"}"#)
            .unwrap();
        let nested = OAuthErrorBody::parse(
            br#"{"detail":{"error":"invalid_grant","error_description":"PKCE verification failed"}}"#,
        )
        .unwrap();
        assert_eq!(top, nested);
        assert_eq!(top.error, OAuthErrorCode::InvalidGrant);
        assert!(OAuthErrorBody::parse(br#"{"detail":"Rate limit exceeded"}"#).is_none());
        assert!(OAuthErrorBody::parse(b"not json").is_none());
        let other = OAuthErrorBody::parse(br#"{"error":"weird"}"#).unwrap();
        assert_eq!(other.error.as_str(), "weird");
    }

    #[test]
    fn detail_text() {
        assert_eq!(api_error_detail(br#"{"detail":"Grant not found"}"#).as_deref(), Some("Grant not found"));
        assert_eq!(api_error_detail(br#"{"detail":[{"loc":["body"]}]}"#).as_deref(), Some(r#"[{"loc":["body"]}]"#));
        assert_eq!(api_error_detail(b"{}"), None);
    }
}
