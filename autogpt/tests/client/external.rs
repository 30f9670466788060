//! External API client against a capturing stub.

use std::time::Duration;

use autogpt::client::{ApiBasePath, ApiError, ExternalApiClient, WaitOptions};
use autogpt::ids::{AgentId, ExecutionId, GrantId};
use autogpt::origin::WebhookUrl;
use autogpt::secret::AccessToken;
use autogpt::types::{ExecuteRequest, ExecutionStatus};

use crate::stub::{Reply, Stub};
use crate::{fixture, platform, transport};

fn api(stub: &Stub, base: ApiBasePath) -> ExternalApiClient {
    ExternalApiClient::new(transport(), platform(&stub.url()), base)
}

fn token() -> AccessToken {
    AccessToken::new("at-1")
}

fn running() -> Reply {
    Reply::json(
        200,
        r#"{"execution_id":"exec-1","status":"RUNNING","started_at":null,"completed_at":null,"outputs":null,"error":null}"#,
    )
}

fn fast() -> WaitOptions {
    WaitOptions {
        timeout: Duration::from_secs(10),
        poll_interval: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    }
}

#[tokio::test]
async fn execute_sends_golden_body_with_bearer() {
    let stub = Stub::start(vec![Reply::json(200, &fixture("execute_response.json"))]).await;
    let mut inputs = serde_json::Map::new();
    inputs.insert("n".into(), 3.into());
    inputs.insert("topic".into(), "rust".into());
    let req = ExecuteRequest {
        inputs,
        grant_ids: Some(vec![GrantId::new("grant-1"), GrantId::new("grant-2")]),
        webhook_url: Some(WebhookUrl::new("https://app.test/api/autogpt/webhook").unwrap()),
    };
    let res = api(&stub, ApiBasePath::default()).execute(&token(), &AgentId::new("agent/1"), &req).await.unwrap();
    assert_eq!(res.status, ExecutionStatus::Queued);
    assert_eq!(res.execution_id.as_str(), "exec-1");
    let r = &stub.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/api/external/v1/executions/agents/agent%2F1/execute");
    assert_eq!(r.header("authorization"), Some("Bearer at-1"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body_str(), fixture("execute_request.json"));
}

#[tokio::test]
async fn every_endpoint_under_the_backend_base_path() {
    let stub = Stub::start(vec![
        Reply::json(200, &fixture("execution_completed_upper.json")),
        Reply::json(200, &fixture("cancel_response.json")),
        Reply::json(200, &fixture("capabilities.json")),
        Reply::json(200, &fixture("grants_list.json")),
        Reply::json(200, &fixture("grant.json")),
        Reply::json(200, &fixture("message_response.json")),
    ])
    .await;
    let c = api(&stub, ApiBasePath::new(ApiBasePath::BACKEND));
    let (t, e, g) = (token(), ExecutionId::new("exec-1"), GrantId::new("grant-1"));
    assert_eq!(c.execution(&t, &e).await.unwrap().status, ExecutionStatus::Completed);
    assert_eq!(c.cancel(&t, &e).await.unwrap().message.as_deref(), Some("Execution cancelled"));
    assert_eq!(c.capabilities(&t).await.unwrap().grants[0].grant_id, g);
    assert_eq!(c.grants(&t).await.unwrap().len(), 2);
    assert_eq!(c.grant(&t, &g).await.unwrap().credential_id.unwrap().as_str(), "cred-1");
    assert!(c.delete_grant_credential(&t, &g).await.is_ok());
    let seen: Vec<(String, String)> = stub.requests().into_iter().map(|r| (r.method, r.target)).collect();
    let want = [
        ("GET", "/external-api/v1/executions/exec-1"),
        ("POST", "/external-api/v1/executions/exec-1/cancel"),
        ("GET", "/external-api/v1/executions/capabilities"),
        ("GET", "/external-api/v1/grants/"),
        ("GET", "/external-api/v1/grants/grant-1"),
        ("DELETE", "/external-api/v1/grants/grant-1/credential"),
    ];
    assert_eq!(seen.len(), want.len());
    for ((m, p), (wm, wp)) in seen.iter().zip(want) {
        assert_eq!((m.as_str(), p.as_str()), (wm, wp));
    }
}

#[tokio::test]
async fn status_errors_are_typed() {
    let stub = Stub::start(vec![
        Reply::json(401, &fixture("api_error_401.json")).header("www-authenticate", "Bearer"),
        Reply::json(403, r#"{"detail":"Missing scope agents:execute"}"#),
        Reply::json(404, r#"{"detail":"Grant not found"}"#),
        Reply::json(400, r#"{"detail":"Execution is not queued or running"}"#),
    ])
    .await;
    let c = api(&stub, ApiBasePath::default());
    let (t, g) = (token(), GrantId::new("g"));
    assert!(
        matches!(c.grant(&t, &g).await, Err(ApiError::Unauthorized { detail }) if detail == "Invalid or expired token")
    );
    assert!(matches!(c.grant(&t, &g).await, Err(ApiError::Forbidden { .. })));
    assert!(matches!(c.grant(&t, &g).await, Err(ApiError::NotFound { detail }) if detail == "Grant not found"));
    assert!(
        matches!(c.cancel(&t, &ExecutionId::new("e")).await, Err(ApiError::Status { status, .. }) if status.as_u16() == 400)
    );
}

/// Polling backs off over 503 and 429 and stops at the first terminal status.
#[tokio::test]
async fn wait_for_completion_backs_off_and_detects_terminal() {
    let stub = Stub::start(vec![
        running(),
        Reply::json(503, r#"{"detail":"unavailable"}"#),
        Reply::json(429, &fixture("rate_limited.json")).header("retry-after", "0"),
        Reply::json(200, r#"{"execution_id":"exec-1","status":"queued"}"#),
        Reply::json(200, &fixture("execution_completed_upper.json")),
    ])
    .await;
    let mut seen = Vec::new();
    let res = api(&stub, ApiBasePath::default())
        .wait_for_completion(&token(), &ExecutionId::new("exec-1"), &fast(), |r| seen.push(r.status.clone()))
        .await
        .unwrap();
    assert_eq!(res.status, ExecutionStatus::Completed);
    assert_eq!(seen, [ExecutionStatus::Running, ExecutionStatus::Queued, ExecutionStatus::Completed]);
    assert_eq!(stub.requests().len(), 5);
}

#[tokio::test]
async fn wait_for_completion_stops_on_every_terminal_status() {
    for (status, terminal) in [("FAILED", true), ("terminated", true), ("completed", true)] {
        let body = format!(r#"{{"execution_id":"exec-1","status":"{status}","error":"x"}}"#);
        let stub = Stub::start(vec![Reply::json(200, &body)]).await;
        let res = api(&stub, ApiBasePath::default())
            .wait_for_completion(&token(), &ExecutionId::new("exec-1"), &fast(), |_| {})
            .await
            .unwrap();
        assert_eq!(res.status.is_terminal(), terminal);
        assert_eq!(stub.requests().len(), 1);
    }
}

#[tokio::test]
async fn wait_for_completion_times_out_and_stops_on_404() {
    let stub = Stub::start(vec![running()]).await;
    let opts = WaitOptions { timeout: Duration::from_millis(30), ..fast() };
    match api(&stub, ApiBasePath::default())
        .wait_for_completion(&token(), &ExecutionId::new("exec-1"), &opts, |_| {})
        .await
    {
        Err(ApiError::Timeout { last: Some(last) }) => assert_eq!(last.status, ExecutionStatus::Running),
        other => panic!("{other:?}"),
    }
    let stub = Stub::start(vec![Reply::json(404, r#"{"detail":"Execution not found"}"#)]).await;
    let r =
        api(&stub, ApiBasePath::default()).wait_for_completion(&token(), &ExecutionId::new("x"), &fast(), |_| {}).await;
    assert!(matches!(r, Err(ApiError::NotFound { .. })));
    assert_eq!(stub.requests().len(), 1);
}

/// Issue 11 item 6: an agent id `..` would turn `…/agents/../execute` into
/// `…/executions/execute`; it is refused before anything is sent.
#[tokio::test]
async fn item6_agent_id_dot_segments_refused() {
    let stub = Stub::start(vec![Reply::json(200, &fixture("execute_response.json"))]).await;
    let c = api(&stub, ApiBasePath::default());
    let req = ExecuteRequest { inputs: serde_json::Map::new(), grant_ids: None, webhook_url: None };
    for bad in ["..", ".", ""] {
        let e = c.execute(&token(), &AgentId::new(bad), &req).await.unwrap_err();
        assert!(matches!(e, ApiError::InvalidId(ref i) if i.kind == "agent id"), "{bad:?}: {e:?}");
    }
    c.execute(&token(), &AgentId::new("../grants"), &req).await.unwrap();
    let reqs = stub.requests();
    assert_eq!(reqs.len(), 1, "nothing sent for refused ids");
    assert_eq!(reqs[0].target, "/api/external/v1/executions/agents/..%2Fgrants/execute");
}

/// Issue 11 item 6: execution ids in status and cancel paths.
#[tokio::test]
async fn item6_execution_id_dot_segments_refused() {
    let stub = Stub::start(vec![running()]).await;
    let c = api(&stub, ApiBasePath::default());
    for bad in ["..", "."] {
        let id = ExecutionId::new(bad);
        assert!(matches!(c.execution(&token(), &id).await, Err(ApiError::InvalidId(_))));
        assert!(matches!(c.cancel(&token(), &id).await, Err(ApiError::InvalidId(_))));
        let w = c.wait_for_completion(&token(), &id, &fast(), |_| {}).await;
        assert!(matches!(w, Err(ApiError::InvalidId(_))), "{w:?}");
    }
    assert!(stub.requests().is_empty());
}

/// Issue 11 item 6: a grant id `..` would hit the API root (`/grants/..` → `/`).
#[tokio::test]
async fn item6_grant_id_dot_segments_refused() {
    let stub = Stub::start(vec![Reply::json(200, &fixture("grant.json"))]).await;
    let c = api(&stub, ApiBasePath::default());
    for bad in ["..", ".", ""] {
        let g = GrantId::new(bad);
        assert!(matches!(c.grant(&token(), &g).await, Err(ApiError::InvalidId(ref i)) if i.kind == "grant id"));
        assert!(matches!(c.delete_grant_credential(&token(), &g).await, Err(ApiError::InvalidId(_))));
    }
    c.grant(&token(), &GrantId::new("a/../b?c")).await.unwrap();
    let reqs = stub.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].target, "/api/external/v1/grants/a%2F..%2Fb%3Fc");
}
