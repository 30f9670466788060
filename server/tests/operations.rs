//! The operational HTTP layer over a real socket (checklist 16, 17, 45, 46, 63; PRODUCT B9):
//! security headers, request ids and logs, metrics and per-IP rate limits.
//!
//! Each test builds a small router of dummy routes wrapped in the same layers `startup.rs` uses,
//! served on 127.0.0.1:0 with `into_make_service_with_connect_info::<SocketAddr>()`, so the
//! rate limiter sees the real peer address.

use std::{
    io::Write,
    net::SocketAddr,
    num::NonZeroU32,
    sync::{Arc, Mutex, OnceLock},
    time::Instant,
};

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    middleware::from_fn_with_state,
    routing::{get, post},
};
use reqwest::Client;
use server::{
    middleware::{
        Metrics, Quota, RateLimits, WebhookOutcome, rate_limit, rate_limit_matching, request_tracing, security_headers,
        track_metrics,
    },
    routes,
};
use url::Url;

const PLATFORM: &str = "http://127.0.0.1:8006";

/// A router shaped like the real one: a page, a callback, a webhook, a server function, metrics.
fn app(metrics: Metrics, limits: RateLimits) -> Router {
    let platform = Url::parse(PLATFORM).unwrap();
    Router::new()
        .route("/connect", get(|| async { "connect page" }))
        .route(
            "/own-csp",
            get(|| async { ([(header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'")], "x") }),
        )
        .route("/api/autogpt/callback", get(|| async { "callback" }).layer(rate_limit(limits.callback)))
        .route(
            "/api/autogpt/webhook",
            post(|State(metrics): State<Metrics>| async move {
                metrics.webhook(WebhookOutcome::Accepted);
                StatusCode::NO_CONTENT
            })
            .layer(rate_limit(limits.webhook)),
        )
        .route("/api/session_status", post(|| async { "{}" }))
        .route("/metrics", get(routes::metrics::metrics))
        .layer(rate_limit_matching(limits.server_fns, |path| {
            path.starts_with("/api/") && !path.starts_with("/api/autogpt/")
        }))
        .layer(from_fn_with_state(metrics.clone(), track_metrics))
        .layer(security_headers(&platform))
        .layer(request_tracing())
        .with_state(metrics)
}

fn quota(per_second: u32, burst: u32) -> Quota {
    Quota::new(NonZeroU32::new(per_second).unwrap(), NonZeroU32::new(burst).unwrap())
}

/// Small budgets so a test exhausts them in a handful of requests.
fn tight_limits() -> RateLimits {
    RateLimits { callback: quota(1, 3), server_fns: quota(1, 4), webhook: quota(1, 5) }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    format!("http://{addr}")
}

async fn spawn_app() -> (String, Metrics) {
    let metrics = Metrics::new();
    (serve(app(metrics.clone(), tight_limits())).await, metrics)
}

fn header<'r>(response: &'r reqwest::Response, name: &str) -> Option<&'r str> {
    response.headers().get(name).map(|value| value.to_str().unwrap())
}

/// Sends `count` requests built by `request(i)`; returns the statuses and the time taken.
async fn burst<F>(count: usize, request: F) -> (Vec<u16>, std::time::Duration)
where
    F: Fn(usize) -> reqwest::RequestBuilder,
{
    let started = Instant::now();
    let mut statuses = Vec::with_capacity(count);
    for i in 0..count {
        statuses.push(request(i).send().await.unwrap().status().as_u16());
    }
    (statuses, started.elapsed())
}

/// A limiter with `burst` and 1/s replenishment lets through at most `burst` plus one per
/// elapsed second (plus one for the partial second); everything else must be 429.
fn assert_limited(statuses: &[u16], burst: usize, elapsed: std::time::Duration, ok: u16) {
    assert!(statuses[..burst].iter().all(|&status| status == ok), "the burst is allowed: {statuses:?}");
    let allowed = statuses.iter().filter(|&&status| status == ok).count();
    let budget = burst + elapsed.as_secs() as usize + 1;
    assert!(allowed <= budget, "{allowed} allowed, budget {budget}: {statuses:?}");
    assert!(statuses.iter().all(|&status| status == ok || status == 429), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn item_17_csp_has_frame_ancestors_none_and_form_action_allows_the_platform() {
    let (url, _) = spawn_app().await;
    let response = reqwest::get(format!("{url}/connect")).await.unwrap();
    assert_eq!(response.status(), 200);
    let csp = header(&response, "content-security-policy").expect("CSP present");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains(&format!("form-action 'self' {PLATFORM};")), "{csp}");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"), "{csp}");
    assert_eq!(header(&response, "x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn item_16_no_cross_origin_opener_policy_same_origin() {
    let (url, _) = spawn_app().await;
    for path in ["/connect", "/api/autogpt/callback", "/missing"] {
        let response = reqwest::get(format!("{url}{path}")).await.unwrap();
        let coop = header(&response, "cross-origin-opener-policy");
        assert!(
            matches!(coop, None | Some("unsafe-none") | Some("same-origin-allow-popups")),
            "{path}: COOP {coop:?} would cut the popup from its opener"
        );
    }
}

#[tokio::test]
async fn nosniff_and_strict_referrer_on_every_response_including_404() {
    let (url, _) = spawn_app().await;
    for path in ["/connect", "/metrics", "/missing"] {
        let response = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(header(&response, "referrer-policy"), Some("strict-origin-when-cross-origin"), "{path}");
        assert!(header(&response, "content-security-policy").is_some(), "{path}");
    }
}

#[tokio::test]
async fn a_route_may_send_its_own_csp() {
    let (url, _) = spawn_app().await;
    let response = reqwest::get(format!("{url}/own-csp")).await.unwrap();
    let csps: Vec<_> = response.headers().get_all("content-security-policy").iter().collect();
    assert_eq!(csps, ["default-src 'none'; frame-ancestors 'none'"]);
}

#[tokio::test]
async fn request_id_is_generated_and_echoed() {
    let (url, _) = spawn_app().await;
    let client = Client::new();
    let first = client.get(format!("{url}/connect")).send().await.unwrap();
    let second = client.get(format!("{url}/connect")).send().await.unwrap();
    let (first, second) = (header(&first, "x-request-id").unwrap(), header(&second, "x-request-id").unwrap());
    assert_eq!(first.len(), 36, "a UUID: {first}");
    assert_ne!(first, second);

    // An id set by a proxy in front of us is kept, so logs can be joined across hops.
    let response = client.get(format!("{url}/connect")).header("x-request-id", "proxy-id-42").send().await.unwrap();
    assert_eq!(header(&response, "x-request-id"), Some("proxy-id-42"));

    // A malformed one (it would forge log fields) is replaced.
    let response = client.get(format!("{url}/connect")).header("x-request-id", "x status=500").send().await.unwrap();
    assert_eq!(header(&response, "x-request-id").unwrap().len(), 36);
}

/// A `MakeWriter` collecting log output in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs (once per test binary) a global subscriber writing into memory, and returns it.
/// Global rather than `set_default`: the server's tasks may run on other threads.
fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in this test binary");
        logs
    })
}

#[tokio::test]
async fn request_log_carries_method_path_and_id_but_no_query_or_headers() {
    let logs = captured_logs();
    let (url, _) = spawn_app().await;
    let response = Client::new()
        .get(format!("{url}/api/autogpt/callback?code=SECRET-CODE&state=SECRET-STATE"))
        .header("authorization", "Bearer SECRET-TOKEN")
        .header("cookie", "id=SECRET-COOKIE")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let id = header(&response, "x-request-id").unwrap().to_owned();
    drop(response);

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|line| line.contains("finished processing request") && line.contains(&id))
        .unwrap_or_else(|| panic!("no response log line for request {id}:\n{text}"));
    assert!(line.contains("method=GET"), "{line}");
    assert!(line.contains("path=/api/autogpt/callback"), "{line}");
    assert!(line.contains(&format!("request_id={id}")), "{line}");
    assert!(line.contains("status=200"), "{line}");
    assert!(!text.contains("SECRET"), "query, headers or cookies leaked into logs:\n{text}");
}

#[tokio::test]
async fn metrics_count_requests_and_show_webhook_outcomes() {
    let (url, metrics) = spawn_app().await;
    let client = Client::new();
    for _ in 0..2 {
        assert_eq!(client.get(format!("{url}/connect")).send().await.unwrap().status(), 200);
    }
    assert_eq!(client.get(format!("{url}/missing")).send().await.unwrap().status(), 404);
    assert_eq!(client.post(format!("{url}/api/autogpt/webhook")).send().await.unwrap().status(), 204);
    metrics.refresh();
    metrics.token_error("invalid_grant");

    let response = client.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some(routes::metrics::OPENMETRICS_CONTENT_TYPE));
    let text = response.text().await.unwrap();
    assert!(text.contains(r#"http_requests_total{method="GET",status="200"} 2"#), "{text}");
    assert!(text.contains(r#"http_requests_total{method="GET",status="404"} 1"#), "{text}");
    assert!(text.contains(r#"http_requests_total{method="POST",status="204"} 1"#), "{text}");
    assert!(text.contains(r#"webhooks_total{outcome="accepted"} 1"#), "{text}");
    for outcome in ["rejected", "duplicate", "too_large", "error"] {
        assert!(text.contains(&format!(r#"webhooks_total{{outcome="{outcome}"}} 0"#)), "{text}");
    }
    assert!(text.contains("token_refreshes_total 1"), "{text}");
    assert!(text.contains(r#"token_errors_total{kind="invalid_grant"} 1"#), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[tokio::test]
async fn item_45_callback_answers_429_after_the_burst() {
    let (url, metrics) = spawn_app().await;
    let client = Client::new();
    let (statuses, elapsed) = burst(10, |_| client.get(format!("{url}/api/autogpt/callback"))).await;
    assert_limited(&statuses, 3, elapsed, 200);

    let response = client.get(format!("{url}/api/autogpt/callback")).send().await.unwrap();
    if response.status() == 429 {
        assert_eq!(header(&response, "content-type"), Some("text/plain; charset=utf-8"));
        assert!(header(&response, "retry-after").is_some());
        // The 429 still carries the security headers and a request id.
        assert!(header(&response, "content-security-policy").is_some());
        assert!(header(&response, "x-request-id").is_some());
        assert_eq!(response.text().await.unwrap(), "too many requests\n");
    }
    let text = metrics.render().unwrap();
    assert!(text.contains(r#"http_requests_total{method="GET",status="429"}"#), "{text}");
}

#[tokio::test]
async fn item_45_server_functions_answer_429_and_other_paths_are_not_counted() {
    let (url, _) = spawn_app().await;
    let client = Client::new();
    // Pages do not spend the server-function budget.
    let (pages, _) = burst(10, |_| client.get(format!("{url}/connect"))).await;
    assert!(pages.iter().all(|&status| status == 200), "{pages:?}");

    let (statuses, elapsed) = burst(12, |_| client.post(format!("{url}/api/session_status"))).await;
    assert_limited(&statuses, 4, elapsed, 200);

    // Nor does an exhausted server-function budget block pages.
    assert_eq!(client.get(format!("{url}/connect")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn item_46_spoofed_forwarding_headers_do_not_change_the_key() {
    let (url, _) = spawn_app().await;
    let client = Client::new();
    let (statuses, elapsed) = burst(10, |i| {
        client
            .get(format!("{url}/api/autogpt/callback"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .header("x-real-ip", format!("198.51.100.{i}"))
            .header("forwarded", format!("for=192.0.2.{i}"))
    })
    .await;
    // Keyed by the header, every request would be a fresh client and none would be refused.
    assert_limited(&statuses, 3, elapsed, 200);
}

#[tokio::test]
async fn item_63_the_webhook_is_rate_limited_on_its_own_budget() {
    let (url, metrics) = spawn_app().await;
    let client = Client::new();
    // Exhaust the callback budget first: the webhook's is separate.
    let (callbacks, _) = burst(8, |_| client.get(format!("{url}/api/autogpt/callback"))).await;
    assert!(callbacks.contains(&429), "{callbacks:?}");

    let (statuses, elapsed) = burst(14, |_| client.post(format!("{url}/api/autogpt/webhook"))).await;
    assert_limited(&statuses, 5, elapsed, 204);
    // Refused deliveries never reach the handler.
    let accepted = statuses.iter().filter(|&&status| status == 204).count();
    assert!(
        metrics.render().unwrap().contains(&format!(r#"webhooks_total{{outcome="accepted"}} {accepted}"#)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn default_webhook_budget_absorbs_a_benchmark_burst_from_one_address() {
    let metrics = Metrics::new();
    let url = serve(app(metrics.clone(), RateLimits::default())).await;
    let client = Client::new();
    let (statuses, _) = burst(300, |_| client.post(format!("{url}/api/autogpt/webhook"))).await;
    assert!(statuses.iter().all(|&status| status == 204), "{statuses:?}");
}

#[tokio::test]
async fn without_connect_info_the_limiter_fails_closed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(Metrics::new(), tight_limits());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = Client::new();
    let response = client.get(format!("http://{addr}/api/autogpt/callback")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    // Unlimited routes are unaffected.
    assert_eq!(client.get(format!("http://{addr}/connect")).send().await.unwrap().status(), 200);
}
