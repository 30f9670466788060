//! The "browser" of these tests: a reqwest client with its own cookie jar that follows no
//! redirects and records every response of the app (for the token scan, checklist 35), plus
//! the scripted sign-in through the sandbox's login and consent pages.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use autogpt::secret::WebhookSecret;
use autogpt::webhook::{SIGNATURE_HEADER, sign_raw};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use url::Url;

use crate::support::TestApp;

/// One answer, read completely.
#[derive(Debug)]
pub struct Resp {
    /// The request URL.
    pub url: String,
    pub status: StatusCode,
    /// `Location`, made absolute.
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    /// The body as text (a server function's postcard answer: decoded and shown as JSON).
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{} answered non-JSON ({e}): {}", self.url, self.body))
    }
}

/// A browser: one cookie jar, no redirect following.
pub struct Browser {
    client: Client,
    jar: Arc<Jar>,
    /// Public URL of the app (its `Origin`).
    pub app: String,
    /// Base URL of the platform.
    pub platform: String,
    /// Every app response: URL, status, Location, Set-Cookie lines and body.
    pub seen: Mutex<Vec<String>>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::with_urls(&app.url, app.platform.base_url())
    }

    pub fn with_urls(app: &str, platform: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self { client, jar, app: app.to_owned(), platform: platform.to_owned(), seen: Mutex::new(Vec::new()) }
    }

    pub async fn send(&self, request: RequestBuilder) -> Resp {
        self.send_raw(request).await.0
    }

    /// [`Browser::send`], also returning the body's bytes.
    async fn send_raw(&self, request: RequestBuilder) -> (Resp, Vec<u8>) {
        let r = request.send().await.expect("request sent");
        let url = r.url().clone();
        let location = r.headers().get(LOCATION).map(|v| url.join(v.to_str().unwrap()).unwrap().to_string());
        let set_cookies: Vec<String> =
            r.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        let status = r.status();
        let bytes = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        // Lossy text keeps every ASCII run (postcard writes strings as raw UTF-8), so the
        // token scans of checklist 35 see binary answers too.
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if url.as_str().starts_with(&self.app) {
            let record = format!("{url} {status}\n{location:?}\n{}\n{body}", set_cookies.join("\n"));
            self.seen.lock().unwrap().push(record);
        }
        (Resp { url: url.to_string(), status, location, set_cookies, body }, bytes)
    }

    pub async fn get(&self, url: &str) -> Resp {
        self.send(self.client.get(url)).await
    }

    /// A form post with extra request headers (`Origin`, `Sec-Fetch-Site`: what another site's
    /// page would send).
    pub async fn post_form_with(&self, url: &str, headers: &[(&str, &str)], form: &[(&str, &str)]) -> Resp {
        let mut request = self.client.post(url).form(form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    pub async fn post_form(&self, url: &str, origin: Option<&str>, form: &[(&str, &str)]) -> Resp {
        let mut request = self.client.post(url).form(form);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        self.send(request).await
    }

    /// A server function (`POST /api/app/<endpoint>`) from our own page. `args` are its string
    /// arguments in declaration order.
    pub async fn call(&self, endpoint: &str, args: &[(&str, &str)]) -> Resp {
        self.call_from(Some(&self.app.clone()), endpoint, args).await
    }

    /// A server function with the given `Origin` (or none), encoded as the browser does:
    /// postcard in both directions (the answer is decoded into the app's types and shown
    /// as JSON in [`Resp::body`]).
    pub async fn call_from(&self, origin: Option<&str>, endpoint: &str, args: &[(&str, &str)]) -> Resp {
        self.call_on(&self.app.clone(), origin, endpoint, args).await
    }

    /// [`Browser::call_from`] on the server at `base` (another replica).
    pub async fn call_on(&self, base: &str, origin: Option<&str>, endpoint: &str, args: &[(&str, &str)]) -> Resp {
        // The arguments struct of N strings is, in postcard, N length-prefixed strings.
        let strings: Vec<&str> = args.iter().map(|(_, v)| *v).collect();
        let mut body = Vec::new();
        for s in &strings {
            body.extend(postcard::to_allocvec(s).unwrap());
        }
        self.call_raw(base, origin, endpoint, body).await
    }

    /// Starts `agent_id` with one text input (the `agents/execute` server function).
    pub async fn execute(&self, agent_id: &str) -> Resp {
        let inputs = vec![("text".to_owned(), "hello".to_owned())];
        let body = postcard::to_allocvec(&(agent_id, inputs)).unwrap();
        self.call_raw(&self.app.clone(), Some(&self.app.clone()), "agents/execute", body).await
    }

    async fn call_raw(&self, base: &str, origin: Option<&str>, endpoint: &str, body: Vec<u8>) -> Resp {
        let mut request = self
            .client
            .post(format!("{base}/api/app/{endpoint}"))
            .header(CONTENT_TYPE, "application/x-postcard")
            .header(ACCEPT, "application/x-postcard")
            .body(body);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        let (mut r, bytes) = self.send_raw(request).await;
        r.body = server_fn_answer_as_json(endpoint, r.status, &bytes)
            .unwrap_or_else(|| format!("undecodable answer: {}", String::from_utf8_lossy(&bytes)));
        r
    }

    /// POST with our `Origin` and no body to an app route (refresh, logout).
    pub async fn post_app(&self, base: &str, path: &str) -> Resp {
        self.send(self.client.post(format!("{base}{path}")).header(ORIGIN, &self.app)).await
    }

    /// A streaming GET (SSE): the raw response.
    pub async fn stream(&self, url: &str) -> reqwest::Response {
        self.client.get(url).timeout(Duration::from_secs(30)).send().await.expect("stream opens")
    }

    /// The value of cookie `name` the jar sends to the app.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.jar.cookies(&Url::parse(&self.app).unwrap())?;
        let header = header.to_str().unwrap().to_owned();
        header.split("; ").find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    /// Everything the app sent this browser.
    pub fn transcript(&self) -> String {
        self.seen.lock().unwrap().join("\n----\n")
    }
}

/// The value of `<input ... name="{name}" value="...">` in a page.
pub fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    Some(body[start..].split('"').next()?.to_owned())
}

/// `GET /api/autogpt/authorize{query}` on the app.
pub async fn authorize(b: &Browser, query: &str) -> Resp {
    let r = b.get(&format!("{}/api/autogpt/authorize{query}", b.app)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "authorize: {}", r.body);
    r
}

/// Follows the platform from `start` (logging in as alice, answering the consent page with
/// `decision`) up to the redirect to the app's callback, which is returned unvisited.
pub async fn to_callback(b: &Browser, start: Resp, decision: &str) -> String {
    to_callback_as(b, start, decision, ("alice@example.com", "alice-password")).await
}

/// [`to_callback`] logging in as `user` (email, password).
pub async fn to_callback_as(b: &Browser, start: Resp, decision: &str, user: (&str, &str)) -> String {
    let callback = format!("{}/api/autogpt/callback", b.app);
    let mut resp = start;
    for _ in 0..10 {
        if let Some(next) = resp.location.clone() {
            if next.starts_with(&callback) {
                return next;
            }
            let parsed = Url::parse(&next).unwrap();
            resp = if parsed.path() == "/login" {
                let cont = parsed.query_pairs().find(|(k, _)| k == "continue").map(|(_, v)| v.into_owned());
                let form = [("email", user.0), ("password", user.1), ("continue", cont.as_deref().unwrap_or("/"))];
                b.post_form(&format!("{}/login", b.platform), Some(&b.platform.clone()), &form).await
            } else {
                b.get(&next).await
            };
        } else if let Some(token) = hidden(&resp.body, "consent_token") {
            let form = [("consent_token", token.as_str()), ("decision", decision)];
            resp = b.post_form(&format!("{}/oauth/consent", b.platform), Some(&b.platform.clone()), &form).await;
        } else {
            panic!("sign-in stuck at {} ({}): {}", resp.url, resp.status, resp.body);
        }
    }
    panic!("sign-in did not reach the callback");
}

/// A full sign-in as alice; returns the callback's answer.
pub async fn sign_in(b: &Browser, query: &str) -> Resp {
    let start = authorize(b, query).await;
    let callback = to_callback(b, start, "approve").await;
    b.get(&callback).await
}

/// A full sign-in that must succeed.
pub async fn signed_in(app: &TestApp) -> Browser {
    let b = Browser::new(app);
    let done = sign_in(&b, "").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some(format!("{}/connect?success=true", b.app).as_str()));
    b
}

/// Token-endpoint effects at the sandbox: (codes exchanged, tokens issued).
pub fn token_activity(app: &TestApp) -> (usize, usize) {
    let db = app.platform.state().db();
    (db.codes.iter().filter(|c| c.used).count(), db.tokens.len())
}

/// Every access and refresh token the sandbox ever issued.
pub fn issued_tokens(app: &TestApp) -> Vec<String> {
    app.platform.state().db().tokens.iter().map(|t| t.token.clone()).collect()
}

/// Polls the stored executions (no platform call) until `id` has `status`.
pub async fn wait_for_status(b: &Browser, id: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let list = b.call("executions", &[]).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let found = list.json().as_array().unwrap().iter().find(|e| e["execution_id"] == id).cloned();
        if let Some(e) = found.filter(|e| e["status"] == status) {
            return e;
        }
        assert!(tokio::time::Instant::now() < deadline, "execution {id} never became {status}: {}", list.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// RFC 3339 time `offset_secs` from now.
pub fn iso(offset_secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

/// A webhook body as the platform builds it.
pub fn envelope(event: &str, timestamp: &str, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"event": event, "timestamp": timestamp, "data": data})).unwrap()
}

/// `sha256=<hex>` with the development secret.
pub fn sign(body: &[u8]) -> String {
    sign_raw(&WebhookSecret::new("whsec_dev"), body)
}

/// Posts a webhook delivery with the given signature header (if any) and extra headers.
pub async fn deliver(base: &str, body: &[u8], signature: Option<&str>, extra: &[(&str, &str)]) -> (StatusCode, String) {
    let mut request = Client::new()
        .post(format!("{base}/api/autogpt/webhook"))
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header(SIGNATURE_HEADER, signature);
    }
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    let r = request.send().await.expect("webhook sent");
    (r.status(), r.text().await.unwrap_or_default())
}

/// A server function's postcard answer as JSON: its result type by endpoint, or the
/// app's error for a non-2xx status. `None` when it does not decode.
fn server_fn_answer_as_json(endpoint: &str, status: StatusCode, bytes: &[u8]) -> Option<String> {
    use app::api::{AccountGrants, AccountHistory, AppError, ExecutionView, GrantView, HomeSummary, SessionStatus};
    use app::connect_flow::PreparedAttempt;
    fn json<T: serde::de::DeserializeOwned + serde::Serialize>(bytes: &[u8]) -> Option<String> {
        postcard::from_bytes::<T>(bytes).ok().map(|v| serde_json::to_string(&v).unwrap())
    }
    if !status.is_success() {
        return postcard::from_bytes::<AppError>(bytes).ok().map(|e| format!("{e} ({e:?})"));
    }
    match endpoint {
        "page/home" => json::<HomeSummary>(bytes),
        "page/grants" => json::<AccountGrants>(bytes),
        "page/history" => json::<AccountHistory>(bytes),
        "session" => json::<Option<SessionStatus>>(bytes),
        "connect/begin" => json::<PreparedAttempt>(bytes),
        "connect/record" => json::<GrantView>(bytes),
        "connect/reconcile" => json::<Option<GrantView>>(bytes),
        "grants" => json::<Vec<GrantView>>(bytes),
        "agents/execute" | "executions/status" | "executions/cancel" => json::<ExecutionView>(bytes),
        "executions" => json::<Vec<ExecutionView>>(bytes),
        "runs/status" => json::<Option<app::api::LiveExecution>>(bytes),
        "page/library" => json::<app::api::runs::LibraryPage>(bytes),
        "page/run" => json::<app::api::runs::RunPage>(bytes),
        other => panic!("no answer type known for server function {other}"),
    }
}
