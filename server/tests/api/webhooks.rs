//! The webhook receiver over HTTP (checklist 47, 48, 52, 54, 56, 57, 59, 61, 62, 64).

use std::time::Duration;

use backend::services::upkeep::run_once;
use backend::testing::TestDb;
use reqwest::StatusCode;
use serde_json::json;
use server::middleware::RateLimits;

use crate::browser::{deliver, envelope, iso, sign, signed_in, wait_for_status};
use crate::support::{spawn_app_tuned, spawn_app_with, temp_sqlite};

/// The sandbox's own deliveries fail verification, so only the test's webhooks count.
fn platform_without_signed_webhooks() -> sandbox::Config {
    let mut config = sandbox::Config::for_tests();
    config.quirks.unsigned_webhooks = true;
    config
}

#[tokio::test]
async fn item47_48_52_54_56_59_62_verification_failures_are_one_401() {
    let app = spawn_app_with(RateLimits::default(), temp_sqlite(), sandbox::Config::for_tests()).await;
    let body = envelope("execution.started", &iso(0), json!({"execution_id": "exec-unknown", "status": "running"}));
    let signature = sign(&body);

    let mut rejections = Vec::new();
    // Item 47: no signature header.
    rejections.push(deliver(&app.url, &body, None, &[]).await);
    // Item 48: malformed headers (upper-case hex, short, no prefix, other algorithm).
    let upper = signature.to_ascii_uppercase().replace("SHA256=", "sha256=");
    for bad in [upper.as_str(), &signature[..70], &signature[7..], "sha1=0123", "sha256="] {
        rejections.push(deliver(&app.url, &body, Some(bad), &[]).await);
    }
    // Item 52: one byte changed; signed with another secret.
    let mut changed = body.clone();
    let last = changed.len() - 2;
    changed[last] ^= 1;
    rejections.push(deliver(&app.url, &changed, Some(&signature), &[]).await);
    let foreign = autogpt::webhook::sign_raw(&autogpt::secret::WebhookSecret::new("whsec_other"), &body);
    rejections.push(deliver(&app.url, &body, Some(&foreign), &[]).await);
    // Item 56: a fresh unsigned header does not rescue a stale signed timestamp...
    let stale = envelope("execution.started", &iso(-3600), json!({"execution_id": "exec-stale"}));
    rejections.push(deliver(&app.url, &stale, Some(&sign(&stale)), &[("x-webhook-timestamp", &iso(0))]).await);

    // Item 62: one status, one body for every failure.
    for (status, text) in &rejections {
        assert_eq!(*status, StatusCode::UNAUTHORIZED, "{text}");
        assert_eq!(text, &rejections[0].1);
    }

    // ...and a wrong header does not spoil a fresh signed timestamp.
    let (status, text) = deliver(&app.url, &body, Some(&signature), &[("x-webhook-timestamp", "0")]).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // Item 59: an unknown event is acknowledged.
    let unknown = envelope("agent.renamed", &iso(0), json!({"agent_id": "echo-agent"}));
    assert_eq!(deliver(&app.url, &unknown, Some(&sign(&unknown)), &[]).await.0, StatusCode::OK);
    // Item 54: above 256 KiB → 413.
    let filler = "x".repeat(256 * 1024);
    let big = envelope("execution.started", &iso(0), json!({"execution_id": "exec-big", "pad": filler}));
    assert_eq!(deliver(&app.url, &big, Some(&sign(&big)), &[]).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}

backend::both_backends!(item57_three_identical_deliveries_one_side_effect);

async fn item57_three_identical_deliveries_one_side_effect(db: &TestDb) {
    let app = spawn_app_with(RateLimits::default(), db.url.clone(), platform_without_signed_webhooks()).await;
    let alice = signed_in(&app).await;
    let started = alice.execute("echo-agent").await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let id = started.json()["execution_id"].as_str().unwrap().to_owned();

    let body = envelope(
        "execution.completed",
        &iso(0),
        json!({"execution_id": id, "agent_id": "echo-agent", "outputs": {"text": "from the test"}}),
    );
    let signature = sign(&body);
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(deliver(&app.url, &body, Some(&signature), &[]).await);
    }
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::OK), "{answers:?}");
    assert_eq!(answers.iter().filter(|(_, b)| b.contains("duplicate")).count(), 2, "{answers:?}");
    let execution = wait_for_status(&alice, &id, "completed").await;
    assert!(execution["outputs"].as_str().unwrap().contains("from the test"));
    let events: Vec<&str> =
        execution["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["execution.completed"], "one side effect for three deliveries");
}

backend::both_backends!(item61_a_failed_durable_enqueue_answers_5xx);

async fn item61_a_failed_durable_enqueue_answers_5xx(db: &TestDb) {
    let app = spawn_app_with(RateLimits::default(), db.url.clone(), sandbox::Config::for_tests()).await;
    let stored = envelope("execution.started", &iso(0), json!({"execution_id": "exec-1"}));
    assert_eq!(deliver(&app.url, &stored, Some(&sign(&stored)), &[]).await.0, StatusCode::OK);
    // The database goes away: a valid delivery is not acknowledged, so the platform retries.
    app.state.ctx.storage.close().await;
    let body = envelope("execution.started", &iso(0), json!({"execution_id": "exec-2"}));
    let (status, text) = deliver(&app.url, &body, Some(&sign(&body)), &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
}

backend::both_backends!(item64_a_lost_webhook_only_costs_latency);

async fn item64_a_lost_webhook_only_costs_latency(db: &TestDb) {
    let app = spawn_app_tuned(db.url.clone(), platform_without_signed_webhooks(), |settings| {
        settings.backend.upkeep.stale_after_secs = 0;
    })
    .await;
    let alice = signed_in(&app).await;
    let started = alice.execute("echo-agent").await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let id = started.json()["execution_id"].as_str().unwrap().to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        run_once(&app.state.ctx).await;
        let list = alice.call("executions", &[]).await.json();
        let status =
            list.as_array().unwrap().iter().find(|e| e["execution_id"] == id.as_str()).unwrap()["status"].clone();
        if status == "completed" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {status} after reconciliation");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = wait_for_status(&alice, &id, "completed").await["events"].clone();
    assert_eq!(events, json!([]), "no webhook was accepted: the poll did it");
}
