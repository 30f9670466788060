//! How the live OAuth routes fail (contract §2.6, §2.10), and the pure parsers of their answers.
//!
//! `/api/oauth/*` is FastAPI's internal app, not External API v2: errors are
//! `{"detail": "<text>"}` (400 `Invalid grant: …`, 401 client errors), 422
//! `{"message","detail":[…],"hint"}`, 500 `{"message","detail","hint"}`, and a proxy may answer
//! with HTML or nothing. There are no RFC 6749 `{"error": …}` bodies, so the status and the
//! `detail` text decide (an RFC body saying `invalid_grant` is still recognised, for tolerance).

use std::time::Duration;

use http::{Response, StatusCode};
use serde_json::Value;

use crate::error::{BodySummary, OAuthErrorBody, OAuthErrorCode, ParseError, TokenParseError};
use crate::live::api::retry_after;
use crate::live::token::{Introspection, LiveTokenResponse};
use crate::live::validation::ValidationIssue;
use crate::secret::RefreshToken;

/// A failed live OAuth call.
#[derive(Debug, thiserror::Error)]
pub enum LiveOAuthError {
    /// 400 `Invalid grant: <reason>`: the code or refresh token is dead (not found, used,
    /// expired, revoked, PKCE failed, redirect URI mismatch). The connection needs a fresh
    /// sign-in; do not retry (checklist 32).
    #[error("invalid grant: {reason}")]
    InvalidGrant {
        /// The text after `Invalid grant: `.
        reason: String,
    },
    /// 401 `Invalid client_id` / `Application is not active` / `Invalid client_secret`: our
    /// registration is wrong or disabled. A configuration problem, not the user's.
    #[error("client refused (HTTP 401): {detail}")]
    InvalidClient {
        /// `detail`.
        detail: String,
    },
    /// Another 400 with a `detail` text.
    #[error("bad request: {detail}")]
    BadRequest {
        /// `detail`.
        detail: String,
    },
    /// 422: the request body failed validation (e.g. a form body instead of JSON). The
    /// entries' `input` echoes are dropped: they would contain the client secret.
    #[error("request refused by validation: {}", message.as_deref().unwrap_or("invalid data"))]
    Validation {
        /// `message` (`Invalid data for POST /api/oauth/token`).
        message: Option<String>,
        /// `detail[]`.
        issues: Vec<ValidationIssue>,
        /// `hint`.
        hint: Option<String>,
    },
    /// 5xx `{"message","detail","hint"}` (or FastAPI's `{"detail"}`).
    #[error("platform error (HTTP {status})")]
    Server {
        /// The status.
        status: StatusCode,
        /// `message`.
        message: Option<String>,
        /// `detail`.
        detail: Option<String>,
        /// `hint`.
        hint: Option<String>,
    },
    /// 429 from something in front of the platform (the OAuth routes have no limiter).
    #[error("rate limited")]
    RateLimited {
        /// Parsed `Retry-After` (seconds).
        retry_after: Option<Duration>,
    },
    /// Any other status with a `{"detail": …}` text (404, 405...).
    #[error("HTTP {status}: {detail}")]
    Status {
        /// The status.
        status: StatusCode,
        /// `detail`.
        detail: String,
    },
    /// A body in no shape the contract defines: a proxy's HTML, an empty body, or any 3xx
    /// (redirects are never followed, checklist 26). Described, not kept.
    #[error("unexpected HTTP {status} with {body}")]
    Unexpected {
        /// The status.
        status: StatusCode,
        /// What the body looked like.
        body: BodySummary,
    },
    /// A 2xx token body that did not parse; it may carry the rotated refresh token.
    #[error(transparent)]
    TokenParse(#[from] TokenParseError),
    /// Another 2xx body (introspection) that did not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

impl LiveOAuthError {
    /// Reads a non-2xx answer of `/api/oauth/*`.
    pub fn from_response(res: &Response<Vec<u8>>) -> Self {
        let status = res.status();
        let body = res.body();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Self::RateLimited { retry_after: retry_after(res.headers()) };
        }
        // Any 3xx, whatever its body says: redirects are never followed (checklist 26).
        if status.is_redirection() {
            return Self::Unexpected { status, body: BodySummary::of(body) };
        }
        let Some(obj) = serde_json::from_slice::<Value>(body).ok().filter(Value::is_object) else {
            return Self::Unexpected { status, body: BodySummary::of(body) };
        };
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        let detail = obj.get("detail");
        if status == StatusCode::UNPROCESSABLE_ENTITY || detail.is_some_and(Value::is_array) {
            return Self::Validation {
                message: text("message"),
                issues: detail.map(ValidationIssue::list_from_value).unwrap_or_default(),
                hint: text("hint"),
            };
        }
        // Only a 4xx condemns the grant (as for a `detail` text below): a failing server is
        // retried later, never a reason to delete the user's tokens.
        if let Some(rfc) = OAuthErrorBody::parse(body)
            && rfc.error == OAuthErrorCode::InvalidGrant
            && status.is_client_error()
        {
            return Self::InvalidGrant { reason: rfc.error_description.unwrap_or_default() };
        }
        let detail = text("detail");
        if let Some(d) = &detail
            && let Some(rest) = strip_prefix_ignore_case(d, "invalid grant")
            && (rest.is_empty() || rest.starts_with(':'))
            && status.is_client_error()
        {
            return Self::InvalidGrant { reason: rest.trim_start_matches(':').trim().to_owned() };
        }
        if status.is_server_error() {
            return Self::Server { status, message: text("message"), detail, hint: text("hint") };
        }
        match (status, detail) {
            (StatusCode::UNAUTHORIZED, Some(detail)) => Self::InvalidClient { detail },
            (StatusCode::BAD_REQUEST, Some(detail)) => Self::BadRequest { detail },
            (status, Some(detail)) if !status.is_redirection() => Self::Status { status, detail },
            (status, _) => Self::Unexpected { status, body: BodySummary::of(body) },
        }
    }

    /// True for [`LiveOAuthError::InvalidGrant`]: mark the connection "reconnect required",
    /// delete its tokens, do not retry (checklist 32).
    pub fn requires_reconnect(&self) -> bool {
        matches!(self, Self::InvalidGrant { .. })
    }

    /// The refresh token recovered from a token response that failed to parse, if any.
    pub fn rotated_refresh_token(&self) -> Option<&RefreshToken> {
        match self {
            Self::TokenParse(e) => e.refresh_token(),
            _ => None,
        }
    }

    /// `Retry-After` of a 429.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// Reads a token endpoint answer (code exchange or refresh).
pub fn parse_token_response(res: &Response<Vec<u8>>) -> Result<LiveTokenResponse, LiveOAuthError> {
    if res.status().is_success() {
        Ok(LiveTokenResponse::parse(res.body())?)
    } else {
        Err(LiveOAuthError::from_response(res))
    }
}

/// Reads an introspection answer.
pub fn parse_introspection_response(res: &Response<Vec<u8>>) -> Result<Introspection, LiveOAuthError> {
    if res.status().is_success() {
        Ok(Introspection::parse(res.body())?)
    } else {
        Err(LiveOAuthError::from_response(res))
    }
}

/// Reads a revocation answer: any 2xx is success (the platform always says `{"status":"ok"}`,
/// whether or not something was revoked).
pub fn parse_revoke_response(res: &Response<Vec<u8>>) -> Result<(), LiveOAuthError> {
    if res.status().is_success() { Ok(()) } else { Err(LiveOAuthError::from_response(res)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, body: &str) -> LiveOAuthError {
        let res = Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap();
        LiveOAuthError::from_response(&res)
    }

    #[test]
    fn invalid_grant_reasons() {
        for reason in [
            "authorization code not found",
            "authorization code already used at 2026-01-01 00:00:00+00:00",
            "PKCE verification failed",
            "refresh token has been revoked",
        ] {
            let e = err(400, &format!(r#"{{"detail":"Invalid grant: {reason}"}}"#));
            assert!(e.requires_reconnect());
            assert!(matches!(e, LiveOAuthError::InvalidGrant { reason: ref r } if r == reason), "{e:?}");
        }
        assert!(err(400, r#"{"error":"invalid_grant","error_description":"x"}"#).requires_reconnect());
        assert!(!err(400, r#"{"detail":"Invalid grant_type"}"#).requires_reconnect());
    }

    /// Found by `fuzz/`'s `token_response` target (minimized: `302` with the contract's RFC
    /// body `{"detail":{"error":"invalid_grant"}}`): the RFC `invalid_grant` shape meant
    /// "reconnect required" (tokens deleted) whatever the status, 3xx and 5xx included, and a
    /// 3xx with a validation-shaped body was read as `Validation` instead of `Unexpected`.
    #[test]
    fn fuzz_invalid_grant_only_from_a_4xx_and_any_redirect_is_unexpected() {
        for body in [r#"{"detail":{"error":"invalid_grant"}}"#, r#"{"error":"invalid_grant","error_description":"x"}"#]
        {
            assert!(err(400, body).requires_reconnect(), "{body}");
            for status in [302, 307, 500, 503] {
                let e = err(status, body);
                assert!(!e.requires_reconnect(), "{status} {body}: {e:?}");
            }
            assert!(matches!(err(302, body), LiveOAuthError::Unexpected { .. }));
            assert!(matches!(err(500, body), LiveOAuthError::Server { .. }));
        }
        assert!(matches!(err(301, r#"{"detail":[{"loc":["body"]}]}"#), LiveOAuthError::Unexpected { .. }));
        assert!(matches!(err(308, r#"{"detail":"Invalid grant: x"}"#), LiveOAuthError::Unexpected { .. }));
    }

    #[test]
    fn client_validation_server_and_proxy_errors() {
        for detail in ["Invalid client_id", "Application is not active", "Invalid client_secret"] {
            let e = err(401, &format!(r#"{{"detail":"{detail}"}}"#));
            assert!(matches!(e, LiveOAuthError::InvalidClient { detail: ref d } if d == detail));
            assert!(!e.requires_reconnect());
        }
        let e = err(
            422,
            r#"{"message":"Invalid data for POST /api/oauth/token","detail":[{"type":"missing","loc":["body","code_verifier"],"msg":"Field required","input":{"client_secret":"agpt_secret_1"}}],"hint":"Ensure the request matches the API schema."}"#,
        );
        match &e {
            LiveOAuthError::Validation { message, issues, hint } => {
                assert_eq!(message.as_deref(), Some("Invalid data for POST /api/oauth/token"));
                assert_eq!(issues[0].location(), "body.code_verifier");
                assert!(hint.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert!(!format!("{e:?}").contains("agpt_secret_1"));
        let e = err(
            500,
            r#"{"message":"Failed to process POST /api/oauth/token","detail":"boom","hint":"Check server logs and dependent services."}"#,
        );
        assert!(matches!(e, LiveOAuthError::Server { ref detail, .. } if detail.as_deref() == Some("boom")));
        assert!(
            matches!(err(502, "<html>Bad Gateway</html>"), LiveOAuthError::Unexpected { body, .. } if body.kind == crate::error::BodyKind::Html)
        );
        assert!(matches!(err(400, ""), LiveOAuthError::Unexpected { body, .. } if body.len == 0));
        assert!(matches!(err(302, r#"{"detail":"x"}"#), LiveOAuthError::Unexpected { .. }));
        assert!(matches!(err(404, r#"{"detail":"Not Found"}"#), LiveOAuthError::Status { .. }));
        assert!(matches!(
            err(400, r#"{"detail":"redirect_uri is not registered"}"#),
            LiveOAuthError::BadRequest { .. }
        ));
    }

    #[test]
    fn revoke_and_rate_limit() {
        let ok = Response::builder().status(200).body(br#"{"status":"ok"}"#.to_vec()).unwrap();
        assert!(parse_revoke_response(&ok).is_ok());
        let limited = Response::builder().status(429).header("Retry-After", "7").body(Vec::new()).unwrap();
        assert_eq!(LiveOAuthError::from_response(&limited).retry_after(), Some(Duration::from_secs(7)));
    }
}
