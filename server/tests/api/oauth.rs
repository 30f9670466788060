//! Sign-in with AutoGPT through the real HTTP flow (checklist 20–24, 38–41).

use std::collections::HashMap;

use backend::testing::TestDb;
use reqwest::StatusCode;
use server::Application;
use server::config::Settings;
use server::middleware::RateLimits;
use url::Url;

use crate::browser::{Browser, authorize, sign_in, to_callback, token_activity};
use crate::support::{spawn_app_with, temp_sqlite};

fn with_param(url: &str, key: &str, value: Option<&str>) -> String {
    let mut u = Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> =
        u.query_pairs().filter(|(k, _)| k != key).map(|(k, v)| (k.into(), v.into())).collect();
    {
        let mut q = u.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(value) = value {
            q.append_pair(key, value);
        }
    }
    u.to_string()
}

backend::both_backends!(item20_21_22_state_is_single_use_session_bound_and_denials_consume_it);

async fn item20_21_22_state_is_single_use_session_bound_and_denials_consume_it(db: &TestDb) {
    let app = spawn_app_with(RateLimits::default(), db.url.clone(), sandbox::Config::for_tests()).await;
    let alice = Browser::new(&app);

    // Item 22 (first, while alice's consent is not yet remembered): access_denied consumes the
    // state, redirects with an error and exchanges nothing.
    let denier = Browser::new(&app);
    let start = authorize(&denier, "").await;
    let callback = to_callback(&denier, start, "deny").await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let denied = denier.get(&callback).await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER);
    let to = denied.location.unwrap();
    assert!(to.contains("/connect?error=Access+denied"), "{to}");
    assert_eq!(denier.get(&callback).await.status, StatusCode::BAD_REQUEST, "a denied state stays consumed");
    assert_eq!(token_activity(&app), (0, 0));
    let session = denier.call("session", &[]).await;
    assert_eq!(session.json(), serde_json::Value::Null, "a denied sign-in signed someone in");

    // Item 21: missing and unknown state → 400, no token request.
    for query in ["code=abc", "code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let r = alice.get(&format!("{}/api/autogpt/callback?{query}", app.url)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
    }

    // Item 21: the callback of alice's transaction opened in another browser (session) → 400.
    let start = authorize(&alice, "").await;
    let callback = to_callback(&alice, start, "approve").await;
    let mallory = Browser::new(&app);
    let r = mallory.get(&callback).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(token_activity(&app), (0, 0), "a foreign-session callback made a token request");

    // Item 20: a fresh sign-in succeeds once; replaying its callback is 400 and exchanges nothing.
    let start = authorize(&alice, "").await;
    let callback = to_callback(&alice, start, "approve").await;
    let first = alice.get(&callback).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    assert!(first.location.as_deref().unwrap().ends_with("/connect?success=true"));
    let after_first = token_activity(&app);
    assert_eq!(after_first.0, 1, "exactly one code exchange");
    let replay = alice.get(&callback).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(token_activity(&app), after_first, "the replay reached the token endpoint");
    assert!(app.platform.state().db().tokens.iter().all(|t| !t.revoked), "code reuse revoked the grant");
}

#[tokio::test]
async fn item23_24_iss_must_name_the_platform_exactly() {
    let mut platform = sandbox::Config::for_tests();
    platform.quirks.iss_parameter = true;
    let app = spawn_app_with(RateLimits::default(), temp_sqlite(), platform).await;

    // With iss on, a normal sign-in works (the token request used the same redirect_uri, item 23).
    let ok = Browser::new(&app);
    let start = authorize(&ok, "").await;
    let callback = to_callback(&ok, start, "approve").await;
    let iss = Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "iss").map(|(_, v)| v.into_owned());
    assert_eq!(iss.as_deref(), Some(app.platform.base_url()));
    let done = ok.get(&callback).await;
    assert_eq!(done.location.as_deref(), Some(format!("{}/connect?success=true", app.url).as_str()));
    let before = token_activity(&app);

    // A wrong iss is refused before any token request.
    let other = Browser::new(&app);
    let start = authorize(&other, "").await;
    let callback = to_callback(&other, start, "approve").await;
    let forged = with_param(&callback, "iss", Some("http://127.0.0.1:1"));
    let r = other.get(&forged).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.unwrap().contains("/connect?error="), "wrong iss accepted");
    assert_eq!(token_activity(&app), before);
    assert_eq!(other.call("session", &[]).await.json(), serde_json::Value::Null);

    // Discovery advertises `authorization_response_iss_parameter_supported`: a callback that
    // lost its iss (a mix-up attack strips it) is refused too, before any token request.
    let stripped = Browser::new(&app);
    let start = authorize(&stripped, "").await;
    let callback = to_callback(&stripped, start, "approve").await;
    let without = with_param(&callback, "iss", None);
    assert!(!without.contains("iss="), "{without}");
    let r = stripped.get(&without).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location.unwrap().contains("/connect?error="), "missing iss accepted");
    assert_eq!(token_activity(&app), before);
}

#[tokio::test]
async fn item38_return_to_never_leaves_the_app() {
    let app = spawn_app_with(RateLimits::default(), temp_sqlite(), sandbox::Config::for_tests()).await;
    let b = Browser::new(&app);
    let good = sign_in(&b, "?return_to=%2Fagents%3Fx%3D1").await;
    assert_eq!(good.location.as_deref(), Some(format!("{}/agents?x=1&success=true", app.url).as_str()));
    for evil in ["%2F%2Fevil.test", "%2F%5Cevil.test", "https%3A%2F%2Fevil.test", "javascript%3Aalert(1)"] {
        let done = sign_in(&b, &format!("?return_to={evil}")).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{evil}");
        assert_eq!(done.location.as_deref(), Some(format!("{}/?success=true", app.url).as_str()), "{evil}");
    }
}

#[tokio::test]
async fn item39_only_the_configured_scopes_are_requested_and_granted_ones_stored() {
    let app = spawn_app_with(RateLimits::default(), temp_sqlite(), sandbox::Config::for_tests()).await;
    let b = Browser::new(&app);
    let start = authorize(&b, "").await;
    let url = Url::parse(start.location.as_deref().unwrap()).unwrap();
    assert!(url.as_str().starts_with(&format!("{}/oauth/authorize?", app.platform.base_url())));
    let scope = url.query_pairs().find(|(k, _)| k == "scope").map(|(_, v)| v.into_owned()).unwrap();
    let requested: Vec<&str> = scope.split(' ').collect();
    let configured: Vec<&str> = app.state.settings.backend.sign_in_scopes.iter().map(|s| s.as_str()).collect();
    assert_eq!(requested, configured);
    let callback = to_callback(&b, start, "approve").await;
    assert_eq!(b.get(&callback).await.status, StatusCode::SEE_OTHER);
    let session = b.call("session", &[]).await.json();
    let mut stored: Vec<String> = serde_json::from_value(session["scopes"].clone()).unwrap();
    let mut expected: Vec<String> = configured.iter().map(|s| s.to_string()).collect();
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn item40_41_session_cookie_is_cycled_and_locked_down() {
    let app = spawn_app_with(RateLimits::default(), temp_sqlite(), sandbox::Config::for_tests()).await;
    let b = Browser::new(&app);
    // Issue 11 item 4: starting a sign-in sets no session cookie; the sign-in sets it.
    let start = authorize(&b, "").await;
    assert!(!start.set_cookies.iter().any(|c| c.starts_with("agc_session=")), "{:?}", start.set_cookies);
    let callback = to_callback(&b, start, "approve").await;
    let signed_in = b.get(&callback).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let cookie = signed_in.set_cookies.iter().find(|c| c.starts_with("agc_session=")).expect("session cookie set");
    let attributes: Vec<String> = cookie.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
    assert!(attributes.contains(&"httponly".into()), "{cookie}");
    assert!(attributes.contains(&"samesite=lax".into()), "{cookie}");
    assert!(attributes.contains(&"path=/".into()), "{cookie}");
    assert!(!attributes.iter().any(|a| a.starts_with("domain")), "{cookie}");
    assert!(!attributes.contains(&"secure".into()), "dev config over http: {cookie}");
    // Signing in again (the same browser, an existing session) gets a new session id.
    let before = b.cookie("agc_session").unwrap();
    let callback = to_callback(&b, authorize(&b, "").await, "approve").await;
    assert_eq!(b.get(&callback).await.status, StatusCode::SEE_OTHER);
    let after = b.cookie("agc_session").unwrap();
    assert_ne!(before, after, "the session id survived the sign-in (item 40)");
    assert!(b.call("session", &[]).await.json()["email"] == "alice@example.com");
}

#[tokio::test]
async fn item41_production_cookie_is_host_prefixed_and_secure() {
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).unwrap();
    let env: HashMap<String, String> = [
        ("APP_ENV", "production"),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("APP_URL", "https://app.example"),
        ("AUTOGPT_URL", "https://platform.example"),
        ("AUTOGPT_CLIENT_ID", "prod-client"),
        ("AUTOGPT_CLIENT_SECRET", "prod-client-secret-not-the-default"),
        ("AUTOGPT_WEBHOOK_SECRET", "whsec_production_value_0123456789abcdef"),
        ("APP_SECRET", "production-secret-production-secret-0123"),
        ("DATABASE_URL", &temp_sqlite()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = Settings::from_sources(&file, &env).expect("production settings");
    let app = Application::build(settings).await.expect("app starts");
    let url = format!("http://{}", app.local_addr().unwrap());
    tokio::spawn(async move { app.run_until_stopped().await.expect("server runs") });
    let b = Browser::with_urls(&url, "https://platform.example");
    // Issue 11 item 9: an https app pins browsers to https.
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
    let r = b.get(&format!("{url}/api/autogpt/authorize")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Before a sign-in completes there is no session, only the sealed transaction cookie; it
    // is locked down the same way (the session cookie: `startup`'s unit test).
    assert!(!r.set_cookies.iter().any(|c| c.contains("agc_session")), "{:?}", r.set_cookies);
    let cookie = r.set_cookies.iter().find(|c| c.starts_with("__Host-agc_signin=")).expect("__Host- cookie");
    let attributes: Vec<String> = cookie.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
    for wanted in ["secure", "httponly", "samesite=lax", "path=/"] {
        assert!(attributes.contains(&wanted.to_owned()), "{wanted} missing: {cookie}");
    }
    assert!(!attributes.iter().any(|a| a.starts_with("domain")), "{cookie}");
}
