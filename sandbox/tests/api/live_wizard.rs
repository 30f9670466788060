//! The Integration Setup Wizard on the live pages origin: providers as standard Base64 of a JSON
//! array, picking or connecting credentials, Continue and Cancel callbacks, and every way the
//! link can be wrong (base64url, garbage, a literal `+`, an unregistered redirect URI).

use base64::Engine;
use reqwest::Method;
use serde_json::json;

use crate::live_support::*;
use crate::support::{client, location};

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn query(providers: &str, redirect: &str, state: Option<&str>) -> String {
    let mut pairs = vec![("client_id", CLIENT_ID), ("providers", providers), ("redirect_uri", redirect)];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    serde_urlencoded::to_string(pairs).unwrap()
}

struct Wizard<'a> {
    live: &'a Live,
    browser: reqwest::Client,
}

impl Wizard<'_> {
    async fn open(&self, q: &str) -> (u16, String) {
        let resp = self
            .browser
            .get(self.live.pages_url(&format!("/auth/integrations/setup-wizard?{q}")))
            .send()
            .await
            .unwrap();
        assert!(resp.headers().get("location").is_none(), "the wizard page itself never redirects");
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
    async fn post(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        self.browser
            .post(self.live.pages_url("/auth/integrations/setup-wizard"))
            .header("Origin", self.live.pages.as_str())
            .form(fields)
            .send()
            .await
            .unwrap()
    }
}

async fn wizard<'a>(live: &'a Live, email: &str, password: &str) -> Wizard<'a> {
    let (browser, _) = live.browser(email, password).await;
    Wizard { live, browser }
}

const GMAIL: &str = "https://www.googleapis.com/auth/gmail.readonly";

#[tokio::test]
async fn alice_picks_her_credentials_and_continues() {
    let live = spawn_live().await;
    let w = wizard(&live, "alice@example.com", "alice-password").await;
    let providers =
        b64(&format!(r#"[{{"provider":"github","scopes":["repo"]}},{{"provider":"google","scopes":["{GMAIL}"]}}]"#));
    let (s, html) = w.open(&query(&providers, WIZARD_CALLBACK, Some("xyz"))).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains(r#"<fieldset id="wizard-provider-github" class="card" data-provider="github" data-selected="true"><legend>GitHub</legend>"#), "{html}");
    assert!(html.contains(r#"<input type="radio" id="wizard-credential-cred-alice-github" name="credential-github" value="cred-alice-github" checked> alice-gh</label>"#));
    assert!(html.contains(r#"id="wizard-credential-cred-alice-google""#));
    assert!(html.contains(r#"<button id="wizard-connect-google" class="secondary" type="submit" name="action" value="connect:google">Connect a new Google account</button>"#));
    assert!(
        html.contains(r#"<button id="wizard-continue" type="submit" name="action" value="continue">Continue</button>"#)
    );
    assert!(html.contains(r#"<p id="wizard-app"><strong>AutoGPT Connect (dev)</strong>"#));
    assert!(!html.contains("cred-alice-notion"), "only the providers asked for");
    let resp = w
        .post(&[
            ("client_id", CLIENT_ID),
            ("providers", &providers),
            ("redirect_uri", WIZARD_CALLBACK),
            ("state", "xyz"),
            ("credential-github", "cred-alice-github"),
            ("credential-google", "cred-alice-google"),
            ("action", "continue"),
        ])
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), format!("{WIZARD_CALLBACK}?success=true&state=xyz"));
}

#[tokio::test]
async fn bob_connects_a_new_account_then_the_app_lists_it() {
    let live = spawn_live().await;
    let w = wizard(&live, "bob@example.com", "bob-password").await;
    let providers = b64(r#"[{"provider":"github","scopes":["repo","read:user"]}]"#);
    let (_, html) = w.open(&query(&providers, WIZARD_CALLBACK, None)).await;
    assert!(
        html.contains(r#"<p id="wizard-none-github" class="muted">No GitHub account with these permissions yet.</p>"#)
    );
    assert!(
        html.contains(r#"id="wizard-continue" type="submit" name="action" value="continue" disabled>"#),
        "Continue waits for a choice"
    );
    assert!(html.contains(r#"data-selected="false""#));
    let base = [("client_id", CLIENT_ID), ("providers", providers.as_str()), ("redirect_uri", WIZARD_CALLBACK)];
    // Continue without a choice is refused (the button is disabled; a forged POST gets the page back)
    let mut fields = base.to_vec();
    fields.push(("action", "continue"));
    let resp = w.post(&fields).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains(r#"id="wizard-error""#));
    let mut fields = base.to_vec();
    fields.push(("action", "connect:github"));
    let resp = w.post(&fields).await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    let id_start =
        html.find(r#"name="credential-github" value=""#).unwrap() + r#"name="credential-github" value=""#.len();
    let new_id = html[id_start..].split('"').next().unwrap().to_owned();
    assert!(new_id.starts_with("cred-"), "{new_id}");
    assert!(html.contains(&format!(r#"value="{new_id}" checked>"#)));
    assert!(html.contains(r#"id="wizard-continue" type="submit" name="action" value="continue">"#));
    let mut fields = base.to_vec();
    fields.push(("credential-github", &new_id));
    fields.push(("action", "continue"));
    let resp = w.post(&fields).await;
    assert_eq!(location(&resp), format!("{WIZARD_CALLBACK}?success=true"), "no state given, none returned");
    // what the app sees afterwards (provider matched case-insensitively)
    let a = live.v2(Method::GET, "/integrations/credentials?provider=GitHub", Auth::Key(BOB_KEY), None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["total_count"], 1);
    let c = &a.json["items"][0];
    assert_json(
        c,
        &format!(
            r#"{{"id":"{new_id}","type":"oauth2","provider":"github","title":"GitHub (bob-1@github.example)",
                "username":"bob-1@github.example","scopes":["repo","read:user"],"expires_at":null,"is_managed":false}}"#
        ),
    );
}

#[tokio::test]
async fn credentials_must_cover_the_requested_scopes() {
    let live = spawn_live().await;
    let w = wizard(&live, "alice@example.com", "alice-password").await;
    let providers = b64(r#"[{"provider":"github","scopes":["admin:org"]}]"#);
    let (_, html) = w.open(&query(&providers, WIZARD_CALLBACK, Some("s"))).await;
    assert!(!html.contains("cred-alice-github"), "alice-gh lacks admin:org");
    let resp = w
        .post(&[
            ("client_id", CLIENT_ID),
            ("providers", &providers),
            ("redirect_uri", WIZARD_CALLBACK),
            ("state", "s"),
            ("credential-github", "cred-alice-github"),
            ("action", "continue"),
        ])
        .await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn cancel_with_and_without_state() {
    let live = spawn_live().await;
    let w = wizard(&live, "alice@example.com", "alice-password").await;
    let providers = b64(r#"[{"provider":"notion"}]"#);
    let resp = w
        .post(&[
            ("client_id", CLIENT_ID),
            ("providers", &providers),
            ("redirect_uri", WIZARD_CALLBACK),
            ("state", "xyz"),
            ("action", "cancel"),
        ])
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        location(&resp),
        format!(
            "{WIZARD_CALLBACK}?error=user_cancelled&error_description=User+cancelled+the+integration+setup&state=xyz"
        )
    );
    let resp = w
        .post(&[
            ("client_id", CLIENT_ID),
            ("providers", &providers),
            ("redirect_uri", WIZARD_CALLBACK),
            ("action", "cancel"),
        ])
        .await;
    assert_eq!(
        location(&resp),
        format!("{WIZARD_CALLBACK}?error=user_cancelled&error_description=User+cancelled+the+integration+setup")
    );
}

/// A payload whose standard Base64 has a `+` (only `~`/`>` as a group's third byte gives one).
fn payload_with_plus() -> String {
    (0..3)
        .map(|pad| b64(&format!(r#"[{{"provider":"github","scopes":["{}~repo"]}}]"#, "x".repeat(pad))))
        .find(|e| e.contains('+'))
        .expect("one alignment puts ~ third")
}

#[tokio::test]
async fn bad_provider_encodings_show_no_providers_with_cancel() {
    let live = spawn_live().await;
    let w = wizard(&live, "alice@example.com", "alice-password").await;
    let json = r#"[{"provider":"github"}]"#;
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{json} ??>>"));
    assert!(url_safe.contains('-') || url_safe.contains('_'), "{url_safe}");
    let plus = payload_with_plus();
    // correctly percent-encoded, the + survives
    let (s, html) = w.open(&query(&plus, WIZARD_CALLBACK, Some("s"))).await;
    assert_eq!(s, 200);
    assert!(html.contains("wizard-provider-github"));
    // a literal + in the query turns into a space, atob drops it: the payload is corrupt
    let literal =
        format!("client_id={CLIENT_ID}&providers={plus}&redirect_uri={}&state=s", urlencoding(WIZARD_CALLBACK));
    for q in [
        query(&url_safe, WIZARD_CALLBACK, Some("s")),
        query("garbage!!", WIZARD_CALLBACK, Some("s")),
        query(&b64("{}"), WIZARD_CALLBACK, Some("s")),
        literal,
    ] {
        let (s, html) = w.open(&q).await;
        assert_eq!(s, 400, "{q}");
        assert!(html.contains(r#"data-error="no_providers""#), "{q}: {html}");
        assert!(html.contains(r#"<h1 id="error-title">No providers specified</h1>"#));
        assert!(
            html.contains(r#"<button id="wizard-cancel" type="submit" name="action" value="cancel">Cancel</button>"#)
        );
    }
}

fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_owned()
}

#[tokio::test]
async fn unregistered_redirect_unknown_app_and_missing_parameters_are_cards() {
    let live = spawn_live().await;
    let w = wizard(&live, "alice@example.com", "alice-password").await;
    let providers = b64(r#"[{"provider":"github"}]"#);
    let (s, html) = w.open(&query(&providers, "http://evil.example/cb", Some("s"))).await;
    assert_eq!(s, 400);
    assert!(html.contains(r#"data-error="invalid_request""#));
    assert!(html.contains("redirect_uri is not registered for this application"));
    let q = serde_urlencoded::to_string([
        ("client_id", "agpt_client_nope"),
        ("providers", &providers),
        ("redirect_uri", WIZARD_CALLBACK),
    ])
    .unwrap();
    let (s, html) = w.open(&q).await;
    assert_eq!((s, html.contains("Application not found")), (400, true));
    let (s, html) = w.open(&format!("providers={}", urlencoding(&providers))).await;
    assert_eq!(s, 400);
    assert!(html.contains(r#"<ul id="missing-params"><li>client_id</li><li>redirect_uri</li></ul>"#), "{html}");
    // Cancel of a tampered form to an unregistered URI does not redirect either
    let resp = w
        .post(&[
            ("client_id", CLIENT_ID),
            ("providers", &providers),
            ("redirect_uri", "http://evil.example/cb"),
            ("action", "cancel"),
        ])
        .await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    // anonymous visitors log in first
    let resp = client(false)
        .get(live.pages_url(&format!("/auth/integrations/setup-wizard?{}", query(&providers, WIZARD_CALLBACK, None))))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 307);
    assert!(
        location(&resp)
            .starts_with(&format!("{}/login?next=%2Fauth%2Fintegrations%2Fsetup-wizard%3Fclient_id%3D", live.pages))
    );
}

#[tokio::test]
async fn non_interactive_wizard() {
    let live = spawn_live().await;
    live.switch(json!({"consent_mode": "auto_approve"})).await;
    let w = wizard(&live, "bob@example.com", "bob-password").await;
    let providers = b64(r#"[{"provider":"google"}]"#);
    let resp =
        w.browser
            .get(live.pages_url(&format!(
                "/auth/integrations/setup-wizard?{}",
                query(&providers, WIZARD_CALLBACK, Some("a"))
            )))
            .send()
            .await
            .unwrap();
    assert_eq!(location(&resp), format!("{WIZARD_CALLBACK}?success=true&state=a"));
    let a = live.v2(Method::GET, "/integrations/credentials?provider=google", Auth::Key(BOB_KEY), None).await;
    assert_eq!(a.json["items"][0]["scopes"], json!(["email", "profile", "openid"]), "Google's default scopes");
    live.switch(json!({"consent_mode": "auto_deny"})).await;
    let resp = w
        .browser
        .get(live.pages_url(&format!("/auth/integrations/setup-wizard?{}", query(&providers, WIZARD_CALLBACK, None))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&resp),
        format!("{WIZARD_CALLBACK}?error=user_cancelled&error_description=User+cancelled+the+integration+setup")
    );
}
