//! Server functions and what the browser can see (checklist 15, 35, 36, 42, 43).

use backend::testing::TestDb;
use reqwest::StatusCode;
use serde_json::Value;
use server::middleware::RateLimits;

use crate::browser::{Browser, hidden, issued_tokens, signed_in, wait_for_status};
use crate::support::{spawn_app_with, temp_sqlite};

#[tokio::test]
async fn item42_43_mutating_server_fns_need_our_origin_and_a_session() {
    let app = spawn_app_with(RateLimits::default(), temp_sqlite(), sandbox::Config::for_tests()).await;
    let alice = signed_in(&app).await;
    let form = [("provider", "google")];
    for origin in [Some("http://evil.test"), Some("null"), Some(app.platform.base_url()), None] {
        let r = alice.call_from(origin, "connect/begin", &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin:?}: {}", r.body);
    }
    let anonymous = Browser::new(&app);
    let r = anonymous.call("connect/begin", &form).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(anonymous.call("grants", &[]).await.status, StatusCode::UNAUTHORIZED);
    let r = alice.call("connect/begin", &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["nonce"].as_str().unwrap().len() >= 22);
}

backend::both_backends!(item15_only_platform_confirmed_grants_are_stored);

async fn item15_only_platform_confirmed_grants_are_stored(db: &TestDb) {
    let app = spawn_app_with(RateLimits::default(), db.url.clone(), sandbox::Config::for_tests()).await;
    let alice = signed_in(&app).await;

    // A forged grant id with a valid nonce: refused, nothing stored.
    let nonce =
        alice.call("connect/begin", &[("provider", "google")]).await.json()["nonce"].as_str().unwrap().to_owned();
    let r = alice.call("connect/record", &[("nonce", &nonce), ("grant_id", "grant-forged-0000")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let grants = alice.call("grants", &[]).await;
    assert_eq!(grants.json(), Value::Array(vec![]), "a forged grant was stored");

    // A real grant through the platform's connect popup: confirmed and stored.
    let grant_id = connect_google(&alice).await;
    assert_eq!(alice.call("grants", &[]).await.json()[0]["grant_id"], grant_id.as_str());
}

/// Runs the connect popup for google as alice and records the grant; returns its id.
pub async fn connect_google(alice: &Browser) -> String {
    let attempt = alice.call("connect/begin", &[("provider", "google")]).await.json();
    let nonce = attempt["nonce"].as_str().unwrap().to_owned();
    let popup = alice.get(attempt["popup_url"].as_str().unwrap()).await;
    assert_eq!(popup.status, StatusCode::OK, "{}", popup.body);
    let token = hidden(&popup.body, "connect_token").expect("connect page");
    let form = [("connect_token", token.as_str()), ("action", "approve"), ("credential_id", "cred-alice-google")];
    let platform = alice.platform.clone();
    let result = alice.post_form(&format!("{platform}/connect/google/decision"), Some(&platform), &form).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    let marker = "\"grant_id\":\"";
    let start = result.body.find(marker).expect("grant id in the result page") + marker.len();
    let grant_id = result.body[start..].split('"').next().unwrap().to_owned();
    let before = alice.cookie("agc_session");
    let r = alice.call("connect/record", &[("nonce", &nonce), ("grant_id", &grant_id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["grant_id"], grant_id.as_str());
    // Checklist 40: a completed connection gets a new session id, as a sign-in does.
    assert_ne!(alice.cookie("agc_session"), before, "the session id survived the connection");
    grant_id
}

#[tokio::test]
async fn item35_36_tokens_never_reach_the_browser_nor_the_database_file() {
    let database_url = temp_sqlite();
    // The sign-in's access token lives 30 s (inside the 60 s skew), so the refresh below really
    // calls the platform; the refreshed one lives an hour.
    let mut platform = sandbox::Config::for_tests();
    platform.access_token_ttl = std::time::Duration::from_secs(30);
    let app = spawn_app_with(RateLimits::default(), database_url.clone(), platform).await;
    let alice = signed_in(&app).await;
    let admin = reqwest::Client::new().post(format!("{}/__admin/settings", app.platform.base_url()));
    let r = admin.json(&serde_json::json!({"access_token_ttl_secs": 3600})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let refreshed = alice.post_app(&app.url, "/api/autogpt/refresh").await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    connect_google(&alice).await;
    let started = alice.execute("echo-agent").await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let id = started.json()["execution_id"].as_str().unwrap().to_owned();
    wait_for_status(&alice, &id, "completed").await;
    for page in ["/", "/connect", "/agents", "/executions"] {
        alice.get(&format!("{}{page}", app.url)).await;
    }
    for endpoint in ["session", "page/home", "page/grants", "page/history", "grants", "executions"] {
        assert_eq!(alice.call(endpoint, &[]).await.status, StatusCode::OK, "{endpoint}");
    }

    let tokens = issued_tokens(&app);
    assert!(tokens.len() >= 4, "sign-in and refresh issued tokens: {tokens:?}");
    let transcript = alice.transcript();
    // The scan reads what the browser got: pages, island data and postcard answers.
    assert!(transcript.contains(id.as_str()), "the transcript holds the execution");
    assert!(transcript.contains("connect-panel-data"), "the transcript holds island data");
    for token in &tokens {
        assert!(!transcript.contains(token.as_str()), "item 35: a token reached the browser");
    }

    // Item 36: neither the database file nor its WAL holds a token in plaintext.
    let path = database_url.strip_prefix("sqlite://").unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
    assert!(bytes.len() > 4096);
    for token in &tokens {
        let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
        assert!(!found, "item 36: a token is stored in plaintext");
    }
}
