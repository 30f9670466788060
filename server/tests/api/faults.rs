//! Issue 14 item 6, fault runs: the platform failing (5xx, dropped connections) on token
//! refresh, run start and status reads. Each shows a clear sentence, loses no state, and
//! recovers once the fault clears. Faults are the sandbox's admin switches.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Browser, signed_in};
use crate::support::{TestApp, spawn_app};

async fn admin(app: &TestApp, path: &str, body: Value) {
    let url = format!("{}/__admin{path}", app.platform.base_url());
    let r = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

async fn clear_faults(app: &TestApp) {
    let url = format!("{}/__admin/faults", app.platform.base_url());
    assert!(reqwest::Client::new().delete(url).send().await.unwrap().status().is_success());
}

async fn session(b: &Browser) -> Value {
    b.call("session", &[]).await.json()
}

#[tokio::test]
async fn a_failing_token_endpoint_is_a_sentence_and_the_sign_in_survives() {
    let app = spawn_app().await;
    let alice = signed_in(&app).await;
    // The access token is refused from now on, and the token endpoint answers 500 until cleared.
    admin(&app, "/tokens/expire", json!({"email": "alice@example.com", "kind": "access"})).await;
    admin(&app, "/faults", json!({"route": "/oauth/token", "status": 500, "until_cleared": true})).await;
    let r = alice.execute("echo-agent").await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert!(r.body.contains("could not refresh the sign-in; please try again"), "{}", r.body);
    assert_eq!(session(&alice).await["reconnect_required"], false, "a 5xx is not a refused refresh token");
    assert_eq!(alice.call("executions", &[]).await.json(), json!([]), "nothing recorded");
    // Cleared: the next call refreshes and succeeds.
    clear_faults(&app).await;
    let r = alice.execute("echo-agent").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.state.ctx.tokens.refresh_count(), 2, "one failed, one good token call");
}

#[tokio::test]
async fn a_failing_run_start_stores_nothing_and_works_once_cleared() {
    let app = spawn_app().await;
    let alice = signed_in(&app).await;
    admin(
        &app,
        "/faults",
        json!({"route": "/api/external/v1/executions/agents/*/execute", "status": 503, "until_cleared": true}),
    )
    .await;
    let r = alice.execute("echo-agent").await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert!(r.body.contains("the platform did not answer as expected"), "{}", r.body);
    assert_eq!(alice.call("executions", &[]).await.json(), json!([]), "nothing recorded");
    clear_faults(&app).await;
    let r = alice.execute("echo-agent").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn failing_status_reads_keep_the_stored_state_and_catch_up_later() {
    let app = spawn_app().await;
    let alice = signed_in(&app).await;
    let started = alice.execute("slow-agent").await;
    let id = started.json()["execution_id"].as_str().unwrap().to_owned();
    admin(
        &app,
        "/faults",
        json!({"route": "/api/external/v1/executions/*", "method": "GET", "status": 500, "until_cleared": true}),
    )
    .await;
    let r = alice.call("executions/status", &[("execution_id", &id)]).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    let listed = alice.call("executions", &[]).await.json();
    assert_eq!(listed[0]["execution_id"], id.as_str(), "the execution is still there: {listed}");
    assert_eq!(listed[0]["terminal"], false);
    clear_faults(&app).await;
    let r = alice.call("executions/status", &[("execution_id", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// A connection the platform drops mid-answer (what a timeout looks like to us) is a sentence
/// and stores nothing; a slow platform is waited for.
#[tokio::test]
async fn a_dropped_connection_is_a_sentence_and_a_slow_platform_is_waited_for() {
    let app = spawn_app().await;
    let alice = signed_in(&app).await;
    let route = "/api/external/v1/executions/agents/*/execute";
    admin(&app, "/faults", json!({"route": route, "drop": true, "count": 1})).await;
    let r = alice.execute("echo-agent").await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert!(r.body.contains("please try again"), "{}", r.body);
    assert_eq!(alice.call("executions", &[]).await.json(), json!([]), "nothing recorded");
    admin(&app, "/faults", json!({"route": route, "delay_ms": 1500, "count": 1})).await;
    let r = alice.execute("echo-agent").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(alice.call("executions", &[]).await.json().as_array().unwrap().len(), 1);
}
