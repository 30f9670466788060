//! External API: Bearer validation, scopes, agents and the execution engine, grants.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn wait_status(sb: &Sandbox, token: &str, id: &str, want: &str) -> Value {
    eventually(|| async {
        let (s, _, body) = sb.api(Method::GET, &format!("/executions/{id}"), Some(token), None).await;
        assert_eq!(s, 200);
        let v: Value = serde_json::from_str(&body).unwrap();
        (v["status"] == want).then_some(v)
    })
    .await
}

async fn execute(sb: &Sandbox, token: &str, agent: &str, body: Value) -> (u16, Value) {
    let (s, _, text) =
        sb.api(Method::POST, &format!("/executions/agents/{agent}/execute"), Some(token), Some(body)).await;
    (s.as_u16(), serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn bearer_errors_are_401_with_www_authenticate_literal() {
    let sb = spawn().await;
    let t = sb.alice().await;
    let cases = [
        (None, r#"{"detail":"Not authenticated"}"#),
        (Some("agpt_at_unknown"), r#"{"detail":"Invalid access token"}"#),
    ];
    for (token, body) in cases {
        let (s, h, text) = sb.api(Method::GET, "/executions/capabilities", token, None).await;
        assert_eq!(s, 401);
        assert_eq!(h["www-authenticate"], "Bearer");
        assert_eq!(text, body);
    }
    sb.http.post(sb.url("/oauth/revoke")).form(&[("token", t.access.as_str())]).send().await.unwrap();
    let (s, _, text) = sb.api(Method::GET, "/grants/", Some(&t.access), None).await;
    assert_eq!(s, 401);
    assert_eq!(text, r#"{"detail":"Access token has been revoked"}"#);
}

#[tokio::test]
async fn missing_scope_is_403_literal() {
    let sb = spawn().await;
    let t = sb.tokens_for("agpt_alice_dev_key", "openid").await;
    let (s, _, text) = sb.api(Method::GET, "/executions/capabilities", Some(&t.access), None).await;
    assert_eq!(s, 403);
    assert_eq!(text, r#"{"detail":"Missing required scope: agents:execute"}"#);
    let (s, _, text) = sb.api(Method::GET, "/grants/", Some(&t.access), None).await;
    assert_eq!(s, 403);
    assert_eq!(text, r#"{"detail":"Missing required scope: integrations:list"}"#);
    let (s, _, _) = sb.api(Method::DELETE, "/grants/x/credential", Some(&t.access), None).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn echo_agent_completes_with_outputs_from_inputs() {
    let sb = spawn().await;
    let t = sb.alice().await;
    let (s, body) = execute(
        &sb,
        &t.access,
        "echo-agent",
        json!({"inputs": {"message": "hello"}, "grant_ids": null, "webhook_url": null}),
    )
    .await;
    assert_eq!(s, 200);
    let id = body["execution_id"].as_str().unwrap().to_owned();
    let keys = sorted_keys(&body);
    assert_eq!(keys, ["execution_id", "message", "status"]);
    assert_eq!(body["status"], "queued");
    let done = wait_status(&sb, &t.access, &id, "completed").await;
    let keys = sorted_keys(&done);
    assert_eq!(keys, ["completed_at", "error", "execution_id", "outputs", "started_at", "status"]);
    let want: Value =
        serde_json::from_str(r#"{"message":["hello"],"summary":["Echoed 1 input(s): message"]}"#).unwrap();
    assert_eq!(done["outputs"], want);
    assert_eq!(done["error"], Value::Null);
    assert!(done["started_at"].is_string() && done["completed_at"].is_string());
}

#[tokio::test]
async fn failing_agent_fails_with_message() {
    let sb = spawn().await;
    let t = sb.alice().await;
    let (_, body) = execute(&sb, &t.access, "failing-agent", json!({"inputs": {}})).await;
    let done = wait_status(&sb, &t.access, body["execution_id"].as_str().unwrap(), "failed").await;
    assert_eq!(done["error"], "Demo failure: failing-agent always fails");
    assert_eq!(done["outputs"], Value::Null);
}

#[tokio::test]
async fn slow_agent_can_be_watched_and_cancelled() {
    let sb = spawn_with(|c| c.time_factor = 1.0).await;
    let t = sb.alice().await;
    let (_, body) = execute(&sb, &t.access, "slow-agent", json!({})).await;
    let id = body["execution_id"].as_str().unwrap().to_owned();
    wait_status(&sb, &t.access, &id, "running").await;
    let (s, _, text) = sb.api(Method::POST, &format!("/executions/{id}/cancel"), Some(&t.access), None).await;
    assert_eq!(s, 200);
    assert_eq!(text, format!(r#"{{"execution_id":"{id}","message":"Execution cancelled"}}"#));
    let (_, _, text) = sb.api(Method::GET, &format!("/executions/{id}"), Some(&t.access), None).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((v["status"].as_str(), v["error"].as_str()), (Some("failed"), Some("cancelled")));
    let (s, _, _) = sb.api(Method::POST, &format!("/executions/{id}/cancel"), Some(&t.access), None).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn upper_case_statuses_quirk() {
    let sb = spawn_with(|c| {
        c.quirks.upper_case_statuses = true;
        // queued for 5 s: long enough to observe QUEUED even on a loaded machine
        c.time_factor = 10.0;
    })
    .await;
    let t = sb.alice().await;
    let (_, body) = execute(&sb, &t.access, "echo-agent", json!({})).await;
    assert_eq!(body["status"], "queued");
    let id = body["execution_id"].as_str().unwrap().to_owned();
    wait_status(&sb, &t.access, &id, "QUEUED").await;
    sb.api(Method::POST, &format!("/executions/{id}/cancel"), Some(&t.access), None).await;
    wait_status(&sb, &t.access, &id, "TERMINATED").await;
}

#[tokio::test]
async fn gmail_agent_needs_a_google_grant() {
    let sb = spawn().await;
    let t = sb.alice().await;
    let (s, body) = execute(&sb, &t.access, "gmail-agent", json!({"inputs": {}})).await;
    assert_eq!(s, 403);
    assert_eq!(body["detail"], "gmail-agent requires a Google grant (connect Google first)");
    let github = sb.alice_grant("github", "github:repo.read").await;
    let (s, _) = execute(&sb, &t.access, "gmail-agent", json!({"grant_ids": [github["grant_id"]]})).await;
    assert_eq!(s, 403);
    let google = sb.alice_grant("google", "google:gmail.readonly").await;
    let (s, body) =
        execute(&sb, &t.access, "gmail-agent", json!({"inputs": {}, "grant_ids": [google["grant_id"]]})).await;
    assert_eq!(s, 200);
    let done = wait_status(&sb, &t.access, body["execution_id"].as_str().unwrap(), "completed").await;
    assert_eq!(done["outputs"]["invoices"].as_array().unwrap().len(), 2);
    // null grant_ids = all active grants of this client
    let (s, _) = execute(&sb, &t.access, "gmail-agent", json!({"grant_ids": null})).await;
    assert_eq!(s, 200);
    let (_, _, text) =
        sb.api(Method::GET, &format!("/grants/{}", google["grant_id"].as_str().unwrap()), Some(&t.access), None).await;
    let g: Value = serde_json::from_str(&text).unwrap();
    assert!(g["last_used_at"].is_string());
}

#[tokio::test]
async fn execute_errors() {
    let sb = spawn().await;
    let t = sb.alice().await;
    let (s, b) = execute(&sb, &t.access, "nope-agent", json!({})).await;
    assert_eq!((s, b["detail"].as_str()), (404, Some("Agent not found")));
    let (s, b) = execute(&sb, &t.access, "echo-agent", json!({"grant_ids": ["forged"]})).await;
    assert_eq!((s, b["detail"].as_str()), (403, Some("Invalid grant: forged")));
    for url in
        ["http://evil.test/hook", "ftp://127.0.0.1/x", "not a url", "http://127.0.0.2/x", "https://example.com/x"]
    {
        let (s, _) = execute(&sb, &t.access, "echo-agent", json!({"webhook_url": url})).await;
        assert_eq!(s, 400, "{url}");
    }
    let (s, _) = execute(&sb, &t.access, "echo-agent", json!({"webhook_url": "https://localhost/hook"})).await;
    assert_eq!(s, 200);
    let resp = sb
        .http
        .post(sb.url("/api/external/v1/executions/agents/echo-agent/execute"))
        .bearer_auth(&t.access)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let (s, _, text) = sb.api(Method::GET, "/executions/does-not-exist", Some(&t.access), None).await;
    assert_eq!((s.as_u16(), text.as_str()), (404, r#"{"detail":"Execution not found"}"#));
    let (s, _, _) = sb.api(Method::POST, "/executions/does-not-exist/cancel", Some(&t.access), None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn executions_are_private_to_their_user() {
    let sb = spawn().await;
    let alice = sb.alice().await;
    let bob = sb.tokens_for("agpt_bob_dev_key", ALL_SCOPES).await;
    let (_, body) = execute(&sb, &alice.access, "echo-agent", json!({})).await;
    let id = body["execution_id"].as_str().unwrap();
    let (s, _, _) = sb.api(Method::GET, &format!("/executions/{id}"), Some(&bob.access), None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn capabilities_literal_shape() {
    let sb = spawn().await;
    let t = sb.alice().await;
    let g = sb.alice_grant("notion", "notion:read,notion:write").await;
    let (s, _, text) = sb.api(Method::GET, "/executions/capabilities", Some(&t.access), None).await;
    assert_eq!(s, 200);
    let want = format!(
        r#"{{"user_id":"user-alice","client_id":"dev-client","grants":[{{"grant_id":"{}","provider":"notion","scopes":["notion:read","notion:write"]}}],"available_scopes":["notion:read","notion:write"]}}"#,
        g["grant_id"].as_str().unwrap()
    );
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), serde_json::from_str::<Value>(&want).unwrap());
}

#[tokio::test]
async fn grants_list_get_and_delete_credential() {
    let sb = spawn().await;
    let t = sb.alice().await;
    let (s, _, text) = sb.api(Method::GET, "/grants/", Some(&t.access), None).await;
    assert_eq!((s.as_u16(), text.as_str()), (200, "[]"));
    let g = sb.alice_grant("github", "github:repo.read").await;
    let id = g["grant_id"].as_str().unwrap();
    let (_, _, text) = sb.api(Method::GET, "/grants/", Some(&t.access), None).await;
    let list: Value = serde_json::from_str(&text).unwrap();
    let item = &list[0];
    let keys = sorted_keys(item);
    assert_eq!(keys, ["created_at", "expires_at", "granted_scopes", "id", "last_used_at", "permissions", "provider"]);
    assert_eq!(item["id"], id);
    assert_eq!(item["provider"], "github");
    assert_eq!(item["permissions"], json!(["use", "delete"]));
    let (_, _, text) = sb.api(Method::GET, &format!("/grants/{id}"), Some(&t.access), None).await;
    let one: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(one["credential_id"], "cred-alice-github");
    assert_eq!(one["revoked_at"], Value::Null);
    let (s, _, _) = sb.api(Method::GET, "/grants/unknown", Some(&t.access), None).await;
    assert_eq!(s, 404);
    // bob cannot see alice's grant
    let bob = sb.tokens_for("agpt_bob_dev_key", ALL_SCOPES).await;
    let (s, _, _) = sb.api(Method::GET, &format!("/grants/{id}"), Some(&bob.access), None).await;
    assert_eq!(s, 404);
    let (s, _, text) = sb.api(Method::DELETE, &format!("/grants/{id}/credential"), Some(&t.access), None).await;
    assert_eq!((s.as_u16(), text.as_str()), (200, r#"{"message":"Credential deleted"}"#));
    let (_, _, text) = sb.api(Method::GET, &format!("/grants/{id}"), Some(&t.access), None).await;
    let one: Value = serde_json::from_str(&text).unwrap();
    assert!(one["revoked_at"].is_string());
    let (_, _, text) = sb.api(Method::GET, "/grants/", Some(&t.access), None).await;
    assert_eq!(text, "[]");
    let (s, _, _) = sb.api(Method::DELETE, &format!("/grants/{id}/credential"), Some(&t.access), None).await;
    assert_eq!(s, 403, "revoked grant");
    let (s, _, _) = sb.api(Method::DELETE, "/grants/unknown/credential", Some(&t.access), None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn platform_api_path_works_and_quirk_hides_documented_path() {
    let sb = spawn().await;
    let t = sb.alice().await;
    let resp = sb.http.get(sb.url("/external-api/v1/grants/")).bearer_auth(&t.access).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let sb = spawn_with(|c| c.quirks.platform_api_path_only = true).await;
    let t = sb.alice().await;
    let (s, _, _) = sb.api(Method::GET, "/grants/", Some(&t.access), None).await;
    assert_eq!(s, 404);
    let resp = sb.http.get(sb.url("/external-api/v1/grants/")).bearer_auth(&t.access).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}
