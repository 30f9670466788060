//! Request ids and the request span: every request gets an `x-request-id` (a UUID unless a proxy
//! or client sent a well-formed one: 1–128 of `A-Z a-z 0-9 . _ -`), echoed on the response, and
//! one `tracing` span carrying method, path and that id, so every log line of the request can be
//! found by id.
//!
//! Architecture invariant: the span holds the path without its query string (the OAuth callback's
//! query carries the authorization code and state) and never headers or bodies.

use axum::{
    body::Body,
    http::{HeaderName, Request},
};
use tower::{ServiceBuilder, layer::util::Identity, layer::util::Stack, util::MapRequestLayer};
use tower_http::{
    LatencyUnit,
    classify::{ServerErrorsAsFailures, SharedClassifier},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnRequest, DefaultOnResponse, MakeSpan, TraceLayer},
};
use tracing::{Level, Span};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The `TraceLayer` used by [`request_tracing`].
type Trace = TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, DefaultOnRequest, DefaultOnResponse>;

/// Drops an incoming request id that is not well formed, so a fresh one is generated.
type CheckIncomingId = MapRequestLayer<fn(Request<Body>) -> Request<Body>>;

/// The layer returned by [`request_tracing`]: check incoming id → set id → trace → propagate id.
pub type RequestTracingLayer = ServiceBuilder<
    Stack<
        PropagateRequestIdLayer,
        Stack<Trace, Stack<SetRequestIdLayer<MakeRequestUuid>, Stack<CheckIncomingId, Identity>>>,
    >,
>;

/// Makes the per-request span: `http{method, path, request_id}`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        // `SetRequestIdLayer` runs first, so the header is always there; `-` only if a request
        // reaches this layer some other way.
        let request_id = request.headers().get(&REQUEST_ID).and_then(|value| value.to_str().ok()).unwrap_or("-");
        tracing::info_span!(
            "http",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = %request_id,
        )
    }
}

/// Request ids and tracing as one layer; put it outermost so the span covers every other layer.
///
/// Each response is logged once at `INFO` with status and latency; 5xx responses once more at
/// `ERROR` (tower-http's default failure classifier).
pub fn request_tracing() -> RequestTracingLayer {
    let trace = TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(DefaultOnRequest::new().level(Level::DEBUG))
        .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Millis));
    ServiceBuilder::new()
        .layer(MapRequestLayer::new(drop_malformed_request_id as fn(Request<Body>) -> Request<Body>))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(trace)
        .layer(PropagateRequestIdLayer::x_request_id())
}

/// Keeps an incoming `x-request-id` only if it is one short token: it ends up in every log line
/// of the request, where spaces, `=` or kilobytes of text would forge or bloat fields.
fn drop_malformed_request_id(mut request: Request<Body>) -> Request<Body> {
    let well_formed = |value: &[u8]| {
        (1..=128).contains(&value.len())
            && value.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let ids = request.headers().get_all(&REQUEST_ID);
    let keep = ids.iter().count() == 1 && ids.iter().all(|value| well_formed(value.as_bytes()));
    if !keep {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(values: &[&str]) -> Option<String> {
        let mut request = Request::new(Body::empty());
        for value in values {
            request.headers_mut().append(REQUEST_ID, value.parse().unwrap());
        }
        let request = drop_malformed_request_id(request);
        request.headers().get(REQUEST_ID).map(|value| value.to_str().unwrap().to_owned())
    }

    #[test]
    fn only_one_short_token_is_kept_as_request_id() {
        assert_eq!(kept(&["proxy-id_4.2"]).as_deref(), Some("proxy-id_4.2"));
        assert_eq!(kept(&[]), None);
        assert_eq!(kept(&["a b"]), None);
        assert_eq!(kept(&["x status=500"]), None);
        assert_eq!(kept(&[&"a".repeat(129)]), None);
        assert_eq!(kept(&["one", "two"]), None);
    }
}
