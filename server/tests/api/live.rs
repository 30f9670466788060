//! The live profile through the production router (issue 13, L1–L3): sign-in on the
//! platform's consent page, API-key sign-in, and Connect through the setup wizard, scripted
//! over HTTP against the sandbox's live origins (a "browser" that submits each page's own
//! forms, with the pages origin as `Origin`, as a browser does).

use reqwest::StatusCode;
use url::Url;

use crate::browser::{Browser, Resp};
use crate::support::{TestApp, spawn_live_app};

/// A form of a page: its action and the fields a browser would send (hidden inputs and
/// checked radios), plus `extra`.
pub fn form_fields(html: &str, form_id: &str, extra: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    let start = html.find(&format!("<form id=\"{form_id}\"")).unwrap_or_else(|| panic!("no form #{form_id}: {html}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| {
        let marker = format!(" {name}=\"");
        tag.find(&marker).map(|i| tag[i + marker.len()..].split('"').next().unwrap().replace("&amp;", "&"))
    };
    let action = attr(form.split('>').next().unwrap(), "action").unwrap();
    let mut fields = Vec::new();
    for input in form.split("<input").skip(1).map(|t| t.split('>').next().unwrap()) {
        let hidden = input.contains("type=\"hidden\"");
        let checked = input.contains("type=\"radio\"") && input.contains(" checked");
        if hidden || checked {
            fields.push((attr(input, "name").unwrap(), attr(input, "value").unwrap_or_default()));
        }
    }
    fields.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    (action, fields)
}

/// Submits `form_id` of `page` to the pages origin.
async fn submit(b: &Browser, pages: &str, page: &Resp, form_id: &str, extra: &[(&str, &str)]) -> Resp {
    let (action, fields) = form_fields(&page.body, form_id, extra);
    let action = Url::parse(pages).unwrap().join(&action).unwrap();
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form(action.as_str(), Some(pages), &pairs).await
}

/// Follows redirects on the platform's pages (logging in as `user`, answering the consent or
/// wizard page with `decision`) until one leads back to the app; returns that URL unvisited.
async fn through_pages(
    app: &TestApp,
    b: &Browser,
    mut resp: Resp,
    user: (&str, &str),
    decision: (&str, &str),
) -> String {
    let pages = app.platform.live_pages_url().to_owned();
    for _ in 0..10 {
        if let Some(next) = resp.location.clone() {
            if next.starts_with(&app.url) {
                return next;
            }
            resp = b.get(&next).await;
        } else if resp.body.contains("id=\"login-form\"") {
            resp = submit(b, &pages, &resp, "login-form", &[("email", user.0), ("password", user.1)]).await;
        } else if resp.body.contains("id=\"authorize-form\"") {
            resp = submit(b, &pages, &resp, "authorize-form", &[decision]).await;
        } else if resp.body.contains("id=\"wizard-form\"") {
            resp = submit(b, &pages, &resp, "wizard-form", &[decision]).await;
        } else {
            panic!("stuck at {} ({}): {}", resp.url, resp.status, resp.body);
        }
    }
    panic!("the platform never sent the browser back");
}

pub async fn live_signed_in(app: &TestApp, user: (&str, &str)) -> Browser {
    let b = Browser::with_urls(&app.url, app.platform.live_pages_url());
    let start = b.get(&format!("{}/api/autogpt/authorize", app.url)).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    assert!(
        start.location.as_deref().unwrap().starts_with(&format!("{}/auth/authorize?", app.platform.live_pages_url()))
    );
    let callback = through_pages(app, &b, start, user, ("decision", "authorize")).await;
    let done = b.get(&callback).await;
    assert_eq!(done.location.as_deref(), Some(format!("{}/connect?success=true", app.url).as_str()), "{}", done.body);
    b
}

/// L1: the consent page, a JSON code exchange, identity from `GET /me`; tokens never reach
/// the browser (checklist 35).
#[tokio::test]
async fn l1_sign_in_on_the_live_consent_page() {
    let app = spawn_live_app().await;
    let alice = live_signed_in(&app, ("alice@example.com", "alice-password")).await;
    let session = alice.call("session", &[]).await.json();
    assert_eq!(session["email"], "alice@example.com", "{session}");
    assert!(session["scopes"].as_array().unwrap().iter().any(|s| s == "RUN_AGENT"), "{session}");
    let transcript = alice.transcript();
    let tokens: Vec<String> = app.platform.state().db().live.tokens.iter().map(|t| t.token.clone()).collect();
    assert!(!tokens.is_empty(), "the sign-in issued live tokens");
    for token in tokens {
        assert!(!transcript.contains(&token), "a live token reached the browser");
    }
    // Refresh goes through the live token endpoint (fresh token: no call at all).
    assert_eq!(alice.post_app(&app.url, "/api/autogpt/refresh").await.status, StatusCode::OK);
}

/// L2: an API key is checked with `GET /me` and kept on the server; a wrong one is refused.
#[tokio::test]
async fn l2_api_key_sign_in_checked_with_me() {
    let app = spawn_live_app().await;
    let bob = Browser::new(&app);
    let url = format!("{}/api/autogpt/authorize", app.url);
    let r = bob.post_form(&url, Some(&app.url), &[("apiKey", "agpt_bob_dev_key")]).await;
    assert_eq!(r.location.as_deref(), Some(format!("{}/connect?success=true", app.url).as_str()), "{}", r.body);
    assert_eq!(bob.call("session", &[]).await.json()["email"], "bob@example.com");
    assert!(!bob.transcript().contains("agpt_bob_dev_key"), "the key reached the browser");
    let stranger = Browser::new(&app);
    let r = stranger.post_form(&url, Some(&app.url), &[("apiKey", "agpt_not_a_key")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("AutoGPT did not accept this API key"), "{}", r.body);
}

/// L3: Connect through the setup wizard: our callback checks `state`, finds the credential,
/// and the result recorded (here without an opener: the page's record form) lands on
/// `/connect`; a `state` of someone else's attempt is refused.
#[tokio::test]
async fn l3_connect_through_the_setup_wizard() {
    let app = spawn_live_app().await;
    let alice = live_signed_in(&app, ("alice@example.com", "alice-password")).await;
    let attempt = alice.call("connect/begin", &[("provider", "github")]).await.json();
    let wizard = attempt["popup_url"].as_str().unwrap().to_owned();
    assert!(
        wizard.starts_with(&format!("{}/auth/integrations/setup-wizard?", app.platform.live_pages_url())),
        "{wizard}"
    );
    assert_eq!(attempt["platform_origin"], app.url.as_str(), "the result comes from our own origin");
    let page = alice.get(&wizard).await;
    let back = through_pages(&app, &alice, page, ("alice@example.com", "alice-password"), ("action", "continue")).await;
    assert!(back.starts_with(&format!("{}/api/autogpt/integrations/callback?success=true", app.url)), "{back}");
    // A stranger replaying the callback has no attempt of theirs under that state.
    let bob = live_signed_in(&app, ("bob@example.com", "bob-password")).await;
    assert_eq!(bob.get(&back).await.status, StatusCode::BAD_REQUEST);
    let result = alice.get(&back).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    assert!(result.body.contains(attempt["nonce"].as_str().unwrap()), "the result carries the attempt's nonce");
    assert!(result.body.contains("cred-alice-github"), "{}", result.body);
    let (action, fields) = form_fields(&result.body, "record", &[]);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let recorded = alice.post_form(&format!("{}{action}", app.url), Some(&app.url), &pairs).await;
    assert_eq!(recorded.location.as_deref(), Some(format!("{}/connect?connected=github", app.url).as_str()));
    let grants = alice.call("grants", &[]).await.json();
    assert!(grants.as_array().unwrap().iter().any(|g| g["grant_id"] == "cred-alice-github"), "{grants}");
}

/// L3: a cancelled wizard tells the opener "cancelled", and records nothing.
#[tokio::test]
async fn l3_a_cancelled_wizard_records_nothing() {
    let app = spawn_live_app().await;
    let bob = live_signed_in(&app, ("bob@example.com", "bob-password")).await;
    let attempt = bob.call("connect/begin", &[("provider", "github")]).await.json();
    let page = bob.get(attempt["popup_url"].as_str().unwrap()).await;
    let back = through_pages(&app, &bob, page, ("bob@example.com", "bob-password"), ("action", "cancel")).await;
    let result = bob.get(&back).await;
    assert!(result.body.contains("user_cancelled") && result.body.contains("Connection cancelled."), "{}", result.body);
    assert_eq!(bob.call("grants", &[]).await.json(), serde_json::json!([]));
}
