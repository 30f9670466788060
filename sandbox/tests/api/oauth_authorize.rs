//! `/oauth/authorize` and the consent POST: validation order, identity, consent, Origin checks.

use reqwest::StatusCode;

use crate::support::*;

fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut u = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> =
        u.query_pairs().filter(|(k, _)| k != name).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    {
        let mut q = u.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(v) = value {
            q.append_pair(name, v);
        }
    }
    u.to_string()
}

async fn consent_html(sb: &Sandbox, scope: &str) -> String {
    let (_, challenge) = pkce();
    let resp = sb
        .http
        .get(sb.authorize_url(&challenge, "st-1", scope))
        .header("X-API-Key", "agpt_alice_dev_key")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

#[tokio::test]
async fn unknown_client_or_unregistered_redirect_is_400_page_never_redirect() {
    let sb = spawn().await;
    let (_, ch) = pkce();
    let good = sb.authorize_url(&ch, "s", "openid");
    for url in [
        with_param(&good, "client_id", Some("nope")),
        with_param(&good, "client_id", None),
        with_param(&good, "redirect_uri", Some("http://127.0.0.1:3000/api/autogpt/callback/")),
        with_param(&good, "redirect_uri", Some("http://evil.test/cb")),
        with_param(&good, "redirect_uri", None),
    ] {
        let resp = sb.http.get(&url).header("X-API-Key", "agpt_alice_dev_key").send().await.unwrap();
        assert_eq!(resp.status(), 400, "{url}");
        assert!(resp.headers().get("location").is_none());
        assert!(resp.text().await.unwrap().contains("id=\"error-message\""));
    }
}

#[tokio::test]
async fn other_errors_redirect_with_error_and_state() {
    let sb = spawn().await;
    let (_, ch) = pkce();
    let good = sb.authorize_url(&ch, "st-9", "openid");
    let cases = [
        (with_param(&good, "response_type", Some("token")), "unsupported_response_type"),
        (with_param(&good, "code_challenge", None), "invalid_request"),
        (with_param(&good, "code_challenge", Some("too-short")), "invalid_request"),
        (with_param(&good, "code_challenge_method", Some("plain")), "invalid_request"),
        (with_param(&good, "code_challenge_method", None), "invalid_request"),
        (with_param(&good, "scope", Some("openid admin")), "invalid_scope"),
        (with_param(&good, "scope", None), "invalid_scope"),
    ];
    for (url, error) in cases {
        let resp = sb.http.get(&url).header("X-API-Key", "agpt_alice_dev_key").send().await.unwrap();
        assert_eq!(resp.status(), 302, "{url}");
        let loc = location(&resp);
        assert!(loc.starts_with(CALLBACK), "{loc}");
        assert_eq!(query_param(&loc, "error").as_deref(), Some(error), "{url}");
        assert_eq!(query_param(&loc, "state").as_deref(), Some("st-9"));
        assert!(query_param(&loc, "error_description").is_some());
        assert!(query_param(&loc, "iss").is_none());
    }
}

#[tokio::test]
async fn malformed_query_is_a_400_page_not_a_panic() {
    let sb = spawn().await;
    let resp = sb.http.get(sb.url("/oauth/authorize?%zz=%%&client_id")).send().await.unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn no_identity_redirects_to_login_that_continues() {
    let sb = spawn().await;
    let (_, ch) = pkce();
    let url = sb.authorize_url(&ch, "s", "openid");
    // An invalid API key is no identity either.
    let resp = sb.http.get(&url).header("X-API-Key", "wrong").send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    assert!(loc.starts_with(&sb.url("/login?continue=")));
    let cont = query_param(&loc, "continue").unwrap();
    assert_eq!(sb.url(&cont), url);
}

#[tokio::test]
async fn quirk_login_meta_refresh_answers_200() {
    let sb = spawn_with(|c| c.quirks.login_meta_refresh = true).await;
    let (_, ch) = pkce();
    let resp = sb.http.get(sb.authorize_url(&ch, "s", "openid")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("http-equiv=\"refresh\""));
    assert!(html.contains(&format!("url={}/login?continue=", sb.base)));
}

#[tokio::test]
async fn api_key_consent_page_uses_absolute_urls_and_lists_scopes() {
    let sb = spawn().await;
    let html = consent_html(&sb, "openid agents:execute").await;
    assert!(html.contains(&format!("action=\"{}/oauth/consent\"", sb.base)));
    for needle in [
        "id=\"consent-approve\"",
        ">Allow</button>",
        "id=\"consent-deny\"",
        ">Deny</button>",
        "<code>agents:execute</code>",
        "Signed in as alice@example.com",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(!html.contains("src=\"/") && !html.contains("href=\"/"));
}

#[tokio::test]
async fn approve_from_client_origin_redirects_with_code_and_state() {
    let sb = spawn().await;
    let html = consent_html(&sb, "openid").await;
    let token = hidden(&html, "consent_token");
    let resp = sb
        .http
        .post(sb.url("/oauth/consent"))
        .header("Origin", "http://localhost:3000")
        .form(&[("consent_token", token.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    assert!(loc.starts_with(CALLBACK));
    assert!(query_param(&loc, "code").is_some());
    assert_eq!(query_param(&loc, "state").as_deref(), Some("st-1"));
    // single use
    let resp = sb
        .http
        .post(sb.url("/oauth/consent"))
        .header("Origin", APP_ORIGIN)
        .form(&[("consent_token", token.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn deny_redirects_access_denied() {
    let sb = spawn().await;
    let token = hidden(&consent_html(&sb, "openid").await, "consent_token");
    let resp = sb
        .http
        .post(sb.url("/oauth/consent"))
        .header("Origin", sb.base.as_str())
        .form(&[("consent_token", token.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    assert_eq!(query_param(&loc, "error").as_deref(), Some("access_denied"));
    assert!(query_param(&loc, "error_description").is_some());
    assert_eq!(query_param(&loc, "state").as_deref(), Some("st-1"));
    assert!(query_param(&loc, "code").is_none());
}

#[tokio::test]
async fn consent_post_from_other_origin_or_without_origin_is_refused() {
    let sb = spawn().await;
    let token = hidden(&consent_html(&sb, "openid").await, "consent_token");
    for origin in [Some("http://evil.test"), Some("null"), Some("http://127.0.0.1:3001"), None] {
        let mut req = sb.http.post(sb.url("/oauth/consent"));
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        let resp = req.form(&[("consent_token", token.as_str()), ("decision", "approve")]).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{origin:?}");
    }
    // The refused attempts did not burn the token.
    let resp = sb
        .http
        .post(sb.url("/oauth/consent"))
        .header("Origin", APP_ORIGIN)
        .form(&[("consent_token", token.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
}

#[tokio::test]
async fn unknown_consent_token_or_decision_is_400() {
    let sb = spawn().await;
    let resp = sb
        .http
        .post(sb.url("/oauth/consent"))
        .header("Origin", APP_ORIGIN)
        .form(&[("consent_token", "forged"), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let token = hidden(&consent_html(&sb, "openid").await, "consent_token");
    let resp = sb
        .http
        .post(sb.url("/oauth/consent"))
        .header("Origin", APP_ORIGIN)
        .form(&[("consent_token", token.as_str()), ("decision", "maybe")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn session_bound_consent_token_rejects_other_session() {
    let sb = spawn().await;
    let alice = client(true);
    login(&alice, &sb, "alice@example.com", "alice-password").await;
    let (_, ch) = pkce();
    let html = alice.get(sb.authorize_url(&ch, "s", "openid")).send().await.unwrap().text().await.unwrap();
    let token = hidden(&html, "consent_token");
    let bob = client(true);
    login(&bob, &sb, "bob@example.com", "bob-password").await;
    let resp = bob
        .post(sb.url("/oauth/consent"))
        .header("Origin", sb.base.as_str())
        .form(&[("consent_token", token.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn remembered_consent_redirects_immediately_until_more_scopes_are_asked() {
    let sb = spawn().await;
    sb.code_via_api_key("agpt_alice_dev_key", "openid email").await;
    let (_, ch) = pkce();
    let resp = sb
        .http
        .get(sb.authorize_url(&ch, "again", "email"))
        .header("X-API-Key", "agpt_alice_dev_key")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    assert!(query_param(&loc, "code").is_some());
    assert_eq!(query_param(&loc, "state").as_deref(), Some("again"));
    let resp = sb
        .http
        .get(sb.authorize_url(&ch, "more", "email agents:execute"))
        .header("X-API-Key", "agpt_alice_dev_key")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "new scope needs consent");
}

#[tokio::test]
async fn item24_iss_in_authorization_responses_when_switched_on() {
    let sb = spawn_with(|c| c.quirks.iss_parameter = true).await;
    let (_, ch) = pkce();
    let html = sb
        .http
        .get(sb.authorize_url(&ch, "s", "openid"))
        .header("X-API-Key", "agpt_bob_dev_key")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden(&html, "consent_token");
    let resp = sb
        .http
        .post(sb.url("/oauth/consent"))
        .header("Origin", APP_ORIGIN)
        .form(&[("consent_token", token.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    let loc = location(&resp);
    assert_eq!(query_param(&loc, "iss").as_deref(), Some(sb.base.as_str()));
    let bad = with_param(&sb.authorize_url(&ch, "s", "openid"), "scope", Some("nope"));
    let resp = sb.http.get(bad).send().await.unwrap();
    assert_eq!(query_param(&location(&resp), "iss").as_deref(), Some(sb.base.as_str()));
}

#[tokio::test]
async fn consent_page_escapes_echoed_values() {
    let sb = spawn().await;
    let (_, ch) = pkce();
    let url = with_param(
        &sb.authorize_url(&ch, "\"><script>alert(1)</script>", "openid"),
        "scope",
        Some("openid <img src=x>"),
    );
    let resp = sb.http.get(url).header("X-API-Key", "agpt_alice_dev_key").send().await.unwrap();
    // invalid scope → redirect; the error description is in a URL, not HTML.
    assert_eq!(resp.status(), 302);
    let resp = sb.http.get(sb.url("/oauth/authorize?client_id=%3Cscript%3E")).send().await.unwrap();
    let html = resp.text().await.unwrap();
    assert!(!html.contains("<script>"));
}
