//! Every error the live sandbox can produce, through the real clients: the typed `ErrorCode`,
//! the envelope's message, validation locations, and `retry_after()` / `rate_limit()` where they
//! apply — 400, 401, 402, 403, 404, 409, 422, 429, 503 and the 5xx of the fault switch, plus
//! the OAuth routes' 500 and a dropped connection.

use std::time::Duration;

use autogpt::client::live::{LiveApiClient, LiveApiError, LiveOAuthClientError};
use autogpt::live::api::{
    Credential, Cursor, ErrorCode, IdempotencyKey, LibraryAgentId, LibraryAgentsQuery, PageLimit, PageRequest,
    RequestError, ResponseError, ReviewDecision, ReviewId, ReviewStatus, ReviewsQuery, RunId, RunRequest, RunStatus,
    RunsQuery, TeamId,
};
use autogpt::live::{LiveOAuthError, Permission};
use autogpt::secret::AccessToken;
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::live_sandbox_support::*;

/// The envelope's `message`.
fn message(e: &LiveApiError) -> &str {
    match e {
        LiveApiError::Response(ResponseError::Api { body, .. }) => &body.message,
        other => panic!("expected a v2 envelope, got {other:?}"),
    }
}

/// Status, code and message of a failed call.
#[track_caller]
fn assert_error(e: &LiveApiError, status: u16, code: ErrorCode, text: &str) {
    assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{e:?}");
    assert_eq!(e.code(), Some(&code), "{e:?}");
    assert_eq!(message(e), text);
}

fn echo(inputs: Value) -> RunRequest {
    let inputs: Map<String, Value> = inputs.as_object().unwrap().clone();
    RunRequest { inputs, ..RunRequest::default() }
}

fn lib(id: &str) -> LibraryAgentId {
    LibraryAgentId::new(id)
}

async fn total_runs(api: &LiveApiClient) -> Option<u64> {
    api.runs(&api_key(ALICE_KEY), &RunsQuery::default()).await.unwrap().value.total_count
}

#[tokio::test]
async fn unauthorized_401_without_a_credential_or_with_an_invalid_expired_or_revoked_one() {
    let sb = start().await;
    let api = sb.api();
    let none = Credential::Bearer(AccessToken::new(""));
    let e = api.me(&none).await.unwrap_err();
    assert_error(&e, 401, ErrorCode::Unauthorized, "Missing authentication. Provide API key or access token.");
    assert!(e.is_unauthorized());
    assert!(e.rate_limit().unwrap().is_empty(), "failed authentication is not counted");
    let e = api.me(&api_key("agpt_wrong")).await.unwrap_err();
    assert_error(&e, 401, ErrorCode::Unauthorized, "Invalid API key");
    for bearer in ["agpt_xt_unknown", "not-a-token"] {
        let e = api.me(&Credential::Bearer(AccessToken::new(bearer))).await.unwrap_err();
        assert_error(&e, 401, ErrorCode::Unauthorized, "Invalid token: access token not found");
    }
    // an API key also works as a bearer
    assert_eq!(
        api.me(&Credential::Bearer(AccessToken::new(BOB_KEY))).await.unwrap().value.user_id.as_str(),
        "user-bob"
    );

    // expired: refresh once, then the new token works
    let tokens = sb.sign_in(ALICE, &APP_PERMISSIONS).await;
    let bearer = Credential::Bearer(tokens.access_token.clone());
    assert_eq!(sb.admin("/live/tokens/expire", json!({"email": ALICE.0})).await, json!({"expired": 1}));
    let e = api.me(&bearer).await.unwrap_err();
    assert_error(&e, 401, ErrorCode::Unauthorized, "Invalid token: access token expired");
    let fresh = sb.oauth().refresh(&tokens.refresh_token).await.unwrap();
    assert!(api.me(&Credential::Bearer(fresh.access_token.clone())).await.is_ok());
    // revoked
    sb.oauth().revoke(autogpt::live::token::TokenRef::Access(&fresh.access_token)).await.unwrap();
    let e = api.runs(&Credential::Bearer(fresh.access_token), &RunsQuery::default()).await.unwrap_err();
    assert_error(&e, 401, ErrorCode::Unauthorized, "Invalid token: access token has been revoked");
}

/// A token signed in with fewer permissions is refused per route with the missing one named;
/// an `X-Team-Id` the user is not in is refused too.
#[tokio::test]
async fn forbidden_403_for_a_missing_permission_and_for_a_foreign_team() {
    let sb = start().await;
    let api = sb.api();
    let narrow =
        Credential::Bearer(sb.sign_in(ALICE, &[Permission::Identity, Permission::ReadLibrary]).await.access_token);
    assert!(api.me(&narrow).await.is_ok());
    assert!(api.library_agents(&narrow, &LibraryAgentsQuery::default()).await.is_ok());
    let missing = |scope: &str| format!("Missing required permission(s): {scope}");
    let run = RunId::new("run-x");
    let e = api.start_run(&narrow, &lib("lib-echo"), &echo(json!({"message": "m"})), None).await.unwrap_err();
    assert_error(&e, 403, ErrorCode::Forbidden, &missing("RUN_AGENT"));
    let e = api.run(&narrow, &run).await.unwrap_err();
    assert_error(&e, 403, ErrorCode::Forbidden, &missing("READ_RUN"));
    let e = api.runs(&narrow, &RunsQuery::default()).await.unwrap_err();
    assert_error(&e, 403, ErrorCode::Forbidden, &missing("READ_RUN"));
    let e = api.stop_run(&narrow, &run).await.unwrap_err();
    assert_error(&e, 403, ErrorCode::Forbidden, &missing("WRITE_RUN"));
    let e = api.reviews(&narrow, &ReviewsQuery::default()).await.unwrap_err();
    assert_error(&e, 403, ErrorCode::Forbidden, &missing("READ_RUN_REVIEW"));
    let e = api.submit_reviews(&narrow, &run, &[ReviewDecision::approve(ReviewId::new("r"))]).await.unwrap_err();
    assert_error(&e, 403, ErrorCode::Forbidden, &missing("WRITE_RUN_REVIEW"));
    let e = api.credentials(&narrow, None, &PageRequest::default()).await.unwrap_err();
    assert_error(&e, 403, ErrorCode::Forbidden, &missing("READ_INTEGRATIONS"));
    let e = api.agent_credentials(&narrow, &lib("lib-gmail"), &PageRequest::default()).await.unwrap_err();
    assert_error(&e, 403, ErrorCode::Forbidden, &missing("READ_INTEGRATIONS"));
    assert!(!e.is_unauthorized(), "403 is not a reason to refresh");
    let no_identity = Credential::Bearer(sb.sign_in(ALICE, &[Permission::ReadRun]).await.access_token);
    assert_error(&api.me(&no_identity).await.unwrap_err(), 403, ErrorCode::Forbidden, &missing("IDENTITY"));
    assert!(api.runs(&no_identity, &RunsQuery::default()).await.is_ok());

    let team = api.with_team(TeamId::new("team-1"));
    let e = team.me(&api_key(ALICE_KEY)).await.unwrap_err();
    assert_error(&e, 403, ErrorCode::Forbidden, "You are not an active member of team team-1");
}

/// 404 in the envelope: unknown agents and runs, and another user's run, which is "absent".
#[tokio::test]
async fn not_found_404_for_unknown_agents_and_runs_and_another_users_run() {
    let sb = start().await;
    let api = sb.api();
    let key = api_key(ALICE_KEY);
    let e = api.library_agent(&key, &lib("nope")).await.unwrap_err();
    assert_error(&e, 404, ErrorCode::NotFound, "Agent #nope not found");
    assert!(e.is_not_found());
    let e = api.agent_credentials(&key, &lib("nope"), &PageRequest::default()).await.unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::NotFound));
    let e = api.start_run(&key, &lib("nope"), &RunRequest::default(), None).await.unwrap_err();
    assert_error(&e, 404, ErrorCode::NotFound, "Agent #nope not found");
    let e = api.run(&key, &RunId::new("no-such-run")).await.unwrap_err();
    assert_error(&e, 404, ErrorCode::NotFound, "Run #no-such-run not found");
    let e = api.stop_run(&key, &RunId::new("no-such-run")).await.unwrap_err();
    assert_error(&e, 404, ErrorCode::NotFound, "Run #no-such-run not found");
    let e = api.submit_reviews(&key, &RunId::new("no-such-run"), &[ReviewDecision::approve(ReviewId::new("r"))]).await;
    assert_error(&e.unwrap_err(), 404, ErrorCode::NotFound, "Run #no-such-run not found");
    // alice's run, seen by bob
    let run = api.start_run(&key, &lib("lib-echo"), &echo(json!({"message": "mine"})), None).await.unwrap().value;
    let bob = api_key(BOB_KEY);
    let e = api.run(&bob, &run.id).await.unwrap_err();
    assert_error(&e, 404, ErrorCode::NotFound, &format!("Run #{} not found", run.id));
    assert!(api.stop_run(&bob, &run.id).await.unwrap_err().is_not_found());
    // an id is one path segment: `/` cannot reach another route
    let e = api.run(&key, &RunId::new("../me")).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

/// 422 for run inputs: every unknown and missing input in one answer, each with its `loc`
/// (`input_name()`); nothing starts, and the `Idempotency-Key` is released. A bad query value
/// is a 422 too, located in the query.
#[tokio::test]
async fn validation_422_names_every_unknown_and_missing_input() {
    let sb = start().await;
    let api = sb.api();
    let key = api_key(ALICE_KEY);
    let k = IdempotencyKey::new("form-1").unwrap();
    let bad = echo(json!({"nope": 1, "also_nope": true, "message": null}));
    let e = api.start_run(&key, &lib("lib-echo"), &bad, Some(&k)).await.unwrap_err();
    assert_error(
        &e,
        422,
        ErrorCode::ValidationError,
        "Invalid data for POST /external-api/v2/library/agents/lib-echo/runs",
    );
    let issues: Vec<(&str, Option<&str>, &str)> =
        e.validation_issues().iter().map(|i| (i.kind.as_str(), i.input_name(), i.msg.as_str())).collect();
    assert_eq!(
        issues,
        [
            ("extra_forbidden", Some("also_nope"), "Unknown input"),
            ("extra_forbidden", Some("nope"), "Unknown input"),
            ("missing", Some("message"), "Input required"),
        ]
    );
    let LiveApiError::Response(ResponseError::Api { body, .. }) = &e else { panic!() };
    assert_eq!(body.issues_for_input("message").count(), 1);
    assert_eq!(body.issues[0].location(), "body.inputs.also_nope");
    assert_eq!(total_runs(&api).await, Some(0), "nothing started");
    let ok = api.start_run(&key, &lib("lib-echo"), &echo(json!({"message": "fixed"})), Some(&k)).await;
    assert_eq!(ok.unwrap().status, StatusCode::ACCEPTED, "the key was released");
    let e = api.start_run(&key, &lib("lib-partial"), &RunRequest::default(), None).await.unwrap_err();
    let names: Vec<_> = e.validation_issues().iter().filter_map(|i| i.input_name()).collect();
    assert_eq!(names, ["items"]);
    // a status the platform does not know, in the query
    let q = RunsQuery { statuses: vec![RunStatus::parse("DONE")], ..Default::default() };
    let e = api.runs(&key, &q).await.unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::ValidationError));
    assert_eq!(e.validation_issues()[0].location(), "query.statuses.0");
    assert_eq!(e.validation_issues()[0].input_name(), None);
    // a review message over 2000 characters, or no decision, is refused before sending
    let long = ReviewDecision::approve(ReviewId::new("r")).with_message("x".repeat(2001));
    let e = api.submit_reviews(&key, &RunId::new("r"), &[long]).await.unwrap_err();
    assert!(matches!(e, LiveApiError::Request(RequestError::ReviewMessageTooLong)), "{e:?}");
    let e = api.submit_reviews(&key, &RunId::new("r"), &[]).await.unwrap_err();
    assert!(matches!(e, LiveApiError::Request(RequestError::NoReviews)) && e.status().is_none());
}

/// 429 from the per-user window (lowered through the admin API): `Retry-After` and the
/// `X-RateLimit-*` headers on the error; keys and tokens of one user share the window; the
/// run-start limiter is separate. Also through the `Platform` seam.
#[tokio::test]
async fn rate_limited_429_surfaces_retry_after_and_the_rate_limit_headers() {
    let sb = start().await;
    let api = sb.api();
    let bearer = sb.alice_bearer().await;
    let key = api_key(ALICE_KEY);
    // a window whose boundary no test reaches
    sb.switch(json!({"rate_limit": 3, "rate_window_secs": 1_000_000_000u64})).await;
    for remaining in [2, 1] {
        let rl = api.me(&key).await.unwrap().rate_limit;
        assert_eq!((rl.limit, rl.remaining), (Some(3), Some(remaining)));
    }
    let rl = api.me(&bearer).await.unwrap().rate_limit;
    assert!(rl.is_exhausted(), "the OAuth token shares the user's window: {rl:?}");
    let e = api.library_agents(&key, &LibraryAgentsQuery::default()).await.unwrap_err();
    assert_error(
        &e,
        429,
        ErrorCode::RateLimitExceeded,
        "Rate limit exceeded (3 requests per 1000000000s). Try again shortly.",
    );
    let retry = e.retry_after().expect("Retry-After");
    assert!(retry > Duration::ZERO);
    let rl = e.rate_limit().unwrap();
    assert_eq!((rl.limit, rl.remaining, rl.reset_after), (Some(3), Some(0), Some(retry)));
    let e = sb.platform(&APP_PERMISSIONS).identity(&bearer).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(retry), "the seam answers retry_after too");
    assert!(api.me(&api_key(BOB_KEY)).await.is_ok(), "another user is not affected");
    sb.admin("/live/rate-limits/reset", json!({})).await;
    assert!(api.me(&key).await.is_ok());

    // run starts: their own limiter, reported on their own answers
    sb.switch(json!({"rate_limit": 200, "run_rate_limit": 1})).await;
    let first = api.start_run(&key, &lib("lib-echo"), &echo(json!({"message": "1"})), None).await.unwrap();
    assert_eq!((first.rate_limit.limit, first.rate_limit.remaining), (Some(1), Some(0)));
    let e = api.start_run(&bearer, &lib("lib-echo"), &echo(json!({"message": "2"})), None).await.unwrap_err();
    assert_error(
        &e,
        429,
        ErrorCode::RateLimitExceeded,
        "Rate limit exceeded (1 requests per 1000000000s). Try again shortly.",
    );
    assert!(e.retry_after().is_some());
    assert_eq!(e.rate_limit().unwrap().limit, Some(1));
    assert_eq!(api.runs(&key, &RunsQuery::default()).await.unwrap().rate_limit.limit, Some(200));
}

/// 402 (the switch): nothing starts, the key is released.
#[tokio::test]
async fn payment_required_402_refuses_run_starts_and_releases_the_key() {
    let sb = start().await;
    let api = sb.api();
    let bearer = sb.alice_bearer().await;
    sb.switch(json!({"payment_required": true})).await;
    let k = IdempotencyKey::new("pay-1").unwrap();
    let request = echo(json!({"message": "pay"}));
    let e = api.start_run(&bearer, &lib("lib-echo"), &request, Some(&k)).await.unwrap_err();
    assert_error(
        &e,
        402,
        ErrorCode::PaymentRequired,
        "Insufficient balance to execute the agent. Please top up your account.",
    );
    assert_eq!(total_runs(&api).await, Some(0));
    sb.switch(json!({"payment_required": false})).await;
    assert_eq!(
        api.start_run(&bearer, &lib("lib-echo"), &request, Some(&k)).await.unwrap().status,
        StatusCode::ACCEPTED
    );
}

/// 400 for a cursor that is garbage or comes from another endpoint.
#[tokio::test]
async fn bad_request_400_for_a_malformed_or_a_foreign_cursor() {
    let sb = start().await;
    let api = sb.api();
    let key = api_key(ALICE_KEY);
    let garbage = PageRequest { limit: None, cursor: Some(Cursor::new("garbage")) };
    let malformed = "Malformed cursor. Pass back the next_cursor of a previous response.";
    let q = LibraryAgentsQuery { page: garbage.clone(), ..Default::default() };
    assert_error(&api.library_agents(&key, &q).await.unwrap_err(), 400, ErrorCode::BadRequest, malformed);
    let q = RunsQuery { page: garbage.clone(), ..Default::default() };
    assert_error(&api.runs(&key, &q).await.unwrap_err(), 400, ErrorCode::BadRequest, malformed);
    let q = ReviewsQuery { page: garbage.clone(), ..Default::default() };
    assert_error(&api.reviews(&key, &q).await.unwrap_err(), 400, ErrorCode::BadRequest, malformed);
    let e = api.credentials(&key, None, &garbage).await.unwrap_err();
    assert_error(&e, 400, ErrorCode::BadRequest, malformed);
    let e = api.agent_credentials(&key, &lib("lib-gmail"), &garbage).await.unwrap_err();
    assert_error(&e, 400, ErrorCode::BadRequest, malformed);
    // a real cursor of the library list, sent to the runs list
    let first = PageRequest::first(PageLimit::new(1).unwrap());
    let q = LibraryAgentsQuery { page: first.clone(), ..Default::default() };
    let cursor = api.library_agents(&key, &q).await.unwrap().value.next_cursor.unwrap();
    let q = RunsQuery { page: first.after(cursor), ..Default::default() };
    let e = api.runs(&key, &q).await.unwrap_err();
    assert_error(
        &e,
        400,
        ErrorCode::BadRequest,
        "This endpoint expects a runs cursor. Cursors are not interchangeable between endpoints.",
    );
}

/// 503 when the idempotency store is down (the switch): a keyed start is refused and
/// starts nothing; an unkeyed one does not need the store.
#[tokio::test]
async fn service_unavailable_503_when_the_idempotency_store_is_down() {
    let sb = start().await;
    let api = sb.api();
    let key = api_key(ALICE_KEY);
    sb.switch(json!({"idempotency_unavailable": true})).await;
    let k = IdempotencyKey::new("down-1").unwrap();
    let request = echo(json!({"message": "m"}));
    let e = api.start_run(&key, &lib("lib-echo"), &request, Some(&k)).await.unwrap_err();
    assert_error(
        &e,
        503,
        ErrorCode::ServiceUnavailable,
        "Failed to process POST /external-api/v2/library/agents/lib-echo/runs",
    );
    assert_eq!(total_runs(&api).await, Some(0), "no run started");
    assert!(api.start_run(&key, &lib("lib-echo"), &request, None).await.is_ok());
    sb.switch(json!({"idempotency_unavailable": false})).await;
    assert!(api.start_run(&key, &lib("lib-echo"), &request, Some(&k)).await.is_ok());
}

/// 409 and 400/404 around reviews: answering a run that is not in review, unknown ids, and
/// leaving a waiting review out (open question 9 and its switch).
#[tokio::test]
async fn review_conflicts_unknown_ids_and_a_waiting_review_left_out() {
    let sb = start().await;
    let api = sb.api();
    let key = api_key(ALICE_KEY);
    let done = api.start_run(&key, &lib("lib-echo"), &echo(json!({"message": "m"})), None).await.unwrap().value;
    sb.finished(&api, &key, &done.id).await;
    let e = api.submit_reviews(&key, &done.id, &[ReviewDecision::approve(ReviewId::new("nope"))]).await.unwrap_err();
    assert_error(&e, 404, ErrorCode::NotFound, "Review(s) not found: nope");

    let request = echo(json!({"draft": "Hi"}));
    let run = api.start_run(&key, &lib("lib-review"), &request, None).await.unwrap().value;
    sb.wait_for(&api, &key, &run.id, |s| *s == RunStatus::Review).await;
    let q = ReviewsQuery { run_id: Some(run.id.clone()), status: Some(ReviewStatus::Waiting), ..Default::default() };
    let waiting = api.reviews(&key, &q).await.unwrap().value.items;
    let one = [ReviewDecision::approve(waiting[0].node_exec_id.clone())];
    let e = api.submit_reviews(&key, &done.id, &one).await.unwrap_err();
    assert_error(&e, 404, ErrorCode::NotFound, &format!("Review(s) not found for run {}", done.id));
    let e = api.submit_reviews(&key, &run.id, &one).await.unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::BadRequest));
    assert!(message(&e).starts_with("All waiting reviews of the run must be answered in one request. Missing: "));
    sb.switch(json!({"reviews_allow_partial": true})).await;
    assert_eq!(api.submit_reviews(&key, &run.id, &one).await.unwrap().value.approved_count, 1);
    assert_eq!(api.run(&key, &run.id).await.unwrap().value.status, RunStatus::Review, "one still waits");
    let e = api.submit_reviews(&key, &run.id, &one).await.unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::Conflict), "already processed: {e:?}");
    // stopped while in review: answering is a conflict
    let stopped = api.stop_run(&key, &run.id).await.unwrap().value;
    assert_eq!(stopped.status, RunStatus::Terminated);
    let rest = [ReviewDecision::reject(waiting[1].node_exec_id.clone())];
    let e = api.submit_reviews(&key, &run.id, &rest).await.unwrap_err();
    assert_error(&e, 409, ErrorCode::Conflict, "Cannot process reviews while execution status is TERMINATED");
}

/// The fault switch: 500, 502 and 503 in the v2 envelope (the message never carries the
/// cause), a 4xx fault, a dropped connection (a transport error, no status), and the OAuth
/// routes' own 500 body; each fault hits once, or until cleared.
#[tokio::test]
async fn server_errors_5xx_from_the_fault_switch_are_typed() {
    let sb = start().await;
    let api = sb.api();
    let key = api_key(ALICE_KEY);
    sb.fault(json!({"route": "/external-api/v2/me", "status": 500})).await;
    let e = api.me(&key).await.unwrap_err();
    assert_error(&e, 500, ErrorCode::InternalError, "Failed to process GET /external-api/v2/me");
    assert!(api.me(&key).await.is_ok(), "one request by default");
    sb.fault(json!({"route": "/external-api/v2/runs*", "method": "GET", "status": 502})).await;
    let e = api.runs(&key, &RunsQuery::default()).await.unwrap_err();
    assert_error(&e, 502, ErrorCode::UpstreamError, "Failed to process GET /external-api/v2/runs");
    sb.fault(json!({"route": "/external-api/v2/library/agents/*", "status": 503, "until_cleared": true})).await;
    for _ in 0..2 {
        let e = api.library_agent(&key, &lib("lib-echo")).await.unwrap_err();
        assert_error(
            &e,
            503,
            ErrorCode::ServiceUnavailable,
            "Failed to process GET /external-api/v2/library/agents/lib-echo",
        );
    }
    assert!(api.library_agents(&key, &LibraryAgentsQuery::default()).await.is_ok(), "the list is another route");
    sb.clear_faults().await;
    assert!(api.library_agent(&key, &lib("lib-echo")).await.is_ok());
    sb.fault(json!({"route": "/external-api/v2/library/agents/*/runs", "status": 429})).await;
    let e = api.start_run(&key, &lib("lib-echo"), &echo(json!({"message": "m"})), None).await.unwrap_err();
    assert_error(&e, 429, ErrorCode::RateLimitExceeded, "Injected fault");
    assert_eq!(total_runs(&api).await, Some(0));
    sb.fault(json!({"route": "/external-api/v2/me", "drop": true})).await;
    let e = api.me(&key).await.unwrap_err();
    assert!(matches!(e, LiveApiError::Transport(_)), "{e:?}");
    assert_eq!((e.status(), e.code(), e.retry_after()), (None, None, None));

    // the OAuth routes answer the internal app's 500 body; the refresh token survives it
    let tokens = sb.sign_in(ALICE, &[Permission::Identity]).await;
    sb.fault(json!({"route": "/api/oauth/token", "status": 500})).await;
    let e = sb.oauth().refresh(&tokens.refresh_token).await.unwrap_err();
    match &e {
        LiveOAuthClientError::OAuth(LiveOAuthError::Server { status, message, detail, hint }) => {
            assert_eq!(status.as_u16(), 500);
            assert_eq!(message.as_deref(), Some("Failed to process POST /api/oauth/token"));
            assert_eq!(detail.as_deref(), Some("Injected fault"));
            assert_eq!(hint.as_deref(), Some("Check server logs and dependent services."));
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.requires_reconnect(), "a server error is not a dead grant");
    assert!(sb.oauth().refresh(&tokens.refresh_token).await.is_ok());
    sb.fault(json!({"route": "/api/oauth/token", "status": 502})).await;
    let e = sb.oauth().refresh(&tokens.refresh_token).await.unwrap_err();
    assert!(
        matches!(&e, LiveOAuthClientError::OAuth(LiveOAuthError::Server { status, .. }) if status.as_u16() == 502),
        "{e:?}"
    );
    // the OAuth routes have no limiter; a 429 from something in front of them is still typed
    sb.fault(json!({"route": "/api/oauth/token", "status": 429})).await;
    let e = sb.oauth().refresh(&tokens.refresh_token).await.unwrap_err();
    assert!(matches!(&e, LiveOAuthClientError::OAuth(LiveOAuthError::RateLimited { .. })), "{e:?}");
    assert!(!e.requires_reconnect());
    sb.fault(json!({"route": "/api/oauth/introspect", "drop": true})).await;
    let e = sb.oauth().introspect(autogpt::live::token::TokenRef::Access(&tokens.access_token)).await.unwrap_err();
    assert!(matches!(e, LiveOAuthClientError::Transport(_)), "{e:?}");
}
