//! Per-IP rate limits (checklist 45, 46, 63) with `tower_governor`, keyed by the TCP peer address.
//!
//! Architecture invariant: the key is `PeerIpKeyExtractor`, never `SmartIpKeyExtractor`: a
//! client-supplied `X-Forwarded-For` or `Forwarded` header must not choose its own bucket. The
//! router must therefore be served with `into_make_service_with_connect_info::<SocketAddr>()`
//! (without it every limited request answers 500 and logs why). Behind a reverse proxy all
//! clients share the proxy's budget; that is the safe failure.

use std::{
    future::Future,
    net::IpAddr,
    num::NonZeroU32,
    pin::Pin,
    sync::{Arc, Weak},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::Body,
    http::{HeaderValue, Request, Response, StatusCode, header},
    response::IntoResponse,
};
use governor::middleware::NoOpMiddleware;
use tower::{Layer, Service, ServiceExt};
use tower_governor::{
    GovernorError, GovernorLayer,
    governor::{Governor, GovernorConfigBuilder, SharedRateLimiter},
    key_extractor::PeerIpKeyExtractor,
};

/// How often forgotten clients are purged from a limiter's memory.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// A per-IP budget: `per_second` requests replenished every second, up to `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    per_second: NonZeroU32,
    burst: NonZeroU32,
}

impl Quota {
    /// A quota replenishing `per_second` requests per second with a bucket of `burst`.
    pub const fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        Self { per_second, burst }
    }

    /// Requests replenished per second.
    pub const fn per_second(self) -> NonZeroU32 {
        self.per_second
    }

    /// Requests allowed at once from a full bucket.
    pub const fn burst(self) -> NonZeroU32 {
        self.burst
    }

    /// Time to replenish one request (at least 1 ns).
    fn period(self) -> Duration {
        (Duration::from_secs(1) / self.per_second.get()).max(Duration::from_nanos(1))
    }
}

/// The budgets of the three limited route groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// `GET /api/autogpt/callback` (and the other `/api/autogpt/` OAuth routes if wanted).
    pub callback: Quota,
    /// Leptos server functions.
    pub server_fns: Quota,
    /// `POST /api/autogpt/webhook`: high, the platform (and the benchmark) deliver in bursts
    /// from one address.
    pub webhook: Quota,
}

impl Default for RateLimits {
    /// callback 2/s burst 10, server functions 20/s burst 60, webhook 200/s burst 1000.
    fn default() -> Self {
        Self { callback: quota(2, 10), server_fns: quota(20, 60), webhook: quota(200, 1000) }
    }
}

const fn quota(per_second: u32, burst: u32) -> Quota {
    match (NonZeroU32::new(per_second), NonZeroU32::new(burst)) {
        (Some(per_second), Some(burst)) => Quota::new(per_second, burst),
        _ => panic!("quota values are non-zero"),
    }
}

/// The layer returned by [`rate_limit`]. Each call to [`rate_limit`] makes a separate budget;
/// cloning the layer shares it.
pub type RateLimitLayer = GovernorLayer<PeerIpKeyExtractor, NoOpMiddleware, Body>;

type Limiter = SharedRateLimiter<IpAddr, NoOpMiddleware>;

/// A per-peer-IP limiter for `quota`, answering `429 Too Many Requests` (plain text, with
/// `Retry-After`) once the bucket is empty.
///
/// Called inside a Tokio runtime, it also starts a task that purges idle clients every 60 s and
/// ends once the layer (and every service made from it) is dropped.
pub fn rate_limit(quota: Quota) -> RateLimitLayer {
    let config = GovernorConfigBuilder::default()
        .period(quota.period())
        .burst_size(quota.burst.get())
        .finish()
        .expect("period and burst are non-zero");
    spawn_purge(config.limiter());
    GovernorLayer::new(config).error_handler(limited_response)
}

/// Like [`rate_limit`], but only requests whose path satisfies `matches` are counted and
/// limited; the rest pass untouched. For routes that cannot take a `route_layer` one by one,
/// such as the server functions `leptos_routes` registers:
///
/// ```text
/// .layer(middleware::rate_limit_matching(limits.server_fns, |path| path.starts_with("/api/") && !path.starts_with("/api/autogpt/")))
/// ```
pub fn rate_limit_matching(quota: Quota, matches: fn(&str) -> bool) -> ScopedRateLimitLayer {
    ScopedRateLimitLayer { limit: rate_limit(quota), matches }
}

/// The layer returned by [`rate_limit_matching`].
#[derive(Clone)]
pub struct ScopedRateLimitLayer {
    limit: RateLimitLayer,
    matches: fn(&str) -> bool,
}

impl<S: Clone> Layer<S> for ScopedRateLimitLayer {
    type Service = ScopedRateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ScopedRateLimit { limited: self.limit.layer(inner.clone()), plain: inner, matches: self.matches }
    }
}

/// The service made by [`ScopedRateLimitLayer`].
#[derive(Clone)]
pub struct ScopedRateLimit<S> {
    limited: Governor<PeerIpKeyExtractor, NoOpMiddleware, S, Body>,
    plain: S,
    matches: fn(&str) -> bool,
}

impl<S, ReqBody> Service<Request<ReqBody>> for ScopedRateLimit<S>
where
    S: Service<Request<ReqBody>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Each call drives a clone to readiness itself (`oneshot`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if (self.matches)(request.uri().path()) {
            Box::pin(self.limited.clone().oneshot(request))
        } else {
            Box::pin(self.plain.clone().oneshot(request))
        }
    }
}

fn limited_response(error: GovernorError) -> Response<Body> {
    match error {
        GovernorError::TooManyRequests { headers, .. } => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))],
                "too many requests\n",
            )
                .into_response();
            // `retry-after` and `x-ratelimit-after`, in seconds.
            response.headers_mut().extend(headers.unwrap_or_default());
            response
        }
        GovernorError::UnableToExtractKey => {
            tracing::error!(
                "rate limiter found no peer address: serve with into_make_service_with_connect_info::<SocketAddr>()"
            );
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        GovernorError::Other { code, .. } => code.into_response(),
    }
}

fn spawn_purge(limiter: &Limiter) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("rate limiter built outside a Tokio runtime: idle clients are never purged");
        return;
    };
    runtime.spawn(purge_every(Arc::downgrade(limiter), PURGE_EVERY));
}

async fn purge_every(limiter: Weak<<Limiter as std::ops::Deref>::Target>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(limiter) = limiter.upgrade() else { return };
        limiter.retain_recent();
        limiter.shrink_to_fit();
        tracing::debug!(clients = limiter.len(), "rate limiter purged");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_budgets() {
        let limits = RateLimits::default();
        assert_eq!((limits.callback.per_second().get(), limits.callback.burst().get()), (2, 10));
        assert_eq!((limits.server_fns.per_second().get(), limits.server_fns.burst().get()), (20, 60));
        assert_eq!((limits.webhook.per_second().get(), limits.webhook.burst().get()), (200, 1000));
        assert_eq!(limits.webhook.period(), Duration::from_millis(5));
        assert_eq!(quota(u32::MAX, 1).period(), Duration::from_nanos(1));
    }

    #[tokio::test]
    async fn the_purge_task_ends_once_the_limiter_is_gone() {
        // The task holds only a weak reference; once the limiter is dropped it returns on its
        // next tick instead of living forever.
        let gone = Weak::<<Limiter as std::ops::Deref>::Target>::new();
        tokio::time::timeout(Duration::from_secs(5), purge_every(gone, Duration::from_millis(10)))
            .await
            .expect("purge task returns once the limiter is gone");
    }
}
