//! Two replicas on one PostgreSQL schema and one platform (B4, checklist 31).

use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use server::middleware::RateLimits;

use crate::common::{PgSchema, spawn_app_with, spawn_replica};
use crate::support::{Browser, deliver, envelope, iso, sign, signed_in};

#[tokio::test]
async fn webhook_on_replica_a_reaches_the_event_stream_of_replica_b() {
    let db = PgSchema::create();
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

#[tokio::test]
async fn item31_concurrent_refreshes_on_two_replicas_keep_the_grant() {
    let db = PgSchema::create();
    let a = spawn_app_with(RateLimits::default(), db.url.clone(), sandbox::Config::for_tests()).await;
    let b = spawn_replica(&a).await;
    let alice: Browser = signed_in(&a).await;
    let calls = (0..20).map(|i| {
        let base = if i % 2 == 0 { a.url.clone() } else { b.url.clone() };
        let alice = &alice;
        async move { alice.post_app(&base, "/api/autogpt/refresh").await }
    });
    let answers = futures::future::join_all(calls).await;
    for r in &answers {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    {
        let db = a.platform.state().db();
        let refresh = db.tokens.iter().filter(|t| t.kind == sandbox::state::model::TokenKind::Refresh);
        assert!(refresh.clone().all(|t| !t.revoked || t.rotated), "reuse detection revoked the grant");
        assert_eq!(refresh.filter(|t| !t.revoked).count(), 1, "one live refresh token");
    }
    // The session still works on both replicas.
    for base in [&a.url, &b.url] {
        let r = alice.call_on(base, Some(&a.url), "grants", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let session = alice.call_on(base, Some(&a.url), "session", &[]).await.json();
        assert_eq!(session["reconnect_required"], false);
    }
}
