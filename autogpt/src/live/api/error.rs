//! External API v2 errors (contract §4.4): the envelope
//! `{"error":{"code","message","details"}}` with every code as an enum, 422 validation
//! details with their `loc`, and answers that are not the envelope (a proxy's HTML, an empty
//! body). Every error keeps the response's [`RateLimit`].

use std::fmt;

use http::StatusCode;
use serde_json::Value;

use super::RateLimit;
use crate::error::{BodySummary, ParseError};
use crate::live::validation::{ValidationIssue, scrub_inputs};

/// `error.code` of the v2 envelope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400 `bad_request`: malformed or foreign cursor, `ValueError` in a handler.
    BadRequest,
    /// 401 `unauthorized`: missing, invalid or revoked credential. Refresh once, then sign in.
    Unauthorized,
    /// 402 `payment_required`: no plan, or balance ≤ 0.
    PaymentRequired,
    /// 403 `forbidden`: missing scope, membership, an org-mate's row, a managed credential.
    Forbidden,
    /// 404 `not_found` (also rows in another tenant).
    NotFound,
    /// 405 `method_not_allowed`.
    MethodNotAllowed,
    /// 409 `conflict`: stopping a finished run, an idempotent start still in flight, reviews
    /// while the run is not in review.
    Conflict,
    /// 413 `payload_too_large`.
    PayloadTooLarge,
    /// 422 `validation_error`: see [`ApiErrorBody::issues`].
    ValidationError,
    /// 428 `precondition_required`.
    PreconditionRequired,
    /// 429 `rate_limit_exceeded`: honour `Retry-After`.
    RateLimitExceeded,
    /// 500 `internal_error`.
    InternalError,
    /// 502 `upstream_error`.
    UpstreamError,
    /// 503 `service_unavailable` (e.g. the idempotency store; no run was started).
    ServiceUnavailable,
    /// `request_failed`: the fallback for other 4xx.
    RequestFailed,
    /// A code this crate does not know, kept verbatim.
    Other(String),
}

impl ErrorCode {
    /// Reads a code.
    pub fn parse(s: &str) -> Self {
        match s {
            "bad_request" => Self::BadRequest,
            "unauthorized" => Self::Unauthorized,
            "payment_required" => Self::PaymentRequired,
            "forbidden" => Self::Forbidden,
            "not_found" => Self::NotFound,
            "method_not_allowed" => Self::MethodNotAllowed,
            "conflict" => Self::Conflict,
            "payload_too_large" => Self::PayloadTooLarge,
            "validation_error" => Self::ValidationError,
            "precondition_required" => Self::PreconditionRequired,
            "rate_limit_exceeded" => Self::RateLimitExceeded,
            "internal_error" => Self::InternalError,
            "upstream_error" => Self::UpstreamError,
            "service_unavailable" => Self::ServiceUnavailable,
            "request_failed" => Self::RequestFailed,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::PaymentRequired => "payment_required",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::ValidationError => "validation_error",
            Self::PreconditionRequired => "precondition_required",
            Self::RateLimitExceeded => "rate_limit_exceeded",
            Self::InternalError => "internal_error",
            Self::UpstreamError => "upstream_error",
            Self::ServiceUnavailable => "service_unavailable",
            Self::RequestFailed => "request_failed",
            Self::Other(s) => s,
        }
    }

    /// The code a status maps to when a body has none (the platform's own mapping).
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            402 => Self::PaymentRequired,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            409 => Self::Conflict,
            413 => Self::PayloadTooLarge,
            422 => Self::ValidationError,
            428 => Self::PreconditionRequired,
            429 => Self::RateLimitExceeded,
            502 => Self::UpstreamError,
            503 => Self::ServiceUnavailable,
            s if s >= 500 => Self::InternalError,
            _ => Self::RequestFailed,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` object of a v2 error answer.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiErrorBody {
    /// `code`.
    pub code: ErrorCode,
    /// `message`: the exception text for 4xx; for 5xx never the cause.
    pub message: String,
    /// `details` as sent, with every validation entry's echoed `input` removed.
    pub details: Option<Value>,
    /// `details.errors[]` of a 422, read.
    pub issues: Vec<ValidationIssue>,
}

impl ApiErrorBody {
    /// Reads the envelope; `None` if `body` is not one.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let mut v: Value = serde_json::from_slice(body).ok()?;
        let error = v.get_mut("error")?.as_object_mut()?;
        let code = ErrorCode::parse(error.get("code")?.as_str()?);
        let message = error.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut details = error.remove("details").filter(|d| !d.is_null());
        let issues = match details.as_mut().and_then(|d| d.get_mut("errors")) {
            Some(errors) => {
                scrub_inputs(errors);
                ValidationIssue::list_from_value(errors)
            }
            None => Vec::new(),
        };
        Some(Self { code, message, details, issues })
    }

    /// The validation issues about one run input (`loc` = `["body","inputs",name]`).
    pub fn issues_for_input<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ValidationIssue> + 'a {
        self.issues.iter().filter(move |i| i.input_name() == Some(name))
    }
}

/// A v2 answer that is not the expected success.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ResponseError {
    /// A non-2xx answer in the v2 envelope.
    #[error("HTTP {status} {}: {}", body.code, body.message)]
    Api {
        /// The status.
        status: StatusCode,
        /// The envelope's `error`.
        body: Box<ApiErrorBody>,
        /// The response's rate-limit headers.
        rate_limit: RateLimit,
    },
    /// A non-2xx answer that is not the envelope: a proxy's HTML, an empty body, FastAPI's
    /// `{"detail": …}` from outside v2. The code is derived from the status.
    #[error("HTTP {status} ({code}) with {body}")]
    Unexpected {
        /// The status.
        status: StatusCode,
        /// [`ErrorCode::for_status`].
        code: ErrorCode,
        /// What the body looked like (it is not kept).
        body: BodySummary,
        /// A `detail` text, if the body was `{"detail": "<text>"}`.
        detail: Option<String>,
        /// The response's rate-limit headers.
        rate_limit: RateLimit,
    },
    /// A 2xx answer whose body did not parse.
    #[error("HTTP {status}: {error}")]
    Parse {
        /// The status.
        status: StatusCode,
        /// What was wrong with the body.
        error: ParseError,
        /// The response's rate-limit headers.
        rate_limit: RateLimit,
    },
}

impl ResponseError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Api { status, .. } | Self::Unexpected { status, .. } | Self::Parse { status, .. } => *status,
        }
    }

    /// The error code (from the envelope, else from the status); `None` for a parse failure.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Api { body, .. } => Some(&body.code),
            Self::Unexpected { code, .. } => Some(code),
            Self::Parse { .. } => None,
        }
    }

    /// The rate-limit headers of the failed response.
    pub fn rate_limit(&self) -> &RateLimit {
        match self {
            Self::Api { rate_limit, .. } | Self::Unexpected { rate_limit, .. } | Self::Parse { rate_limit, .. } => {
                rate_limit
            }
        }
    }

    /// The 422 validation issues (empty otherwise).
    pub fn validation_issues(&self) -> &[ValidationIssue] {
        match self {
            Self::Api { body, .. } => &body.issues,
            _ => &[],
        }
    }

    /// Reads a non-2xx response.
    pub fn from_status(status: StatusCode, body: &[u8], rate_limit: RateLimit) -> Self {
        match ApiErrorBody::parse(body) {
            Some(body) => Self::Api { status, body: Box::new(body), rate_limit },
            None => Self::Unexpected {
                status,
                code: ErrorCode::for_status(status),
                body: BodySummary::of(body),
                detail: crate::error::api_error_detail(body),
                rate_limit,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODES: [(u16, &str); 15] = [
        (400, "bad_request"),
        (401, "unauthorized"),
        (402, "payment_required"),
        (403, "forbidden"),
        (404, "not_found"),
        (405, "method_not_allowed"),
        (409, "conflict"),
        (413, "payload_too_large"),
        (422, "validation_error"),
        (428, "precondition_required"),
        (429, "rate_limit_exceeded"),
        (500, "internal_error"),
        (502, "upstream_error"),
        (503, "service_unavailable"),
        (418, "request_failed"),
    ];

    /// Every code of contract §4.4 parses, prints, and matches its status.
    #[test]
    fn every_code_round_trips() {
        for (status, code) in CODES {
            let c = ErrorCode::parse(code);
            assert!(!matches!(c, ErrorCode::Other(_)), "{code}");
            assert_eq!(c.as_str(), code);
            assert_eq!(ErrorCode::for_status(StatusCode::from_u16(status).unwrap()), c);
            let body = format!(r#"{{"error":{{"code":"{code}","message":"m","details":null}}}}"#);
            let e = ResponseError::from_status(
                StatusCode::from_u16(status).unwrap(),
                body.as_bytes(),
                RateLimit::default(),
            );
            assert_eq!(e.code(), Some(&c));
        }
        assert_eq!(ErrorCode::parse("teapot"), ErrorCode::Other("teapot".into()));
        assert_eq!(ErrorCode::for_status(StatusCode::GATEWAY_TIMEOUT), ErrorCode::InternalError);
    }

    #[test]
    fn validation_details_keep_loc_and_drop_inputs() {
        let body = br#"{"error":{"code":"validation_error","message":"Invalid data for POST /external-api/v2/library/agents/a1/runs","details":{"errors":[{"type":"missing","loc":["body","inputs","topic"],"msg":"Input required"},{"type":"extra_forbidden","loc":["body","inputs","api_token"],"msg":"Unknown input","input":"sk-live-SECRET"}]}}}"#;
        let e = ResponseError::from_status(StatusCode::UNPROCESSABLE_ENTITY, body, RateLimit::default());
        let issues = e.validation_issues();
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].input_name(), Some("topic"));
        let ResponseError::Api { body, .. } = &e else { panic!() };
        assert_eq!(body.issues_for_input("api_token").count(), 1);
        assert!(!format!("{e:?}").contains("SECRET"));
    }

    #[test]
    fn non_envelope_bodies() {
        let e = ResponseError::from_status(StatusCode::BAD_GATEWAY, b"<html>502</html>", RateLimit::default());
        assert_eq!(e.code(), Some(&ErrorCode::UpstreamError));
        assert!(matches!(e, ResponseError::Unexpected { body, .. } if body.kind == crate::error::BodyKind::Html));
        let e = ResponseError::from_status(StatusCode::NOT_FOUND, br#"{"detail":"Not Found"}"#, RateLimit::default());
        assert!(matches!(e, ResponseError::Unexpected { detail: Some(ref d), .. } if d == "Not Found"));
        let e = ResponseError::from_status(StatusCode::FORBIDDEN, br#"{"error":"nope"}"#, RateLimit::default());
        assert_eq!(e.code(), Some(&ErrorCode::Forbidden));
    }
}
