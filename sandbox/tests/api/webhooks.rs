//! Webhook deliveries: events, headers, signatures (raw body and canonical JSON), retries.

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::*;

fn hmac_hex(secret: &str, bytes: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(bytes);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn run(sb: &Sandbox, agent: &str, hook: &str) -> String {
    let t = sb.alice().await;
    let (s, _, text) = sb
        .api(
            Method::POST,
            &format!("/executions/agents/{agent}/execute"),
            Some(&t.access),
            Some(json!({"inputs": {"name": "Zoë"}, "webhook_url": hook})),
        )
        .await;
    assert_eq!(s, 200, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["execution_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn started_and_completed_are_signed_over_the_raw_body() {
    let sb = spawn().await;
    let (hook, rx) = receiver(vec![]).await;
    let id = run(&sb, "echo-agent", &hook).await;
    let got = eventually(|| async { (rx.received().len() >= 2).then(|| rx.received()) }).await;
    let events: Vec<Value> = got.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    assert_eq!(events[0]["event"], "execution.started");
    assert_eq!(events[0]["data"], json!({"execution_id": id, "agent_id": "echo-agent", "status": "running"}));
    assert_eq!(events[1]["event"], "execution.completed");
    assert_eq!(
        events[1]["data"],
        json!({"execution_id": id, "agent_id": "echo-agent", "status": "completed", "outputs": {"name": ["Zoë"], "summary": ["Echoed 1 input(s): name"]}})
    );
    for r in &got {
        assert_eq!(r.headers["content-type"], "application/json");
        assert_eq!(r.headers["user-agent"], "AutoGPT-Webhook/1.0");
        let ts = r.headers["x-webhook-timestamp"].to_str().unwrap();
        assert!(time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).is_ok());
        let sig = r.headers["x-webhook-signature"].to_str().unwrap();
        assert_eq!(sig, hmac_hex("whsec_dev", &r.body));
        assert_eq!(sig.len(), 7 + 64);
    }
    let v: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert!(v["timestamp"].is_string());
    let deliveries = sb.admin(Method::GET, "/deliveries", Value::Null).await;
    let delivered = eventually(|| async {
        let d = sb.admin(Method::GET, "/deliveries", Value::Null).await;
        d.as_array().unwrap().iter().all(|x| x["state"] == "delivered").then_some(d)
    })
    .await;
    assert_eq!(deliveries.as_array().unwrap().len(), 2);
    assert_eq!(delivered[0]["attempts"][0]["status"], 200);
}

#[tokio::test]
async fn failed_event_carries_error() {
    let sb = spawn().await;
    let (hook, rx) = receiver(vec![]).await;
    run(&sb, "failing-agent", &hook).await;
    let got = eventually(|| async { (rx.received().len() >= 2).then(|| rx.received()) }).await;
    let v: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(v["event"], "execution.failed");
    assert_eq!(v["data"]["status"], "failed");
    assert_eq!(v["data"]["error"], "Demo failure: failing-agent always fails");
}

#[tokio::test]
async fn retries_until_2xx_with_scaled_schedule() {
    // 5 s and 30 s nominal delays × 0.002 = 10 ms and 60 ms.
    let sb = spawn_with(|c| c.time_factor = 0.002).await;
    let (hook, rx) = receiver(vec![500, 503]).await;
    let t = sb.alice().await;
    sb.api(
        Method::POST,
        "/executions/agents/failing-agent/execute",
        Some(&t.access),
        Some(json!({"webhook_url": hook})),
    )
    .await;
    let d = eventually(|| async {
        let d = sb.admin(Method::GET, "/deliveries", Value::Null).await;
        let first = d.as_array().unwrap().iter().find(|x| x["event"] == "execution.started").cloned();
        first.filter(|x| x["state"] == "delivered")
    })
    .await;
    let statuses: Vec<Value> = d["attempts"].as_array().unwrap().iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, [json!(500), json!(503), json!(200)]);
    // identical body on every attempt
    let got: Vec<Received> = rx
        .received()
        .into_iter()
        .filter(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["event"] == "execution.started")
        .collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].body, got[2].body);
    assert_eq!(got[0].headers["x-webhook-signature"], got[2].headers["x-webhook-signature"]);
}

#[tokio::test]
async fn gives_up_after_four_attempts_and_redelivers_on_demand() {
    let sb = spawn_with(|c| c.time_factor = 0.0001).await;
    let (hook, rx) = receiver(vec![500; 8]).await;
    let t = sb.alice().await;
    sb.api(Method::POST, "/executions/agents/echo-agent/execute", Some(&t.access), Some(json!({"webhook_url": hook})))
        .await;
    let d = eventually(|| async {
        let d = sb.admin(Method::GET, "/deliveries", Value::Null).await;
        d.as_array().unwrap().iter().find(|x| x["event"] == "execution.started" && x["state"] == "failed").cloned()
    })
    .await;
    assert_eq!(d["attempts"].as_array().unwrap().len(), 4);
    let id = d["id"].as_str().unwrap();
    rx.answers.lock().unwrap().clear();
    let r = sb.admin(Method::POST, &format!("/deliveries/{id}/redeliver"), Value::Null).await;
    assert_eq!(r["redelivering"], id);
    eventually(|| async {
        let d = sb.admin(Method::GET, "/deliveries", Value::Null).await;
        d.as_array().unwrap().iter().find(|x| x["id"] == id && x["state"] == "delivered").cloned()
    })
    .await;
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let sb = spawn_with(|c| c.time_factor = 0.0001).await;
    let (hook, rx) = receiver(vec![302, 302, 302, 302]).await;
    run(&sb, "echo-agent", &hook).await;
    let d = eventually(|| async {
        let d = sb.admin(Method::GET, "/deliveries", Value::Null).await;
        d.as_array().unwrap().iter().find(|x| x["event"] == "execution.started" && x["state"] == "failed").cloned()
    })
    .await;
    assert_eq!(d["attempts"][0]["status"], 302);
    assert!(rx.received().len() >= 4);
}

#[tokio::test]
async fn grant_revoked_goes_to_latest_webhook_url() {
    let sb = spawn().await;
    let (old_hook, old_rx) = receiver(vec![]).await;
    let (hook, rx) = receiver(vec![]).await;
    let g = sb.alice_grant("google", "google:gmail.readonly").await;
    run(&sb, "echo-agent", &old_hook).await;
    run(&sb, "echo-agent", &hook).await;
    let gid = g["grant_id"].as_str().unwrap();
    let revoked = sb.admin(Method::POST, &format!("/grants/{gid}/revoke"), Value::Null).await;
    assert!(revoked["revoked_at"].is_string());
    let got = eventually(|| async {
        rx.received()
            .into_iter()
            .find(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["event"] == "grant.revoked")
    })
    .await;
    let v: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(v["data"], json!({"grant_id": gid, "credential_id": "cred-alice-google", "provider": "google"}));
    assert_eq!(got.headers["x-webhook-signature"].to_str().unwrap(), hmac_hex("whsec_dev", &got.body));
    assert!(
        old_rx.received().iter().all(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["event"] != "grant.revoked")
    );
    // the revoked grant is no longer usable
    let t = sb.alice().await;
    let (s, _, _) = sb
        .api(Method::POST, "/executions/agents/echo-agent/execute", Some(&t.access), Some(json!({"grant_ids": [gid]})))
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn canonical_json_signature_quirk() {
    let sb = spawn_with(|c| c.quirks.canonical_json_signatures = true).await;
    let (hook, rx) = receiver(vec![]).await;
    run(&sb, "echo-agent", &hook).await;
    let got = eventually(|| async { (rx.received().len() >= 2).then(|| rx.received()) }).await;
    let r = &got[1];
    let body = std::str::from_utf8(&r.body).unwrap();
    // httpx-style body: `json.dumps` defaults (", " / ": ", ASCII escapes)
    assert!(body.contains("\"event\": \"execution.completed\""), "{body}");
    assert!(body.contains("Zo\\u00eb"), "{body}");
    let v: Value = serde_json::from_str(body).unwrap();
    let canonical = format!(
        r#"{{"data":{{"agent_id":"echo-agent","execution_id":"{}","outputs":{{"name":["Zo\u00eb"],"summary":["Echoed 1 input(s): name"]}},"status":"completed"}},"event":"execution.completed","timestamp":"{}"}}"#,
        v["data"]["execution_id"].as_str().unwrap(),
        v["timestamp"].as_str().unwrap()
    );
    assert_eq!(r.headers["x-webhook-signature"].to_str().unwrap(), hmac_hex("whsec_dev", canonical.as_bytes()));
    assert_ne!(r.headers["x-webhook-signature"].to_str().unwrap(), hmac_hex("whsec_dev", &r.body));
}

#[tokio::test]
async fn unsigned_webhooks_quirk() {
    let sb = spawn_with(|c| c.quirks.unsigned_webhooks = true).await;
    let (hook, rx) = receiver(vec![]).await;
    run(&sb, "echo-agent", &hook).await;
    let got = eventually(|| async { (!rx.received().is_empty()).then(|| rx.received()) }).await;
    assert!(got[0].headers.get("x-webhook-signature").is_none());
    assert!(got[0].headers.get("x-webhook-timestamp").is_some());
}

#[tokio::test]
async fn unreachable_receiver_is_logged_as_failed_attempts() {
    let sb = spawn_with(|c| c.time_factor = 0.0001).await;
    // Bind and drop a listener to get a port nobody listens on.
    let port = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    run(&sb, "echo-agent", &format!("http://127.0.0.1:{port}/hook")).await;
    let d = eventually(|| async {
        let d = sb.admin(Method::GET, "/deliveries", Value::Null).await;
        d.as_array().unwrap().iter().find(|x| x["event"] == "execution.started" && x["state"] == "failed").cloned()
    })
    .await;
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 4);
    assert!(attempts.iter().all(|a| a["status"].is_null() && a["error"].is_string()));
}
