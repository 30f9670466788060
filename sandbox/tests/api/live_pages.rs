//! The live pages origin: login with `next`, the consent page's steps in the contract's order
//! (§2.3: login, missing parameters, app and redirect URI cards without a redirect, invalid
//! scopes with a Deny redirect, the consent card), Deny, CSRF checks, non-interactive modes.

use reqwest::Method;
use serde_json::json;

use crate::live_support::*;
use crate::support::{client, location, query_param};

/// The `data-error` of an error card, if the page is one.
fn card_kind(html: &str) -> Option<&str> {
    let start = html.find(r#"id="error-card" class="card" data-error=""#)?
        + r#"id="error-card" class="card" data-error=""#.len();
    html[start..].split('"').next()
}

fn consent_fields<'a>(scope: &'a str, decision: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", CALLBACK),
        ("scope", scope),
        ("state", "st"),
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", "S256"),
        ("response_type", "code"),
        ("decision", decision),
    ]
}

#[tokio::test]
async fn consent_page_checks_in_order_and_error_cards_never_redirect() {
    let live = spawn_live().await;
    let (browser, _) = live.browser("alice@example.com", "alice-password").await;
    let get = |query: String| {
        let req = browser.get(live.pages_url(&format!("/auth/authorize?{query}")));
        async move {
            let resp = req.send().await.unwrap();
            assert!(resp.headers().get("location").is_none(), "an error card never redirects");
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let q = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).unwrap();
    // 2. missing parameters (state and code_challenge included)
    let (s, html) = get(q(&[("client_id", CLIENT_ID), ("scope", "IDENTITY")])).await;
    assert_eq!((s, card_kind(&html)), (400, Some("invalid_request")));
    assert!(html.contains(r#"<h1 id="error-title">Invalid Request</h1>"#));
    assert!(
        html.contains(r#"<ul id="missing-params"><li>redirect_uri</li><li>state</li><li>code_challenge</li></ul>"#),
        "{html}"
    );
    let full = |client: &str, redirect: &str, scope: &str| {
        q(&[
            ("client_id", client),
            ("redirect_uri", redirect),
            ("scope", scope),
            ("state", "st"),
            ("code_challenge", "c"),
        ])
    };
    // 4. unknown app, unregistered redirect URI
    let (s, html) = get(full("agpt_client_nope", CALLBACK, "IDENTITY")).await;
    assert_eq!((s, card_kind(&html)), (404, Some("app_not_found")));
    assert!(html.contains("Application Not Found"));
    let (s, html) = get(full(CLIENT_ID, "http://127.0.0.1:3000/other", "IDENTITY")).await;
    assert_eq!((s, card_kind(&html)), (400, Some("invalid_request")));
    assert!(
        html.contains(r#"<p id="error-message" class="error">redirect_uri is not registered for this application</p>"#)
    );
    // 5. a misspelt scope, and a real one the test app may not request
    let (s, html) = get(full(CLIENT_ID, CALLBACK, "IDENTITY RUN_AGNET")).await;
    assert_eq!((s, card_kind(&html)), (400, Some("invalid_scopes")));
    assert!(html.contains(r#"<ul id="invalid-scopes"><li>RUN_AGNET</li></ul>"#));
    assert!(html.contains(r#"id="return-to-application""#) && html.contains("Return to Application"));
    let (_, html) = get(full("agpt_client_test", CALLBACK, "IDENTITY RUN_AGENT")).await;
    assert_eq!(card_kind(&html), Some("invalid_scopes"));
    // "Return to Application" performs the Deny redirect
    let resp = live.consent(&browser, &consent_fields("IDENTITY RUN_AGNET", "deny")).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        location(&resp),
        format!("{CALLBACK}?error=access_denied&error_description=User+denied+access&state=st")
    );
    // 6. the consent card
    let (s, html) = get(full(CLIENT_ID, CALLBACK, "IDENTITY READ_RUN")).await;
    assert_eq!((s, card_kind(&html)), (200, None));
    assert!(html.contains(r#"<p id="authorize-user">Signed in as alice@example.com</p>"#));
    assert!(html.contains(r#"<ul id="authorize-scopes"><li data-scope="IDENTITY"><strong>Identity</strong>: Read your user ID, email and name</li><li data-scope="READ_RUN"><strong>Read Run</strong>: View your agent runs and their results</li></ul>"#), "{html}");
    assert!(html.contains(
        r#"<button id="authorize-approve" type="submit" name="decision" value="authorize">Authorize</button>"#
    ));
    assert!(html.contains(
        r#"<button id="authorize-deny" class="secondary" type="submit" name="decision" value="deny">Deny</button>"#
    ));
    // variant B words the unregistered URI its own way
    live.switch(json!({"app_info_variant_b": true})).await;
    let (s, html) = get(full(CLIENT_ID, "http://127.0.0.1:3000/other", "IDENTITY")).await;
    assert_eq!(s, 400);
    assert!(html.contains("This link sends you back to an address the application has not registered."));
}

#[tokio::test]
async fn deny_and_backend_error_redirects() {
    let live = spawn_live().await;
    let (browser, _) = live.browser("alice@example.com", "alice-password").await;
    let resp = live.consent(&browser, &consent_fields("IDENTITY", "deny")).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        location(&resp),
        format!("{CALLBACK}?error=access_denied&error_description=User+denied+access&state=st")
    );
    // response_type other than code: the consent card shows; Authorize gets the backend's error redirect
    let mut fields = consent_fields("IDENTITY", "authorize");
    fields[6] = ("response_type", "token");
    let resp = live.consent(&browser, &fields).await;
    assert_eq!(
        location(&resp),
        format!(
            "{CALLBACK}?error=unsupported_response_type&state=st&error_description=Only+%27code%27+response+type+is+supported"
        )
    );
    // a backend HTTP error keeps the card with its message, nothing is redirected
    let mut fields = consent_fields("IDENTITY", "authorize");
    fields[5] = ("code_challenge_method", "S512");
    let resp = live.consent(&browser, &fields).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
    assert!(resp.text().await.unwrap().contains(r#"id="authorize-error""#));
    // plain PKCE is accepted
    let mut fields = consent_fields("IDENTITY", "authorize");
    fields[4] = ("code_challenge", "plain-verifier");
    fields[5] = ("code_challenge_method", "plain");
    let resp = live.consent(&browser, &fields).await;
    let code = query_param(&location(&resp), "code").unwrap();
    let a = live.exchange(&code, "plain-verifier").await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn form_posts_need_the_pages_origin() {
    let live = spawn_live().await;
    let (browser, _) = live.browser("alice@example.com", "alice-password").await;
    let guide = live.sb.base.clone();
    for origin in [None, Some("http://evil.example"), Some(guide.as_str()), Some(live.api.as_str())] {
        let mut req = browser.post(live.pages_url("/auth/authorize")).form(&consent_fields("IDENTITY", "authorize"));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 403, "{origin:?}");
        assert!(resp.headers().get("location").is_none());
        let mut wizard = browser.post(live.pages_url("/auth/integrations/setup-wizard")).form(&[("action", "cancel")]);
        if let Some(o) = origin {
            wizard = wizard.header("Origin", o);
        }
        assert_eq!(wizard.send().await.unwrap().status(), 403, "wizard {origin:?}");
    }
    // a session-less POST goes to the login page with the consent page as `next`
    let anonymous = client(true);
    let resp = anonymous
        .post(live.pages_url("/auth/authorize"))
        .header("Origin", live.pages.as_str())
        .form(&consent_fields("IDENTITY", "authorize"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let next = query_param(&location(&resp), "next").unwrap();
    assert!(next.starts_with("/auth/authorize?client_id=agpt_client_dev&"), "{next}");
}

#[tokio::test]
async fn login_page_errors_next_and_cookie() {
    let live = spawn_live().await;
    let browser = client(true);
    let html =
        browser.get(live.pages_url("/login?next=%2F%2Fevil.example%2F")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"name="next" value="/""#), "an absolute or protocol-relative next becomes /");
    for id in ["login-form", "email", "password", "login-submit"] {
        assert!(html.contains(&format!(r#"id="{id}""#)), "{id}");
    }
    let resp = browser
        .post(live.pages_url("/login"))
        .header("Origin", live.pages.as_str())
        .form(&[("email", "alice@example.com"), ("password", "nope"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.text().await.unwrap().contains(r#"<p id="login-error" class="error">Invalid email or password</p>"#));
    let resp = browser
        .post(live.pages_url("/login"))
        .header("Origin", "http://evil.example")
        .form(&[("email", "alice@example.com"), ("password", "alice-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "login CSRF");
    // the guide sandbox's session does not sign anyone in here
    crate::support::login(&browser, &live.sb, "alice@example.com", "alice-password").await;
    let resp = browser.get(live.pages_url("/auth/authorize?client_id=x")).send().await.unwrap();
    assert_eq!(resp.status(), 307);
    let (signed_in, _) = live.browser("bob@example.com", "bob-password").await;
    let index = signed_in.get(live.pages_url("/")).send().await.unwrap().text().await.unwrap();
    assert!(index.contains(r#"<p id="signed-in-as">Signed in as bob@example.com</p>"#));
    let out = signed_in.post(live.pages_url("/logout")).send().await.unwrap();
    assert_eq!(out.status(), 303);
    let again = signed_in.get(live.pages_url("/auth/authorize?client_id=x")).send().await.unwrap();
    assert_eq!(again.status(), 307);
}

#[tokio::test]
async fn non_interactive_modes_approve_or_deny_at_once() {
    let live = spawn_live().await;
    live.switch(json!({"consent_mode": "auto_approve"})).await;
    let (browser, _) = live.browser("alice@example.com", "alice-password").await;
    let (verifier, challenge) = crate::support::pkce();
    let resp = browser.get(live.authorize_url(&challenge, "auto", "IDENTITY")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let code = query_param(&location(&resp), "code").unwrap();
    assert_eq!(live.exchange(&code, &verifier).await.status, 200);
    live.switch(json!({"consent_mode": "auto_deny"})).await;
    let resp = browser.get(live.authorize_url(&challenge, "auto", "IDENTITY")).send().await.unwrap();
    assert_eq!(
        location(&resp),
        format!("{CALLBACK}?error=access_denied&error_description=User+denied+access&state=auto")
    );
    // the checks before the card still apply: an unknown app is a card, not a redirect
    let resp = browser
        .get(live.pages_url("/auth/authorize?client_id=nope&redirect_uri=x&scope=IDENTITY&state=s&code_challenge=c"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let settings = live.admin(Method::GET, "/live/settings", json!(null)).await;
    assert_eq!(settings["consent_mode"], "auto_deny");
}
