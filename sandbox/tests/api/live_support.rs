//! Test support for the live profile: the sandbox's two live origins, a browser-like client
//! that signs in on the pages origin and walks the consent page, JSON OAuth calls, v2 calls
//! with either credential, and waiting for runs through the shared state (polling the state
//! costs no rate-limit budget).

use reqwest::{Method, StatusCode};
use sandbox::Config;
use sandbox::live::model::RunStatus;
use serde_json::{Value, json};

use crate::support::{Sandbox, client, eventually, location, pkce, query_param, spawn_with};

pub const CLIENT_ID: &str = "agpt_client_dev";
pub const CLIENT_SECRET: &str = "agpt_secret_dev";
pub const CALLBACK: &str = "http://127.0.0.1:3000/api/autogpt/callback";
pub const WIZARD_CALLBACK: &str = "http://127.0.0.1:3000/api/autogpt/integrations/callback";
pub const ALICE_KEY: &str = "agpt_alice_dev_key";
pub const BOB_KEY: &str = "agpt_bob_dev_key";
/// Every scope the app uses in the live profile.
pub const APP_SCOPES: &str = "IDENTITY READ_LIBRARY RUN_AGENT READ_RUN WRITE_RUN READ_RUN_REVIEW WRITE_RUN_REVIEW \
READ_INTEGRATIONS";

pub struct Live {
    pub sb: Sandbox,
    pub api: String,
    pub pages: String,
    /// No cookies, no redirects.
    pub http: reqwest::Client,
}

/// How a v2 call authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    None,
    Key(&'a str),
    Bearer(&'a str),
}

/// A v2 or OAuth answer: status, headers, body text and parsed JSON (`Null` if not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    async fn of(resp: reqwest::Response) -> Self {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, text, json }
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The body equals the literal JSON (compared as values: key order is not the contract).
#[track_caller]
pub fn assert_json(actual: &Value, literal: &str) {
    let expected: Value = serde_json::from_str(literal).expect("literal is JSON");
    assert_eq!(actual, &expected);
}

pub async fn spawn_live() -> Live {
    spawn_live_with(|_| {}).await
}

pub async fn spawn_live_with(f: impl FnOnce(&mut Config)) -> Live {
    let sb = spawn_with(f).await;
    let api = sb.running.live_api_url().to_owned();
    let pages = sb.running.live_pages_url().to_owned();
    Live { sb, api, pages, http: client(false) }
}

pub struct LiveTokens {
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

impl Live {
    pub fn api_url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }
    pub fn pages_url(&self, path: &str) -> String {
        format!("{}{path}", self.pages)
    }

    /// The consent page URL with the seven parameters.
    pub fn authorize_url(&self, challenge: &str, state: &str, scope: &str) -> String {
        let q = serde_urlencoded::to_string([
            ("client_id", CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("scope", scope),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("response_type", "code"),
        ])
        .unwrap();
        self.pages_url(&format!("/auth/authorize?{q}"))
    }

    /// A browser (cookie store, no redirects) signed in on the pages origin, and its session id.
    pub async fn browser(&self, email: &str, password: &str) -> (reqwest::Client, String) {
        let browser = client(true);
        let resp = browser
            .post(self.pages_url("/login"))
            .header("Origin", self.pages.as_str())
            .form(&[("email", email), ("password", password), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "login");
        let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
        let sid = cookie.strip_prefix("agpt_live_session=").unwrap().split(';').next().unwrap().to_owned();
        (browser, sid)
    }

    /// A consent form POST from the pages origin.
    pub async fn consent(&self, browser: &reqwest::Client, fields: &[(&str, &str)]) -> reqwest::Response {
        browser
            .post(self.pages_url("/auth/authorize"))
            .header("Origin", self.pages.as_str())
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Sign in, open the consent page, press Authorize: the code and its verifier.
    pub async fn code_for(&self, email: &str, password: &str, scope: &str) -> (String, String) {
        let (browser, _) = self.browser(email, password).await;
        let (verifier, challenge) = pkce();
        let page = browser.get(self.authorize_url(&challenge, "st", scope)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let resp = self
            .consent(
                &browser,
                &[
                    ("client_id", CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("scope", scope),
                    ("state", "st"),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                    ("response_type", "code"),
                    ("decision", "authorize"),
                ],
            )
            .await;
        assert_eq!(resp.status(), 303);
        (query_param(&location(&resp), "code").expect("code"), verifier)
    }

    /// `POST /api/oauth/{endpoint}` with a JSON body.
    pub async fn oauth(&self, endpoint: &str, body: Value) -> Answer {
        Answer::of(self.http.post(self.api_url(&format!("/api/oauth/{endpoint}"))).json(&body).send().await.unwrap())
            .await
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> Answer {
        self.oauth(
            "token",
            json!({"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
                   "code_verifier": verifier, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await
    }

    pub async fn refresh(&self, refresh: &str) -> Answer {
        self.oauth(
            "token",
            json!({"grant_type": "refresh_token", "refresh_token": refresh,
                   "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await
    }

    /// The whole browser round trip to a token pair.
    pub async fn tokens(&self, email: &str, password: &str, scope: &str) -> LiveTokens {
        let (code, verifier) = self.code_for(email, password, scope).await;
        let a = self.exchange(&code, &verifier).await;
        assert_eq!(a.status, 200, "{}", a.text);
        LiveTokens {
            access: a.json["access_token"].as_str().unwrap().to_owned(),
            refresh: a.json["refresh_token"].as_str().unwrap().to_owned(),
            body: a.json,
        }
    }

    pub async fn alice_tokens(&self, scope: &str) -> LiveTokens {
        self.tokens("alice@example.com", "alice-password", scope).await
    }

    /// A v2 call (`path` relative to `/external-api/v2`).
    pub async fn v2(&self, method: Method, path: &str, auth: Auth<'_>, body: Option<Value>) -> Answer {
        self.v2_with(method, path, auth, body, &[]).await
    }

    pub async fn v2_with(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self.http.request(method, self.api_url(&format!("/external-api/v2{path}")));
        req = match auth {
            Auth::None => req,
            Auth::Key(k) => req.header("X-API-Key", k),
            Auth::Bearer(t) => req.bearer_auth(t),
        };
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Answer::of(req.send().await.unwrap()).await
    }

    /// `GET` as alice with her API key.
    pub async fn alice_get(&self, path: &str) -> Answer {
        self.v2(Method::GET, path, Auth::Key(ALICE_KEY), None).await
    }

    /// Start a run as alice (API key); 202 expected.
    pub async fn start(&self, agent: &str, body: Value) -> Value {
        let a = self.v2(Method::POST, &format!("/library/agents/{agent}/runs"), Auth::Key(ALICE_KEY), Some(body)).await;
        assert_eq!(a.status, 202, "{}", a.text);
        a.json
    }

    /// Wait (through the shared state, no HTTP) until the run's status satisfies `done`, then
    /// return its details over HTTP.
    pub async fn wait_for(&self, run_id: &str, done: impl Fn(RunStatus) -> bool) -> Value {
        let state = self.sb.running.state().clone();
        eventually(|| {
            let status = state.db().live.run(run_id).map(|r| r.status).filter(|s| done(*s));
            async move { status }
        })
        .await;
        let a = self.alice_get(&format!("/runs/{run_id}")).await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.json
    }

    /// Wait until the run is final.
    pub async fn finished(&self, run_id: &str) -> Value {
        self.wait_for(run_id, RunStatus::is_final).await
    }

    /// `/__admin/live{path}` (JSON), 2xx expected.
    pub async fn admin(&self, method: Method, path: &str, body: Value) -> Value {
        let resp =
            self.http.request(method, self.api_url(&format!("/__admin{path}"))).json(&body).send().await.unwrap();
        assert!(resp.status().is_success(), "admin {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    pub async fn switch(&self, settings: Value) -> Value {
        self.admin(Method::POST, "/live/settings", settings).await
    }
}
