//! External API v2 client against capturing stubs: auth headers, idempotency, paging, errors,
//! rate limits, and path ids (issue 11 item 6).

use std::time::Duration;

use autogpt::client::live::{LiveApiClient, LiveApiError};
use autogpt::ids::Provider;
use autogpt::live::BackendUrl;
use autogpt::live::api::{
    Credential, Cursor, ErrorCode, GraphId, IdempotencyKey, LibraryAgentId, LibraryAgentsQuery, PageLimit, PageRequest,
    RequestError, ResponseError, ReviewDecision, ReviewId, ReviewStatus, ReviewsQuery, RunId, RunRequest, RunStatus,
    RunsQuery, TeamId,
};
use autogpt::secret::{AccessToken, ApiKey};
use http::StatusCode;

use crate::live_golden::AT;
use crate::stub::{Reply, Stub};
use crate::{live_fixture as fixture, transport};

fn api(stub: &Stub) -> LiveApiClient {
    LiveApiClient::new(transport(), BackendUrl::parse(&stub.url()).unwrap())
}

fn bearer() -> Credential {
    Credential::Bearer(AccessToken::new(AT))
}

fn key() -> Credential {
    Credential::ApiKey(ApiKey::new("agpt_alice_dev_key"))
}

/// Bearer vs X-API-Key, X-Team-Id, and rate-limit headers (any case) on a success.
#[tokio::test]
async fn auth_headers_team_and_rate_limit_on_success() {
    let me = || {
        Reply::json(200, &fixture("me.json"))
            .header("X-RateLimit-Limit", "200")
            .header("x-ratelimit-remaining", "199")
            .header("X-RATELIMIT-RESET", "42")
    };
    let stub = Stub::start(vec![me(), me(), me()]).await;
    let c = api(&stub);
    let res = c.me(&bearer()).await.unwrap();
    assert_eq!(res.value.user_id.as_str(), "3e53486c-cf57-477e-ba2a-cb02dc828e1a");
    assert_eq!((res.rate_limit.limit, res.rate_limit.remaining), (Some(200), Some(199)));
    assert_eq!(res.rate_limit.reset_after, Some(Duration::from_secs(42)));
    c.me(&key()).await.unwrap();
    c.with_team(TeamId::new("team-7")).me(&bearer()).await.unwrap();
    let r = stub.requests();
    assert_eq!((r[0].method.as_str(), r[0].target.as_str()), ("GET", "/external-api/v2/me"));
    assert_eq!(r[0].header("authorization"), Some(format!("Bearer {AT}").as_str()));
    assert_eq!(r[0].header("x-api-key"), None);
    assert_eq!(r[1].header("x-api-key"), Some("agpt_alice_dev_key"));
    assert_eq!(r[1].header("authorization"), None);
    assert_eq!(r[0].header("x-team-id"), None);
    assert_eq!(r[2].header("x-team-id"), Some("team-7"));
}

/// A run start sends the body, the `Idempotency-Key`, and reads the 202.
#[tokio::test]
async fn start_run_sends_idempotency_key() {
    let stub = Stub::start(vec![Reply::json(202, &fixture("run_queued.json"))]).await;
    let body: serde_json::Value = serde_json::from_str(&fixture("run_request.json")).unwrap();
    let request = RunRequest {
        inputs: body["inputs"].as_object().unwrap().clone(),
        credentials_inputs: serde_json::from_value(body["credentials_inputs"].clone()).unwrap(),
    };
    let k = IdempotencyKey::new(" job-2026-01-07-1 ").unwrap();
    let res = api(&stub).start_run(&bearer(), &LibraryAgentId::new("la-echo"), &request, Some(&k)).await.unwrap();
    assert_eq!(res.status, StatusCode::ACCEPTED);
    assert_eq!(res.value.status, RunStatus::Queued);
    let r = &stub.requests()[0];
    assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", "/external-api/v2/library/agents/la-echo/runs"));
    assert_eq!(r.header("idempotency-key"), Some("job-2026-01-07-1"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body_str(), fixture("run_request.json"));
}

#[tokio::test]
async fn runs_details_list_and_stop() {
    let stub = Stub::start(vec![
        Reply::json(200, &fixture("run_details.json")),
        Reply::json(200, &fixture("runs_page.json")),
        Reply::json(202, &fixture("run_queued.json")),
        Reply::json(409, &fixture("error_conflict_stop.json")),
    ])
    .await;
    let c = api(&stub);
    let run = c.run(&bearer(), &RunId::new("run-1")).await.unwrap().value;
    assert_eq!(run.block_errors().len(), 1);
    let q = RunsQuery {
        graph_id: Some(GraphId::new("g-echo")),
        statuses: vec![RunStatus::Queued, RunStatus::Running, RunStatus::Review],
        page: PageRequest { limit: Some(PageLimit::new(10).unwrap()), cursor: None },
        ..RunsQuery::default()
    };
    assert_eq!(c.runs(&bearer(), &q).await.unwrap().value.items.len(), 2);
    assert_eq!(c.stop_run(&bearer(), &RunId::new("run-1")).await.unwrap().status, StatusCode::ACCEPTED);
    let e = c.stop_run(&bearer(), &RunId::new("run-1")).await.unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::Conflict));
    assert_eq!(e.status(), Some(StatusCode::CONFLICT));
    let r = stub.requests();
    assert_eq!(r[0].target, "/external-api/v2/runs/run-1");
    assert_eq!(
        r[1].target,
        "/external-api/v2/runs?graph_id=g-echo&statuses=QUEUED&statuses=RUNNING&statuses=REVIEW&limit=10"
    );
    assert_eq!((r[2].method.as_str(), r[2].target.as_str()), ("POST", "/external-api/v2/runs/run-1/stop"));
}

#[tokio::test]
async fn reviews_list_and_submit() {
    let stub = Stub::start(vec![
        Reply::json(200, &fixture("reviews_page.json")),
        Reply::json(202, &fixture("reviews_submitted.json")),
    ])
    .await;
    let c = api(&stub);
    let q =
        ReviewsQuery { run_id: Some(RunId::new("run-3")), status: Some(ReviewStatus::Waiting), ..Default::default() };
    let page = c.reviews(&bearer(), &q).await.unwrap().value;
    let review = &page.items[0];
    let decision = ReviewDecision::approve_edited(review.node_exec_id.clone(), review.payload.clone());
    let done = c.submit_reviews(&bearer(), &review.run_id, &[decision]).await.unwrap();
    assert_eq!(done.status, StatusCode::ACCEPTED);
    assert_eq!(done.value.approved_count, 1);
    let r = stub.requests();
    assert_eq!(r[0].target, "/external-api/v2/runs/reviews?run_id=run-3&status=WAITING");
    assert_eq!((r[1].method.as_str(), r[1].target.as_str()), ("POST", "/external-api/v2/runs/run-3/reviews"));
    let sent: serde_json::Value = serde_json::from_slice(&r[1].body).unwrap();
    assert_eq!(sent["reviews"][0]["edited_payload"]["to"], "bob@example.com");
}

/// Both credential list shapes (open question 3), and a walk over `next_cursor`.
#[tokio::test]
async fn credentials_both_shapes_and_all_pages() {
    let first = fixture("credentials_page.json").replace(r#""next_cursor":null"#, r#""next_cursor":"c+2/=""#);
    let stub = Stub::start(vec![
        Reply::json(200, &fixture("credentials_legacy.json")),
        Reply::json(200, &first),
        Reply::json(200, &fixture("credentials_legacy.json")),
    ])
    .await;
    let c = api(&stub);
    let gh = Provider::new("github");
    let legacy = c.credentials(&bearer(), Some(&gh), &PageRequest::default()).await.unwrap().value;
    assert_eq!((legacy.items.len(), legacy.next_cursor), (1, None));
    let all = c.all_credentials(&bearer(), None, 5).await.unwrap();
    assert!(all.complete);
    assert_eq!(all.items.len(), 3);
    let r = stub.requests();
    assert_eq!(r[0].target, "/external-api/v2/integrations/credentials?provider=github");
    assert_eq!(r[1].target, "/external-api/v2/integrations/credentials?limit=100");
    assert_eq!(r[2].target, "/external-api/v2/integrations/credentials?limit=100&cursor=c%2B2%2F%3D");
}

#[tokio::test]
async fn library_agents_paging_and_agent_credentials() {
    let stub = Stub::start(vec![
        Reply::json(200, &fixture("library_agents_page.json")),
        Reply::json(
            200,
            &fixture("library_agents_page.json")
                .replace(r#""next_cursor":"eyJ2IjoxLCJrIjoibGlicmFyeSIsIm8iOjF9""#, r#""next_cursor":null"#),
        ),
        Reply::json(200, &fixture("library_agent.json")),
        Reply::json(200, &fixture("agent_credentials.json")),
    ])
    .await;
    let c = api(&stub);
    let q = LibraryAgentsQuery { favorite: Some(true), ..Default::default() };
    let all = c.all_library_agents(&bearer(), &q, 5).await.unwrap();
    assert_eq!((all.items.len(), all.complete, all.total_count), (2, true, Some(2)));
    let agent = c.library_agent(&bearer(), &all.items[0].id).await.unwrap().value;
    assert_eq!(agent.input_fields().len(), 3);
    let reqs = c.all_agent_credentials(&bearer(), &agent.id, 5).await.unwrap();
    assert_eq!(reqs.items[0].field_name, "github_credentials");
    let r = stub.requests();
    assert_eq!(r[0].target, "/external-api/v2/library/agents?favorite=true&limit=100");
    assert_eq!(
        r[1].target,
        "/external-api/v2/library/agents?favorite=true&limit=100&cursor=eyJ2IjoxLCJrIjoibGlicmFyeSIsIm8iOjF9"
    );
    assert_eq!(r[2].target, "/external-api/v2/library/agents/la-echo");
    assert_eq!(r[3].target, "/external-api/v2/library/agents/la-echo/credentials?limit=100");
}

/// 429 surfaces `Retry-After` and the limit headers on the error; 422 names the input.
#[tokio::test]
async fn errors_carry_rate_limit_and_validation_locations() {
    let stub = Stub::start(vec![
        Reply::json(429, &fixture("error_rate_limited.json"))
            .header("Retry-After", "17")
            .header("X-RateLimit-Limit", "60")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", "17"),
        Reply::json(422, &fixture("error_validation.json")),
        Reply::json(401, &fixture("error_unauthorized.json")),
        Reply::html(502, "<html>bad gateway</html>"),
        Reply::json(200, r#"{"user_id":5}"#).header("x-ratelimit-remaining", "3"),
    ])
    .await;
    let c = api(&stub);
    let agent = LibraryAgentId::new("la-echo");
    let e = c.start_run(&bearer(), &agent, &RunRequest::default(), None).await.unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::RateLimitExceeded));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(17)));
    let rl = e.rate_limit().unwrap();
    assert!(rl.is_exhausted() && rl.limit == Some(60));
    let e = c.start_run(&bearer(), &agent, &RunRequest::default(), None).await.unwrap_err();
    let names: Vec<_> = e.validation_issues().iter().filter_map(|i| i.input_name()).collect();
    assert_eq!(names, ["text", "colour"]);
    assert!(c.me(&key()).await.unwrap_err().is_unauthorized());
    let e = c.me(&bearer()).await.unwrap_err();
    assert!(
        matches!(&e, LiveApiError::Response(ResponseError::Unexpected { code: ErrorCode::UpstreamError, .. })),
        "{e:?}"
    );
    let e = c.me(&bearer()).await.unwrap_err();
    match &e {
        LiveApiError::Response(ResponseError::Parse { error, rate_limit, .. }) => {
            assert_eq!(error.field(), Some("user_id"));
            assert_eq!(rate_limit.remaining, Some(3));
        }
        other => panic!("{other:?}"),
    }
}

/// Issue 11 item 6, library agent ids: `..` would reach `/library/agents/../runs`.
#[tokio::test]
async fn item6_library_agent_id_refused() {
    let stub = Stub::start(vec![Reply::json(200, "{}")]).await;
    let c = api(&stub);
    for bad in ["..", ".", ""] {
        let id = LibraryAgentId::new(bad);
        let refused = |e: LiveApiError| matches!(e, LiveApiError::Request(RequestError::InvalidId(i)) if i.kind == "library agent id");
        assert!(refused(c.library_agent(&bearer(), &id).await.unwrap_err()));
        assert!(refused(c.agent_credentials(&bearer(), &id, &PageRequest::default()).await.unwrap_err()));
        assert!(refused(c.start_run(&bearer(), &id, &RunRequest::default(), None).await.unwrap_err()));
    }
    assert!(stub.requests().is_empty(), "nothing sent");
}

/// Issue 11 item 6, run ids: details, stop, and review submission.
#[tokio::test]
async fn item6_run_id_refused() {
    let stub = Stub::start(vec![Reply::json(202, &fixture("run_queued.json"))]).await;
    let c = api(&stub);
    for bad in ["..", ".", ""] {
        let id = RunId::new(bad);
        let refused =
            |e: LiveApiError| matches!(e, LiveApiError::Request(RequestError::InvalidId(i)) if i.kind == "run id");
        assert!(refused(c.run(&bearer(), &id).await.unwrap_err()));
        assert!(refused(c.stop_run(&bearer(), &id).await.unwrap_err()));
        let d = [ReviewDecision::reject(ReviewId::new("ne-1"))];
        assert!(refused(c.submit_reviews(&bearer(), &id, &d).await.unwrap_err()));
    }
    assert!(stub.requests().is_empty());
    c.stop_run(&bearer(), &RunId::new("../../me")).await.unwrap();
    assert_eq!(stub.requests()[0].target, "/external-api/v2/runs/..%2F..%2Fme/stop");
}

/// Issue 11 item 6, ids in queries (review run filter, cursor, provider) are query values,
/// encoded, never path.
#[tokio::test]
async fn item6_query_ids_stay_in_the_query() {
    let stub = Stub::start(vec![Reply::json(200, r#"{"items":[],"next_cursor":null,"total_count":0}"#)]).await;
    let c = api(&stub);
    let q = ReviewsQuery {
        run_id: Some(RunId::new("../x&status=APPROVED")),
        page: PageRequest { limit: None, cursor: Some(Cursor::new("a&b")) },
        ..Default::default()
    };
    c.reviews(&bearer(), &q).await.unwrap();
    c.credentials(&bearer(), Some(&Provider::new("git/hub?x")), &PageRequest::default()).await.unwrap();
    let r = stub.requests();
    assert_eq!(r[0].target, "/external-api/v2/runs/reviews?run_id=..%2Fx%26status%3DAPPROVED&cursor=a%26b");
    assert_eq!(r[1].target, "/external-api/v2/integrations/credentials?provider=git%2Fhub%3Fx");
}

/// Checklist 37: the client and credentials print no secret.
#[tokio::test]
async fn item37_debug_hides_credentials() {
    let stub = Stub::start(vec![Reply::json(200, "{}")]).await;
    let c = api(&stub).with_team(TeamId::new("t"));
    let shown = format!("{c:?} {:?} {:?}", bearer(), key());
    assert!(!shown.contains(AT) && !shown.contains("agpt_alice_dev_key"), "{shown}");
}
