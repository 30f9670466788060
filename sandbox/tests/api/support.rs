//! Test support: an in-process sandbox on 127.0.0.1:0, HTTP clients, PKCE, scripted flows,
//! polling with a bounded deadline, and a webhook receiver.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use sandbox::{Config, Running};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const CALLBACK: &str = "http://127.0.0.1:3000/api/autogpt/callback";
pub const APP_ORIGIN: &str = "http://127.0.0.1:3000";
pub const ALL_SCOPES: &str =
    "openid profile email agents:execute integrations:connect integrations:list integrations:delete";

pub struct Sandbox {
    pub running: Running,
    pub base: String,
    /// No cookies, no redirects followed.
    pub http: reqwest::Client,
}

pub async fn spawn() -> Sandbox {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(f: impl FnOnce(&mut Config)) -> Sandbox {
    let mut config = Config::for_tests();
    f(&mut config);
    let running = sandbox::spawn(config).await.expect("sandbox starts");
    let base = running.base_url().to_owned();
    Sandbox { running, base, http: client(false) }
}

pub fn client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(cookies)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

pub fn pkce() -> (String, String) {
    let verifier = format!("{}{}", "v".repeat(20), sandbox::state::random_token(""));
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// Value of `name="NAME" value="..."` in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    let end = html[start..].find('"').expect("end quote") + start;
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").expect("location header").to_str().expect("ascii").to_owned()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).expect("url");
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

impl Sandbox {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn authorize_url(&self, challenge: &str, state: &str, scope: &str) -> String {
        let q = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", "dev-client"),
            ("redirect_uri", CALLBACK),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("scope", scope),
        ])
        .expect("query");
        self.url(&format!("/oauth/authorize?{q}"))
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .request(method, self.url(&format!("/__admin{path}")))
            .json(&body)
            .send()
            .await
            .expect("admin call");
        assert!(resp.status().is_success(), "admin {path}: {}", resp.status());
        resp.json().await.expect("admin json")
    }

    /// API-key flow up to a code: authorize with X-API-Key, approve from the app's origin.
    pub async fn code_via_api_key(&self, api_key: &str, scope: &str) -> (String, String) {
        let (verifier, challenge) = pkce();
        let resp = self
            .http
            .get(self.authorize_url(&challenge, "st", scope))
            .header("X-API-Key", api_key)
            .send()
            .await
            .unwrap();
        let code = if resp.status() == StatusCode::FOUND {
            query_param(&location(&resp), "code").expect("code")
        } else {
            assert_eq!(resp.status(), 200);
            let html = resp.text().await.unwrap();
            let token = hidden(&html, "consent_token");
            let resp = self
                .http
                .post(self.url("/oauth/consent"))
                .header("Origin", APP_ORIGIN)
                .form(&[("consent_token", token.as_str()), ("decision", "approve")])
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 302);
            query_param(&location(&resp), "code").expect("code")
        };
        (code, verifier)
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> reqwest::Response {
        self.http
            .post(self.url("/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier),
                ("client_id", "dev-client"),
                ("client_secret", "dev-client-secret"),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn refresh(&self, refresh: &str) -> reqwest::Response {
        self.http
            .post(self.url("/oauth/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", "dev-client"),
                ("client_secret", "dev-client-secret"),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn tokens_for(&self, api_key: &str, scope: &str) -> Tokens {
        let (code, verifier) = self.code_via_api_key(api_key, scope).await;
        let resp = self.exchange(&code, &verifier).await;
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            body,
        }
    }

    pub async fn alice(&self) -> Tokens {
        self.tokens_for("agpt_alice_dev_key", ALL_SCOPES).await
    }

    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, String) {
        let mut req = self.http.request(method, self.url(&format!("/api/external/v1{path}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.unwrap())
    }

    /// Create a grant for alice's seeded credential of `provider` through the connect popup.
    pub async fn alice_grant(&self, provider: &str, scopes: &str) -> Value {
        let browser = client(true);
        login(&browser, self, "alice@example.com", "alice-password").await;
        let html = connect_page(&browser, self, provider, scopes, &fresh_nonce()).await;
        let token = hidden(&html, "connect_token");
        let resp = browser
            .post(self.url(&format!("/connect/{provider}/decision")))
            .header("Origin", self.base.as_str())
            .form(&[
                ("connect_token", token.as_str()),
                ("action", "approve"),
                ("credential_id", &format!("cred-alice-{provider}")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        message_of(&resp.text().await.unwrap())
    }
}

pub fn fresh_nonce() -> String {
    sandbox::state::random_token("n")
}

pub async fn login(browser: &reqwest::Client, sb: &Sandbox, email: &str, password: &str) {
    let resp = browser
        .post(sb.url("/login"))
        .header("Origin", sb.base.as_str())
        .form(&[("email", email), ("password", password), ("continue", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "login");
}

pub async fn connect_page(
    browser: &reqwest::Client,
    sb: &Sandbox,
    provider: &str,
    scopes: &str,
    nonce: &str,
) -> String {
    let q = serde_urlencoded::to_string([
        ("client_id", "dev-client"),
        ("scopes", scopes),
        ("nonce", nonce),
        ("redirect_origin", APP_ORIGIN),
    ])
    .unwrap();
    let resp = browser.get(sb.url(&format!("/connect/{provider}?{q}"))).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

/// The JSON message the result page posts (parsed from `var msg=...;`).
pub fn message_of(html: &str) -> Value {
    let start = html.find("var msg=").expect("message script") + "var msg=".len();
    let end = html[start..].find(";var target=").expect("target") + start;
    serde_json::from_str(&html[start..end]).expect("message json")
}

/// Poll `f` until it yields `Some`, for at most 10 s.
pub async fn eventually<T, F, Fut>(mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "condition not met in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A captured webhook request.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer to each distinct body, in order; 200 once exhausted.
    pub answers: Arc<Mutex<Vec<u16>>>,
    seen: Arc<Mutex<Vec<Bytes>>>,
}

impl Receiver {
    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A webhook receiver on 127.0.0.1:0; returns its URL `http://127.0.0.1:PORT/hook`.
pub async fn receiver(answers: Vec<u16>) -> (String, Receiver) {
    let r = Receiver { got: Arc::default(), answers: Arc::new(Mutex::new(answers)), seen: Arc::default() };
    async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let nth = {
            let mut seen = r.seen.lock().unwrap();
            seen.push(body.clone());
            seen.iter().filter(|b| **b == body).count() - 1
        };
        r.got.lock().unwrap().push(Received { headers, body });
        let a = r.answers.lock().unwrap();
        let code = a.get(nth).copied().unwrap_or(200);
        StatusCode::from_u16(code).unwrap()
    }
    let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://127.0.0.1:{}/hook", addr.port()), r)
}

/// Object keys, sorted (independent of serde_json's `preserve_order` feature).
pub fn sorted_keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}
