//! Prometheus metrics: the [`Metrics`] handle the services increment and the
//! [`track_metrics`] middleware that counts every HTTP response. `GET /metrics`
//! (`routes::metrics`) renders them.
//!
//! Architecture invariant: every label has a small, fixed set of values (method names, status
//! codes, enum outcomes, short error kinds), so no client can grow the series without bound.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::Response,
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

/// What became of one webhook delivery (`webhooks_total{outcome}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WebhookOutcome {
    /// Signature valid, event stored.
    Accepted,
    /// Bad or missing signature, stale timestamp, malformed body.
    Rejected,
    /// Already seen (same delivery id); answered 2xx without storing again.
    Duplicate,
    /// Body over the size limit.
    TooLarge,
    /// Our own failure (database, ...).
    Error,
}

impl WebhookOutcome {
    /// Every outcome, so each series exists (at 0) from start-up.
    pub const ALL: [Self; 5] = [Self::Accepted, Self::Rejected, Self::Duplicate, Self::TooLarge, Self::Error];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Duplicate => "duplicate",
            Self::TooLarge => "too_large",
            Self::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct WebhookLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TokenErrorLabels {
    kind: String,
}

/// The application's metrics. Cloning is one reference count (the middleware clones it per
/// request); put one in `AppState` and reach it with `State<Metrics>` through `FromRef`.
#[derive(Clone)]
pub struct Metrics(Arc<Series>);

struct Series {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    webhooks: Family<WebhookLabels, Counter>,
    token_refreshes: Counter,
    token_errors: Family<TokenErrorLabels, Counter>,
    webhooks_dead: Gauge,
    runs_watched: Gauge,
    run_polls: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered (counters named without `_total`: the
    /// OpenMetrics encoder appends it).
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register("http_requests", "HTTP responses by method and status", http_requests.clone());
        let webhooks = Family::<WebhookLabels, Counter>::default();
        registry.register("webhooks", "Webhook deliveries by outcome", webhooks.clone());
        let token_refreshes = Counter::default();
        registry.register("token_refreshes", "Successful access-token refreshes", token_refreshes.clone());
        let token_errors = Family::<TokenErrorLabels, Counter>::default();
        registry.register("token_errors", "Token endpoint failures by kind", token_errors.clone());
        let webhooks_dead = Gauge::default();
        registry.register(
            "webhooks_dead",
            "Webhook deliveries whose processing was given up for good (kept in the inbox)",
            webhooks_dead.clone(),
        );
        let runs_watched = Gauge::default();
        registry.register("runs_watched", "Live runs this instance is watching now", runs_watched.clone());
        let run_polls = Gauge::default();
        registry.register("run_polls", "Run status polls this instance made since it started", run_polls.clone());
        for outcome in WebhookOutcome::ALL {
            let _ = webhooks.get_or_create(&WebhookLabels { outcome: outcome.as_str() });
        }
        Self(Arc::new(Series {
            registry,
            http_requests,
            webhooks,
            token_refreshes,
            token_errors,
            webhooks_dead,
            runs_watched,
            run_polls,
        }))
    }

    /// Sets the run watchers' figures (read at each scrape).
    pub fn set_run_watch(&self, watched: usize, polls: u64) {
        self.0.runs_watched.set(i64::try_from(watched).unwrap_or(i64::MAX));
        self.0.run_polls.set(i64::try_from(polls).unwrap_or(i64::MAX));
    }

    /// Sets how many deliveries were given up (read from storage at each scrape).
    pub fn set_webhooks_dead(&self, count: i64) {
        self.0.webhooks_dead.set(count);
    }

    /// Counts one HTTP response (done by [`track_metrics`]).
    pub fn http_request(&self, method: &Method, status: u16) {
        self.0.http_requests.get_or_create(&HttpLabels { method: method_label(method), status }).inc();
    }

    /// Counts one webhook delivery.
    pub fn webhook(&self, outcome: WebhookOutcome) {
        self.0.webhooks.get_or_create(&WebhookLabels { outcome: outcome.as_str() }).inc();
    }

    /// Counts one successful token refresh.
    pub fn refresh(&self) {
        self.0.token_refreshes.inc();
    }

    /// Counts one token failure, e.g. `"invalid_grant"` (an OAuth error code) or `"transport"`.
    /// A kind that is not 1–40 characters of `a-z`, `0-9`, `_` is counted as `"other"`, so a
    /// platform answering odd error codes cannot create arbitrary series.
    pub fn token_error(&self, kind: &str) {
        let kind = if is_label_word(kind) { kind } else { "other" };
        self.0.token_errors.get_or_create(&TokenErrorLabels { kind: kind.to_owned() }).inc();
    }

    /// The OpenMetrics text exposition (ends with `# EOF`).
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.0.registry)?;
        Ok(text)
    }
}

/// Middleware counting every response in `http_requests_total{method,status}`:
/// `.layer(axum::middleware::from_fn_with_state(metrics, middleware::track_metrics))`.
pub async fn track_metrics(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    metrics.http_request(&method, response.status().as_u16());
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn is_label_word(kind: &str) -> bool {
    (1..=40).contains(&kind.len()) && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_fixed_label_values() {
        let metrics = Metrics::new();
        metrics.http_request(&Method::GET, 200);
        metrics.http_request(&Method::from_bytes(b"BREW").unwrap(), 405);
        metrics.webhook(WebhookOutcome::TooLarge);
        metrics.refresh();
        metrics.token_error("invalid_grant");
        metrics.token_error("Evil\"} 1\nx{");
        let text = metrics.render().unwrap();
        assert!(text.contains(r#"http_requests_total{method="GET",status="200"} 1"#), "{text}");
        assert!(text.contains(r#"http_requests_total{method="other",status="405"} 1"#), "{text}");
        assert!(text.contains(r#"webhooks_total{outcome="too_large"} 1"#), "{text}");
        assert!(text.contains(r#"webhooks_total{outcome="accepted"} 0"#), "{text}");
        assert!(text.contains("token_refreshes_total 1"), "{text}");
        assert!(text.contains(r#"token_errors_total{kind="invalid_grant"} 1"#), "{text}");
        assert!(text.contains(r#"token_errors_total{kind="other"} 1"#), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }
}
