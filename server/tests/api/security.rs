//! Issue 11, the security pass: each finding closed, proven through the production router.
//! Test names carry the item number; checklist items are cited where they apply.

use std::time::Duration;

use backend::storage::AfterFailure;
use backend::testing::count_rows;
use futures::StreamExt as _;
use reqwest::StatusCode;
use serde_json::json;
use server::middleware::RateLimits;

use crate::browser::{Browser, authorize, hidden, sign_in, signed_in, to_callback, to_callback_as};
use crate::support::{spawn_app, spawn_app_with, temp_sqlite};

const EVIL: &str = "http://evil.test";

/// Item 1 (login CSRF): a cross-site form post of the API-key form is refused before anything
/// happens — 403, no cookie, nothing stored — and the victim stays who they are.
#[tokio::test]
async fn item1_a_cross_site_api_key_post_is_403_and_the_victim_stays_themselves() {
    let app = spawn_app().await;
    let victim = signed_in(&app).await;
    let url = format!("{}/api/autogpt/authorize", app.url);
    let attack = [("apiKey", "agpt_bob_dev_key")];
    for headers in [
        vec![("origin", EVIL)],
        vec![("origin", "null")],
        // No Origin at all: only a same-origin fetch may pass.
        vec![("sec-fetch-site", "cross-site")],
        vec![],
    ] {
        let r = victim.post_form_with(&url, &headers, &attack).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}: {}", r.body);
        assert!(r.set_cookies.is_empty(), "{headers:?} set {:?}", r.set_cookies);
    }
    let session = victim.call("session", &[]).await.json();
    assert_eq!(session["email"], "alice@example.com", "the victim is still themselves: {session}");
    // Our own page may still post it.
    let own = victim.post_form_with(&url, &[("origin", &app.url)], &attack).await;
    assert!(own.status.is_success() || own.status.is_redirection(), "{}", own.status);
    let fetch = victim.post_form_with(&url, &[("sec-fetch-site", "same-origin")], &attack).await;
    assert!(fetch.status.is_success() || fetch.status.is_redirection(), "{}", fetch.status);
}

/// Item 1: every state-changing route and server function follows the same rule, including
/// the "reads" that write (grants refresh, execution status refresh).
#[tokio::test]
async fn item1_every_state_changing_call_needs_our_origin() {
    let app = spawn_app().await;
    let alice = signed_in(&app).await;
    // (`agents/execute` takes other arguments: its Origin check is item 42's test.)
    for endpoint in ["grants", "executions/status", "connect/begin", "connect/reconcile", "executions/cancel"] {
        let r = alice.call_from(Some(EVIL), endpoint, &[("x", "y")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{endpoint}: {}", r.body);
    }
    for path in ["/api/autogpt/refresh", "/api/autogpt/logout"] {
        let r = alice.post_form_with(&format!("{}{path}", app.url), &[("origin", EVIL)], &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert!(r.set_cookies.is_empty(), "{path}: {:?}", r.set_cookies);
    }
    assert_eq!(alice.call("session", &[]).await.json()["email"], "alice@example.com", "not signed out");
}

/// Item 2: refresh never calls the platform while the token is fresh, concurrent callers of a
/// stale one share one call, and one user's refreshes cannot starve another user's sign-in.
#[tokio::test]
async fn item2_thirty_refreshes_make_at_most_one_token_call_and_others_still_sign_in() {
    // The sign-in's token lives 30 s (inside the 60 s skew: stale at once), a refreshed one an
    // hour.
    let mut platform = sandbox::Config::for_tests();
    platform.access_token_ttl = Duration::from_secs(30);
    let app = spawn_app_with(RateLimits::default(), temp_sqlite(), platform).await;
    let alice = signed_in(&app).await;
    let admin = reqwest::Client::new().post(format!("{}/__admin/settings", app.platform.base_url()));
    assert_eq!(admin.json(&json!({"access_token_ttl_secs": 3600})).send().await.unwrap().status(), StatusCode::OK);
    let issued_before = app.platform.state().db().tokens.len();
    let calls = (0..30).map(|_| alice.post_app(&app.url, "/api/autogpt/refresh"));
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.json()["expires_at"].as_i64().is_some(), "{}", r.body);
    }
    assert_eq!(app.state.ctx.tokens.refresh_count(), 1, "one shared platform call");
    assert_eq!(app.platform.state().db().tokens.len(), issued_before + 2, "one new token pair");
    // Fresh now: thirty more refreshes call nothing.
    for _ in 0..30 {
        assert_eq!(alice.post_app(&app.url, "/api/autogpt/refresh").await.status, StatusCode::OK);
    }
    assert_eq!(app.state.ctx.tokens.refresh_count(), 1);
    // Another user signs in (the platform's per-client token limit still has room).
    let bob = Browser::new(&app);
    let start = authorize(&bob, "").await;
    let callback = to_callback_as(&bob, start, "approve", ("bob@example.com", "bob-password")).await;
    let done = bob.get(&callback).await;
    assert_eq!(done.location.as_deref(), Some(format!("{}/connect?success=true", app.url).as_str()), "{}", done.body);
    assert_eq!(bob.call("session", &[]).await.json()["email"], "bob@example.com");
}

/// Item 2: the refresh budget answers our own 429 with a clear message once spent.
#[tokio::test]
async fn item2_refreshes_beyond_the_budget_get_our_own_429() {
    let mut platform = sandbox::Config::for_tests();
    // Every token is stale at once, so every forced refresh would call the platform.
    platform.access_token_ttl = Duration::from_secs(30);
    let app = crate::support::spawn_app_tuned(temp_sqlite(), platform, |s| {
        s.backend.token_budget.per_connection_per_minute = std::num::NonZeroU32::new(2).unwrap();
    })
    .await;
    let alice = signed_in(&app).await;
    let statuses: Vec<StatusCode> = {
        let mut out = Vec::new();
        for _ in 0..4 {
            out.push(alice.post_app(&app.url, "/api/autogpt/refresh").await.status);
        }
        out
    };
    assert_eq!(statuses[..2], [StatusCode::OK, StatusCode::OK], "{statuses:?}");
    assert!(statuses[2..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let r = alice.post_app(&app.url, "/api/autogpt/refresh").await;
    assert!(r.body.contains("Too many requests"), "{}", r.body);
    assert_eq!(app.state.ctx.tokens.refresh_count(), 2);
}

/// Item 3: signing out in one browser signs the user out in every other one, and signing in
/// again does not revive them; their open event streams end.
#[tokio::test]
async fn item3_sign_out_ends_every_session_and_a_new_sign_in_never_revives_them() {
    let app = spawn_app().await;
    let first = signed_in(&app).await;
    let second = signed_in(&app).await;
    assert_eq!(second.call("session", &[]).await.json()["email"], "alice@example.com");
    let stream = second.stream(&format!("{}/api/autogpt/events", app.url)).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let out = first.post_app(&app.url, "/api/autogpt/logout").await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    // The other browser's stream hears the sign-out, then ends.
    let text = tokio::time::timeout(Duration::from_secs(10), async {
        let mut body = stream.bytes_stream();
        let mut text = String::new();
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
        text
    })
    .await
    .expect("the stream ends");
    assert!(text.contains("event: signed_out"), "{text}");
    assert_eq!(second.call("session", &[]).await.json(), serde_json::Value::Null, "the other session ended");
    // Alice signs in again (in the first browser): the second stays signed out.
    let again = sign_in(&first, "").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(first.call("session", &[]).await.json()["email"], "alice@example.com");
    assert_eq!(second.call("session", &[]).await.json(), serde_json::Value::Null, "not revived");
    let r = second.call("grants", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// Item 4: starting a sign-in writes nothing durable: 100 anonymous starts, no row.
#[tokio::test]
async fn item4_starting_a_sign_in_writes_nothing_durable() {
    // A per-IP budget large enough for the hundred starts (the default one would stop them).
    let generous = server::middleware::Quota::new(
        std::num::NonZeroU32::new(1_000).unwrap(),
        std::num::NonZeroU32::new(1_000).unwrap(),
    );
    let limits = RateLimits { callback: generous, ..RateLimits::default() };
    let app = spawn_app_with(limits, temp_sqlite(), sandbox::Config::for_tests()).await;
    let storage = &app.state.ctx.storage;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for _ in 0..100 {
        let r = client.get(format!("{}/api/autogpt/authorize", app.url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let cookies: Vec<_> =
            r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        assert!(cookies.iter().all(|c| c.starts_with("agc_signin=")), "{cookies:?}");
    }
    for table in ["sessions", "consumed_states", "connections"] {
        assert_eq!(count_rows(storage, table).await, 0, "{table}");
    }
    // A sign-in that completes stores its session and its consumed state, nothing more.
    let alice = signed_in(&app).await;
    assert_eq!(count_rows(storage, "sessions").await, 1);
    assert_eq!(count_rows(storage, "consumed_states").await, 1);
    assert!(alice.cookie("agc_signin").is_none(), "the callback cleared the transaction cookie");
}

/// Item 5: 100 deliveries given up for good do not hold back a fresh one.
#[tokio::test]
async fn item5_a_hundred_dead_deliveries_and_a_fresh_one_the_fresh_one_is_processed() {
    let app = spawn_app().await;
    let ctx = &app.state.ctx;
    let inbox = ctx.storage.inbox();
    let now = ctx.now();
    // A body that processes cleanly: the app's own upkeep may race the test for a row between
    // its insert and its marking, and must not undo the marking.
    let body = r#"{"event":"no.such.event","timestamp":"2026-01-01T00:00:00Z","data":{}}"#;
    for n in 0..100 {
        let key = format!("dead-{n}");
        inbox.insert(&key, "no.such.event", None, body, now - 10).await.unwrap();
        inbox.mark_failed(&key, "boom", AfterFailure::GiveUp(now - 5)).await.unwrap();
    }
    inbox.insert("fresh", "no.such.event", None, body, now).await.unwrap();
    backend::services::webhooks::sweep(ctx).await;
    let pending: Vec<String> = inbox.unprocessed(200).await.unwrap().into_iter().map(|r| r.idempotency_key).collect();
    assert!(!pending.contains(&"fresh".to_owned()), "the fresh delivery was processed");
    assert_eq!(inbox.dead_count().await.unwrap(), 100, "the dead ones are kept, given up");
    let metrics = reqwest::get(format!("{}/metrics", app.url)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("webhooks_dead 100"), "{metrics}");
}

/// Item 8: every script we emit carries this response's nonce, and the policy allows exactly
/// it (no `'unsafe-inline'` scripts); the platform's consent page shown on our origin is
/// sandboxed (no script runs) and may post only to the platform and back to us.
#[tokio::test]
async fn item8_pages_use_a_per_response_script_nonce_and_the_consent_page_is_sandboxed() {
    let app = spawn_app().await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let r = reqwest::get(format!("{}/connect", app.url)).await.unwrap();
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
        let html = r.text().await.unwrap();
        let script_src = csp.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap().to_owned();
        assert!(!script_src.contains("unsafe-inline"), "{csp}");
        let nonce = script_src.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned();
        let scripts: Vec<&str> = html.split("<script").skip(1).map(|s| s.split('>').next().unwrap()).collect();
        let executable: Vec<&&str> = scripts.iter().filter(|s| !s.contains("application/octet-stream")).collect();
        assert!(!executable.is_empty(), "the page hydrates with a script");
        for tag in executable {
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "<script{tag}> without the nonce {nonce}");
        }
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a fresh nonce per response");
    // The API-key consent page (the guide's design shows it on our origin).
    let b = Browser::new(&app);
    let r = b
        .post_form_with(
            &format!("{}/api/autogpt/authorize", app.url),
            &[("origin", &app.url)],
            &[("apiKey", "agpt_alice_dev_key")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(hidden(&r.body, "consent_token").is_some(), "the platform's consent page: {}", r.body);
    let consent = reqwest::Client::new()
        .post(format!("{}/api/autogpt/authorize", app.url))
        .header("origin", &app.url)
        .form(&[("apiKey", "agpt_alice_dev_key")])
        .send()
        .await
        .unwrap();
    let csp = consent.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.starts_with("sandbox allow-forms allow-same-origin;"), "{csp}");
    assert!(!csp.contains("allow-scripts") && csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains(&format!("form-action 'self' {};", app.platform.base_url())), "{csp}");
}

/// Item 11: the callback consumes a transaction only for the browser that started it: a
/// stranger holding a leaked `state` (and even a code) cannot spoil the owner's sign-in.
#[tokio::test]
async fn item11_a_stranger_with_a_leaked_state_cannot_spoil_the_owners_sign_in() {
    let app = spawn_app().await;
    let owner = Browser::new(&app);
    let callback = to_callback(&owner, authorize(&owner, "").await, "approve").await;
    let stranger = Browser::new(&app);
    let r = stranger.get(&callback).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(stranger.call("session", &[]).await.json(), serde_json::Value::Null);
    let done = owner.get(&callback).await;
    assert_eq!(done.location.as_deref(), Some(format!("{}/connect?success=true", app.url).as_str()), "{}", done.body);
    // Checklist 20: a replay, even with a saved copy of the transaction cookie, is refused.
    assert_eq!(owner.get(&callback).await.status, StatusCode::BAD_REQUEST);
}

/// Item 11 (checklist 19, 44): no response of a whole session carries the PKCE verifier the
/// platform received, nor the app's `APP_SECRET`.
#[tokio::test]
async fn item11_no_response_carries_the_pkce_verifier_or_the_app_secret() {
    let app = spawn_app().await;
    let alice = signed_in(&app).await;
    for page in ["/", "/connect", "/agents", "/executions"] {
        alice.get(&format!("{}{page}", app.url)).await;
    }
    let verifiers: Vec<String> =
        app.platform.state().db().codes.iter().filter_map(|c| c.verifier_presented.clone()).collect();
    assert_eq!(verifiers.len(), 1, "the sign-in presented its verifier to the platform");
    let transcript = alice.transcript();
    assert!(transcript.contains("agc_signin="), "the scan sees the transaction cookie");
    for secret in verifiers.iter().map(String::as_str).chain(["test-secret-test-secret-test-secret"]) {
        assert!(!transcript.contains(secret), "a secret reached the browser");
    }
}

/// Item 11 (checklist 34): sign-out revokes the refresh token at the platform, after the local
/// tokens are gone.
#[tokio::test]
async fn item11_item34_sign_out_revokes_at_the_platform() {
    let app = spawn_app().await;
    let alice = signed_in(&app).await;
    let out = alice.post_app(&app.url, "/api/autogpt/logout").await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let db = app.platform.state().db();
    let refresh = db.tokens.iter().find(|t| t.kind == sandbox::state::model::TokenKind::Refresh).unwrap();
    assert!(refresh.revoked, "the refresh token was revoked at the platform");
}

/// Item 11 (checklist 60): the webhook answers at once even while its processing is held up
/// (here: the executions row it must update is locked by another transaction).
#[tokio::test]
async fn item11_item60_the_webhook_answers_before_processing_finishes() {
    let db = backend::testing::TestDb::postgres().await;
    let mut platform = sandbox::Config::for_tests();
    platform.quirks.unsigned_webhooks = true;
    let app = spawn_app_with(RateLimits::default(), db.url.clone(), platform).await;
    let alice = signed_in(&app).await;
    let started = alice.execute("slow-agent").await;
    let id = started.json()["execution_id"].as_str().unwrap().to_owned();
    // Hold the row: processing (`UPDATE executions ...`) must wait for this transaction.
    let mut lock = backend::testing::lock_execution_row(&db, &id).await;
    let body = crate::browser::envelope(
        "execution.completed",
        &crate::browser::iso(0),
        json!({"execution_id": id, "outputs": {"done": true}}),
    );
    let started = std::time::Instant::now();
    let (status, _) = crate::browser::deliver(&app.url, &body, Some(&crate::browser::sign(&body)), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(2), "answered in {:?}", started.elapsed());
    lock.release().await;
    crate::browser::wait_for_status(&alice, &id, "completed").await;
}
