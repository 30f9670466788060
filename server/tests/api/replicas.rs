//! Two replicas on one PostgreSQL schema and one platform (B4, checklist 31).

use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use server::middleware::RateLimits;

use sandbox::state::model::TokenKind;

use backend::testing::TestDb;

use crate::browser::{deliver, envelope, iso, sign, signed_in};
use crate::support::{TestApp, spawn_app_with, spawn_replica};

#[tokio::test]
async fn webhook_on_replica_a_reaches_the_event_stream_of_replica_b() {
    let db = TestDb::postgres().await;
    let mut platform = sandbox::Config::for_tests();
    platform.quirks.unsigned_webhooks = true;
    let a = spawn_app_with(RateLimits::default(), db.url.clone(), platform).await;
    let b = spawn_replica(&a).await;
    let alice = signed_in(&a).await;
    let started = alice.execute("echo-agent").await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let id = started.json()["execution_id"].as_str().unwrap().to_owned();

    let stream = alice.stream(&format!("{}/api/autogpt/events", b.url)).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let body = envelope("execution.completed", &iso(0), json!({"execution_id": id, "outputs": {"replica": "a"}}));
    let (status, text) = deliver(&a.url, &body, Some(&sign(&body)), &[]).await;
    assert_eq!(status, StatusCode::OK, "{text}");

    let mut chunks = stream.bytes_stream();
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = chunks.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            let done = seen.split("\n\n").any(|event| {
                event.contains("event: execution_updated") && event.contains(&id) && event.contains("completed")
            });
            if done {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "replica B never streamed the update: {seen}");
}

/// Sandbox tokens: (refresh tokens rotated, access tokens revoked).
fn rotations_and_revocations(app: &TestApp) -> (usize, usize) {
    let db = app.platform.state().db();
    let rotated = db.tokens.iter().filter(|t| t.kind == TokenKind::Refresh && t.rotated).count();
    let revoked = db.tokens.iter().filter(|t| t.kind == TokenKind::Access && t.revoked).count();
    (rotated, revoked)
}

#[tokio::test]
async fn item31_concurrent_calls_on_two_replicas_refresh_once_and_keep_the_grant() {
    let db = TestDb::postgres().await;
    // Sign-in tokens live 30 s: inside the 60 s skew, so every call needs a refresh...
    let mut platform = sandbox::Config::for_tests();
    platform.access_token_ttl = Duration::from_secs(30);
    let a = spawn_app_with(RateLimits::default(), db.url.clone(), platform).await;
    let b = spawn_replica(&a).await;
    let alice = signed_in(&a).await;
    // ...while refreshed ones live an hour, so exactly one refresh satisfies all of them.
    let admin = reqwest::Client::new().post(format!("{}/__admin/settings", a.platform.base_url()));
    let r = admin.json(&json!({"access_token_ttl_secs": 3600})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let public = a.url.clone();
    let calls = (0..20).map(|i| {
        let base = if i % 2 == 0 { a.url.clone() } else { b.url.clone() };
        let (alice, public) = (&alice, &public);
        async move { alice.call_on(&base, Some(public), "grants", &[]).await }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let made = a.state.ctx.tokens.refresh_count() + b.state.ctx.tokens.refresh_count();
    assert_eq!(made, 1, "token-endpoint calls for 20 concurrent API calls on two replicas");
    assert_eq!(rotations_and_revocations(&a), (1, 0));

    // Explicit refreshes, 10 per replica at once: never a reuse of a rotated refresh token.
    let calls = (0..20).map(|i| {
        let base = if i % 2 == 0 { a.url.clone() } else { b.url.clone() };
        let alice = &alice;
        async move { alice.post_app(&base, "/api/autogpt/refresh").await }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let made = a.state.ctx.tokens.refresh_count() + b.state.ctx.tokens.refresh_count();
    let (rotated, revoked) = rotations_and_revocations(&a);
    assert_eq!(revoked, 0, "the platform's reuse detection revoked the grant");
    assert_eq!(rotated as u64, made, "every refresh the replicas made rotated the one live token");
    // The session still works on both replicas.
    for base in [&a.url, &b.url] {
        let r = alice.call_on(base, Some(&public), "grants", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let session = alice.call_on(base, Some(&public), "session", &[]).await.json();
        assert_eq!(session["reconnect_required"], false, "{session}");
    }
}
