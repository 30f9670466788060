//! Support for the tests that run the real live clients against the live sandbox, started
//! in-process on 127.0.0.1:0 (checklist 66, 67): the sandbox's two live origins wired into
//! [`LiveOAuthClient`], [`LiveApiClient`] and [`Platform`]; a scripted browser that signs in on
//! the pages origin (`/login?next=…`) and submits the consent card and the setup wizard as a
//! browser would (their own hidden fields, `Origin` = the pages origin); the admin API's
//! switches; and waiting for a run with a bounded deadline on the sandbox's scaled clock
//! (`Config::for_tests()` runs the engine 50 times faster; polling its state costs no
//! rate-limit budget). Nothing sleeps to synchronise.

use std::time::Duration;

use autogpt::client::live::{LiveApiClient, LiveOAuthClient};
use autogpt::client::{LivePlatform, Platform};
use autogpt::ids::ClientId;
use autogpt::live::api::{Credential, Run, RunId, RunStatus};
use autogpt::live::authorize::{Callback, PendingAuthorization, parse_callback};
use autogpt::live::{BackendUrl, LiveOAuthApp, LiveTokenResponse, Permission};
use autogpt::origin::{PlatformUrl, RedirectUri};
use autogpt::secret::{ApiKey, ClientSecret};
use sandbox::Config;
use serde_json::Value;
use url::Url;

use crate::transport;

pub const CLIENT_ID: &str = "agpt_client_dev";
pub const CLIENT_SECRET: &str = "agpt_secret_dev";
/// The second seeded app: only `IDENTITY` and `READ_LIBRARY`.
pub const TEST_CLIENT_ID: &str = "agpt_client_test";
pub const TEST_CLIENT_SECRET: &str = "agpt_secret_test";
pub const CALLBACK: &str = "http://127.0.0.1:3000/api/autogpt/callback";
pub const WIZARD_CALLBACK: &str = "http://127.0.0.1:3000/api/autogpt/integrations/callback";
pub const ALICE: (&str, &str) = ("alice@example.com", "alice-password");
pub const BOB: (&str, &str) = ("bob@example.com", "bob-password");
pub const ALICE_KEY: &str = "agpt_alice_dev_key";
pub const BOB_KEY: &str = "agpt_bob_dev_key";

/// What the app signs in with in the live profile.
pub const APP_PERMISSIONS: [Permission; 8] = [
    Permission::Identity,
    Permission::ReadLibrary,
    Permission::RunAgent,
    Permission::ReadRun,
    Permission::WriteRun,
    Permission::ReadRunReview,
    Permission::WriteRunReview,
    Permission::ReadIntegrations,
];

/// How long a condition may take on the scaled clock before the test fails.
const DEADLINE: Duration = Duration::from_secs(15);

/// Polls `f` until it yields `Some`, for at most [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: not reached within {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn api_key(key: &str) -> Credential {
    Credential::ApiKey(ApiKey::new(key))
}

pub fn app(client_id: &str, client_secret: &str) -> LiveOAuthApp {
    LiveOAuthApp {
        client_id: ClientId::new(client_id),
        client_secret: ClientSecret::new(client_secret),
        redirect_uri: RedirectUri::new(CALLBACK).unwrap(),
    }
}

/// The sandbox with its live origins, and plain HTTP for the admin API.
pub struct LiveSandbox {
    pub running: sandbox::Running,
    pub backend: BackendUrl,
    pub pages: PlatformUrl,
    /// No cookies, no redirects: the admin API.
    http: reqwest::Client,
}

pub async fn start() -> LiveSandbox {
    start_with(|_| {}).await
}

pub async fn start_with(f: impl FnOnce(&mut Config)) -> LiveSandbox {
    let mut config = Config::for_tests();
    f(&mut config);
    let running = sandbox::spawn(config).await.expect("the sandbox starts");
    assert!(running.live_api_addr().ip().is_loopback() && running.live_pages_addr().ip().is_loopback());
    let backend = BackendUrl::parse(running.live_api_url()).unwrap();
    let pages = PlatformUrl::parse(running.live_pages_url()).unwrap();
    LiveSandbox { running, backend, pages, http: browser_client(false) }
}

fn browser_client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(cookies)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

impl LiveSandbox {
    /// The OAuth client of the dev app (`agpt_client_dev`).
    pub fn oauth(&self) -> LiveOAuthClient {
        self.oauth_for(app(CLIENT_ID, CLIENT_SECRET))
    }

    pub fn oauth_for(&self, app: LiveOAuthApp) -> LiveOAuthClient {
        LiveOAuthClient::new(transport(), self.pages.clone(), self.backend.clone(), app)
    }

    pub fn api(&self) -> LiveApiClient {
        LiveApiClient::new(transport(), self.backend.clone())
    }

    /// The seam, live profile, signing in with `permissions`.
    pub fn platform(&self, permissions: &[Permission]) -> Platform {
        Platform::Live(LivePlatform { oauth: self.oauth(), api: self.api(), permissions: permissions.to_vec() })
    }

    pub fn pages_origin(&self) -> String {
        self.running.live_pages_url().to_owned()
    }

    /// A new browser (cookie store, redirects not followed).
    pub fn browser(&self) -> Browser {
        Browser { http: browser_client(true), origin: self.pages_origin() }
    }

    /// The whole browser round trip for `oauth`'s app: authorize URL → login with `next` →
    /// consent → Authorize → callback → `exchange_code`.
    pub async fn sign_in_with(
        &self,
        oauth: &LiveOAuthClient,
        (email, password): (&str, &str),
        permissions: &[Permission],
    ) -> LiveTokenResponse {
        let pending = oauth.start_authorization(permissions);
        let callback = self.browser().consent(&pending.url, email, password, "authorize").await;
        let code = code_from(&callback, &pending);
        oauth.exchange_code(&code, pending.verifier).await.expect("code exchange")
    }

    pub async fn sign_in(&self, user: (&str, &str), permissions: &[Permission]) -> LiveTokenResponse {
        self.sign_in_with(&self.oauth(), user, permissions).await
    }

    /// Alice's bearer credential with the app's permissions.
    pub async fn alice_bearer(&self) -> Credential {
        Credential::Bearer(self.sign_in(ALICE, &APP_PERMISSIONS).await.access_token)
    }

    /// `POST /__admin{path}` with a JSON body (the content type the admin API requires).
    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/__admin{path}", self.running.live_api_url());
        let resp = self.http.post(url).json(&body).send().await.unwrap();
        assert!(resp.status().is_success(), "admin {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    /// Live switches (`POST /__admin/live/settings`).
    pub async fn switch(&self, settings: Value) -> Value {
        self.admin("/live/settings", settings).await
    }

    /// A fault on the live backend (`POST /__admin/faults`).
    pub async fn fault(&self, mut fault: Value) {
        fault["origin"] = "live_api".into();
        self.admin("/faults", fault).await;
    }

    /// `DELETE /__admin/faults`.
    pub async fn clear_faults(&self) {
        let url = format!("{}/__admin/faults", self.running.live_api_url());
        assert!(self.http.delete(url).send().await.unwrap().status().is_success());
    }

    /// True while a run start holding `key` has claimed it but not yet recorded its run.
    pub fn key_in_flight(&self, key: &str) -> bool {
        self.running.state().db().live.idempotency.iter().any(|k| k.key == key && k.run_id.is_none())
    }

    /// The run's status as the engine holds it (no HTTP, no rate-limit budget).
    fn engine_status(&self, run: &RunId) -> Option<RunStatus> {
        let db = self.running.state().db();
        db.live.run(run.as_str()).map(|r| RunStatus::parse(r.status.as_str()))
    }

    /// Waits on the scaled clock until the run's status satisfies `done`, then reads it with
    /// the client (`GET /runs/{id}`, outputs and node executions).
    pub async fn wait_for(
        &self,
        api: &LiveApiClient,
        credential: &Credential,
        run: &RunId,
        done: impl Fn(&RunStatus) -> bool,
    ) -> Run {
        eventually(&format!("run {run}"), || {
            let reached = self.engine_status(run).filter(|s| done(s)).map(|_| ());
            async move { reached }
        })
        .await;
        let read = api.run(credential, run).await.expect("GET /runs/{id}").value;
        assert!(done(&read.status), "{read:?}");
        read
    }

    /// Waits until the run is final.
    pub async fn finished(&self, api: &LiveApiClient, credential: &Credential, run: &RunId) -> Run {
        self.wait_for(api, credential, run, RunStatus::is_final).await
    }
}

/// The callback's code, after checking that `state` came back (checklist 20, 22).
pub fn code_from(callback: &Url, pending: &PendingAuthorization) -> autogpt::secret::AuthorizationCode {
    assert_eq!(callback.as_str().split('?').next(), Some(CALLBACK), "{callback}");
    match parse_callback(callback.query().unwrap_or_default()).unwrap() {
        Callback::Code { code, state, .. } => {
            assert_eq!(state.as_ref(), Some(&pending.state), "state echoed");
            code
        }
        other => panic!("no code in {callback}: {other:?}"),
    }
}

/// A scripted browser on the pages origin: it keeps the session cookie, sends `Origin` on
/// form posts, and submits a form's own hidden fields (and checked radios), as a browser does.
pub struct Browser {
    http: reqwest::Client,
    origin: String,
}

/// A page the browser got: status, `Location`, body.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub html: String,
}

impl Browser {
    /// `GET url` (absolute, or a path on the pages origin).
    pub async fn get(&self, url: &str) -> Page {
        let url = Url::parse(&self.origin).unwrap().join(url).unwrap();
        Page::of(self.http.get(url).send().await.unwrap()).await
    }

    /// Submits `form_id` of `page` with its hidden fields, checked radios and `extra`.
    pub async fn submit(&self, page: &Page, form_id: &str, extra: &[(&str, &str)]) -> Page {
        let form = Form::find(&page.html, form_id);
        let mut fields = form.fields;
        fields.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let resp = self.http.post(&form.action).header("Origin", &self.origin).form(&fields).send().await.unwrap();
        Page::of(resp).await
    }

    /// Signs in on `/login?next=…` (reached from a protected page) and follows `next`.
    pub async fn log_in(&self, login_page: &Page, email: &str, password: &str) -> Page {
        assert_eq!(login_page.status, 200, "{}", login_page.html);
        let resp = self.submit(login_page, "login-form", &[("email", email), ("password", password)]).await;
        assert_eq!(resp.status, 303, "login: {}", resp.html);
        self.get(resp.location.as_deref().expect("login redirects to next")).await
    }

    /// Opens `authorize_url` anonymously: 307 to `/login?next=<the authorize path and query>`;
    /// signs in, is back on the consent card, and presses `decision` (`authorize` or `deny`).
    /// Returns the callback URL the browser is sent to.
    pub async fn consent(&self, authorize_url: &Url, email: &str, password: &str, decision: &str) -> Url {
        let first = self.get(authorize_url.as_str()).await;
        assert_eq!(first.status, 307, "anonymous visitors go to the login page");
        let login = Url::parse(&self.origin).unwrap().join(first.location.as_deref().unwrap()).unwrap();
        assert_eq!(login.path(), "/login");
        let next = login.query_pairs().find(|(k, _)| k == "next").map(|(_, v)| v.into_owned()).unwrap();
        let path_and_query = &authorize_url[url::Position::BeforePath..];
        assert_eq!(next, path_and_query, "next keeps the authorize path and query");
        let card = self.log_in(&self.get(login.as_str()).await, email, password).await;
        assert_eq!(card.status, 200, "{}", card.html);
        assert!(card.html.contains(r#"id="authorize-card""#), "{}", card.html);
        self.decide(&card, decision).await
    }

    /// Presses Authorize or Deny on a consent card; the callback URL.
    pub async fn decide(&self, card: &Page, decision: &str) -> Url {
        let resp = self.submit(card, "authorize-form", &[("decision", decision)]).await;
        assert_eq!(resp.status, 303, "{}", resp.html);
        Url::parse(resp.location.as_deref().unwrap()).unwrap()
    }
}

impl Page {
    async fn of(resp: reqwest::Response) -> Self {
        let status = resp.status().as_u16();
        let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        Page { status, location, html: resp.text().await.unwrap() }
    }
}

/// What a browser would submit for one form.
struct Form {
    action: String,
    fields: Vec<(String, String)>,
}

impl Form {
    fn find(html: &str, id: &str) -> Self {
        let start = html.find(&format!(r#"<form id="{id}""#)).unwrap_or_else(|| panic!("no form #{id} in {html}"));
        let rest = &html[start..];
        let end = rest.find("</form>").expect("form end");
        let body = &rest[..end];
        let head = tags(body, "form").next().expect("form tag");
        let action = attr(head, "action").expect("form action");
        let fields = tags(body, "input")
            .filter(|t| match attr(t, "type").as_deref() {
                Some("hidden") => true,
                Some("radio") | Some("checkbox") => has_flag(t, "checked"),
                _ => false,
            })
            .filter_map(|t| Some((attr(t, "name")?, attr(t, "value").unwrap_or_default())))
            .collect();
        Form { action, fields }
    }
}

/// The opening tags `<name …>` in `html`, without the angle brackets.
fn tags<'a>(html: &'a str, name: &str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{name} ");
    let starts: Vec<usize> = html.match_indices(&open).map(|(i, _)| i + 1).collect();
    starts.into_iter().filter_map(move |i| html[i..].find('>').map(|end| &html[i..i + end]))
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(r#" {name}=""#);
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

fn has_flag(tag: &str, flag: &str) -> bool {
    tag.split_whitespace().any(|w| w == flag)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}
