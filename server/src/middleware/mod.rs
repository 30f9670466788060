//! The operational HTTP layer: security headers, the bundle's cache policy, error pages,
//! request ids and tracing, request metrics, per-IP rate limits and the signed-out page cache. Each concern is one tower layer (or axum middleware) so the router in
//! `startup.rs` states the whole stack in a few `.layer(...)` lines.
//!
//! Architecture invariant: nothing here logs or records request/response headers or bodies; they
//! carry session cookies, authorization codes and tokens.

mod bundle_cache;
mod error_pages;
mod metrics;
mod page_cache;
mod rate_limit;
mod request_trace;
mod security_headers;

pub use bundle_cache::revalidate_bundle;
pub use error_pages::{ErrorPage, render_error_pages};
pub use metrics::{Metrics, WebhookOutcome, track_metrics};
pub use page_cache::{PageCache, serve_cached_pages};
pub use rate_limit::{Quota, RateLimitLayer, RateLimits, ScopedRateLimitLayer, rate_limit, rate_limit_matching};
pub use request_trace::{RequestSpan, RequestTracingLayer, request_tracing};
pub use security_headers::{
    CspNonce, CspPolicy, SecurityHeadersLayer, content_security, content_security_policy, security_headers,
};
