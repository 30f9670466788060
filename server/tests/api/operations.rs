//! The operational HTTP layer on the production router (checklist 16, 17, 45, 46, 63;
//! PRODUCT B9): security headers, request ids and logs, metrics and per-IP rate limits.
//!
//! Each test starts the real application (`server::router` behind `Application`, served with
//! `into_make_service_with_connect_info::<SocketAddr>()`, so the rate limiter sees the real
//! peer address) with budgets small enough to exhaust in a handful of requests.

use std::{
    io::Write,
    num::NonZeroU32,
    sync::{Arc, Mutex, OnceLock},
    time::Instant,
};

use reqwest::Client;
use server::middleware::{Quota, RateLimits};
use server::routes;

use crate::support::{TestApp, spawn_app_with, temp_sqlite};

fn quota(per_second: u32, burst: u32) -> Quota {
    Quota::new(NonZeroU32::new(per_second).unwrap(), NonZeroU32::new(burst).unwrap())
}

/// Small budgets so a test exhausts them in a handful of requests.
fn tight_limits() -> RateLimits {
    RateLimits { callback: quota(1, 3), server_fns: quota(1, 4), webhook: quota(1, 5) }
}

async fn spawn_app() -> TestApp {
    spawn_app_with(tight_limits(), temp_sqlite(), sandbox::Config::for_tests()).await
}

/// What the real routes answer a request without anything: the callback without `state`
/// (400, nothing exchanged), the webhook without a signature (401).
const BARE_CALLBACK: u16 = 400;
const BARE_WEBHOOK: u16 = 401;

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
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/connect", app.url)).await.unwrap();
    assert_eq!(response.status(), 200);
    let csp = header(&response, "content-security-policy").expect("CSP present");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains(&format!("form-action 'self' {};", app.platform.base_url())), "{csp}");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"), "{csp}");
    assert_eq!(header(&response, "x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn item_16_no_cross_origin_opener_policy_same_origin() {
    let app = spawn_app().await;
    let url = &app.url;
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
    let app = spawn_app().await;
    let url = &app.url;
    for path in ["/connect", "/metrics", "/missing"] {
        let response = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(header(&response, "referrer-policy"), Some("strict-origin-when-cross-origin"), "{path}");
        assert!(header(&response, "content-security-policy").is_some(), "{path}");
    }
}

#[tokio::test]
async fn request_id_is_generated_and_echoed() {
    let app = spawn_app().await;
    let url = &app.url;
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
    let app = spawn_app().await;
    let url = &app.url;
    let response = Client::new()
        .get(format!("{url}/api/autogpt/callback?code=SECRET-CODE&state=SECRET-STATE"))
        .header("authorization", "Bearer SECRET-TOKEN")
        .header("cookie", "id=SECRET-COOKIE")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), BARE_CALLBACK);
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
    assert!(line.contains(&format!("status={BARE_CALLBACK}")), "{line}");
    assert!(!text.contains("SECRET"), "query, headers or cookies leaked into logs:\n{text}");
}

#[tokio::test]
async fn metrics_count_requests_and_show_webhook_outcomes() {
    let app = spawn_app().await;
    let (url, metrics) = (&app.url, &app.state.metrics);
    let client = Client::new();
    for _ in 0..2 {
        assert_eq!(client.get(format!("{url}/connect")).send().await.unwrap().status(), 200);
    }
    assert_eq!(client.get(format!("{url}/missing")).send().await.unwrap().status(), 404);
    assert_eq!(client.post(format!("{url}/api/autogpt/webhook")).send().await.unwrap().status(), BARE_WEBHOOK);
    metrics.refresh();
    metrics.token_error("invalid_grant");

    let response = client.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some(routes::metrics::OPENMETRICS_CONTENT_TYPE));
    let text = response.text().await.unwrap();
    assert!(text.contains(r#"http_requests_total{method="GET",status="200"} 2"#), "{text}");
    assert!(text.contains(r#"http_requests_total{method="GET",status="404"} 1"#), "{text}");
    assert!(text.contains(r#"http_requests_total{method="POST",status="401"} 1"#), "{text}");
    assert!(text.contains(r#"webhooks_total{outcome="rejected"} 1"#), "{text}");
    for outcome in ["accepted", "duplicate", "too_large", "error"] {
        assert!(text.contains(&format!(r#"webhooks_total{{outcome="{outcome}"}} 0"#)), "{text}");
    }
    assert!(text.contains("token_refreshes_total 1"), "{text}");
    assert!(text.contains(r#"token_errors_total{kind="invalid_grant"} 1"#), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[tokio::test]
async fn item_45_callback_answers_429_after_the_burst() {
    let app = spawn_app().await;
    let (url, metrics) = (&app.url, &app.state.metrics);
    let client = Client::new();
    let (statuses, elapsed) = burst(10, |_| client.get(format!("{url}/api/autogpt/callback"))).await;
    assert_limited(&statuses, 3, elapsed, BARE_CALLBACK);

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
    let app = spawn_app().await;
    let url = &app.url;
    let client = Client::new();
    // Pages do not spend the server-function budget.
    let (pages, _) = burst(10, |_| client.get(format!("{url}/connect"))).await;
    assert!(pages.iter().all(|&status| status == 200), "{pages:?}");

    let (statuses, elapsed) =
        burst(12, |_| client.post(format!("{url}/api/app/session")).header("content-type", "application/x-postcard"))
            .await;
    assert_limited(&statuses, 4, elapsed, 200);

    // Nor does an exhausted server-function budget block pages.
    assert_eq!(client.get(format!("{url}/connect")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn item_46_spoofed_forwarding_headers_do_not_change_the_key() {
    let app = spawn_app().await;
    let url = &app.url;
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
    assert_limited(&statuses, 3, elapsed, BARE_CALLBACK);
}

#[tokio::test]
async fn item_63_the_webhook_is_rate_limited_on_its_own_budget() {
    let app = spawn_app().await;
    let (url, metrics) = (&app.url, &app.state.metrics);
    let client = Client::new();
    // Exhaust the callback budget first: the webhook's is separate.
    let (callbacks, _) = burst(8, |_| client.get(format!("{url}/api/autogpt/callback"))).await;
    assert!(callbacks.contains(&429), "{callbacks:?}");

    let (statuses, elapsed) = burst(14, |_| client.post(format!("{url}/api/autogpt/webhook"))).await;
    assert_limited(&statuses, 5, elapsed, BARE_WEBHOOK);
    // Refused deliveries never reach the handler.
    let handled = statuses.iter().filter(|&&status| status == BARE_WEBHOOK).count();
    assert!(
        metrics.render().unwrap().contains(&format!(r#"webhooks_total{{outcome="rejected"}} {handled}"#)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn default_webhook_budget_absorbs_a_benchmark_burst_from_one_address() {
    let app = spawn_app_with(RateLimits::default(), temp_sqlite(), sandbox::Config::for_tests()).await;
    let client = Client::new();
    let (statuses, _) = burst(300, |_| client.post(format!("{}/api/autogpt/webhook", app.url))).await;
    assert!(statuses.iter().all(|&status| status == BARE_WEBHOOK), "{statuses:?}");
}

#[tokio::test]
async fn without_connect_info_the_limiter_fails_closed() {
    let app = spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The production router, served without `into_make_service_with_connect_info`.
    let router = server::router(app.state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = Client::new();
    let response = client.get(format!("http://{addr}/api/autogpt/callback")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    // Unlimited routes are unaffected.
    assert_eq!(client.get(format!("http://{addr}/connect")).send().await.unwrap().status(), 200);
}
