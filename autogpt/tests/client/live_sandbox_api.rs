//! Every External API v2 call of `LiveApiClient` against the live sandbox, in process, with an
//! OAuth bearer and with an API key (`X-API-Key`): identity, library agents (one page, every
//! page with a small `limit`, the full schemas), credential requirements, credentials (and the
//! older `{"credentials"}` shape), idempotent run starts, runs to their final status, the runs
//! list, stop, reviews, block errors, and the form helpers over the real `lib-echo` schema.

use autogpt::client::live::{LiveApiClient, collect_pages};
use autogpt::ids::{CredentialId, Provider};
use autogpt::live::Permission;
use autogpt::live::api::{
    CallerCredential, Credential, CredentialType, ErrorCode, GraphId, IdempotencyKey, LibraryAgentId,
    LibraryAgentsQuery, NodeId, PageLimit, PageRequest, ReviewDecision, ReviewId, ReviewStatus, ReviewsQuery, Run,
    RunRequest, RunStatus, RunsQuery,
};
use autogpt::live::schema::{FieldKind, FieldProblem, check_form, input_fields};
use autogpt::scope::ProviderScope;
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::live_sandbox_support::*;

const AGENTS: [&str; 6] = ["lib-echo", "lib-review", "lib-partial", "lib-failing", "lib-slow", "lib-gmail"];
const GMAIL: &str = "https://www.googleapis.com/auth/gmail.readonly";

/// Alice twice: an OAuth access token with the app's permissions, and her API key.
async fn both_credentials(sb: &LiveSandbox) -> [(&'static str, Credential); 2] {
    [("bearer", sb.alice_bearer().await), ("api key", api_key(ALICE_KEY))]
}

fn limit(n: u32) -> Option<PageLimit> {
    Some(PageLimit::new(n).unwrap())
}

fn inputs(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn echo(message: &str) -> RunRequest {
    RunRequest { inputs: inputs(json!({ "message": message })), ..RunRequest::default() }
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| id(i).to_owned()).collect()
}

#[tokio::test]
async fn me_with_a_bearer_and_with_an_api_key() {
    let sb = start().await;
    let api = sb.api();
    for (how, cred) in both_credentials(&sb).await {
        let res = api.me(&cred).await.unwrap();
        let me = res.value;
        assert_eq!((me.user_id.as_str(), me.email.as_str()), ("user-alice", "alice@example.com"), "{how}");
        assert_eq!(me.name.as_deref(), Some("Alice Example"));
        assert_eq!(me.time_zone(), Some("Europe/Berlin"));
        let org = me.organization.as_ref().unwrap();
        assert_eq!((org.id.as_str(), org.is_personal), ("org-alice", true));
        assert_eq!(me.team, None);
        match how {
            "bearer" => {
                assert_eq!(me.credential_type, Some(CallerCredential::OAuth));
                assert_eq!(me.scopes, APP_PERMISSIONS);
                assert!(!me.has(&Permission::WriteGraph));
            }
            _ => {
                assert_eq!(me.credential_type, Some(CallerCredential::ApiKey));
                assert!(Permission::ALL.iter().all(|p| me.has(p)), "an API key has every permission");
            }
        }
        let rl = res.rate_limit;
        assert_eq!(rl.limit, Some(200));
        assert!(rl.remaining.unwrap() < 200 && !rl.is_exhausted());
        assert!(rl.reset_after.unwrap().as_secs() <= 60);
        assert_eq!(rl.retry_after, None);
    }
    let bob = api.me(&api_key(BOB_KEY)).await.unwrap().value;
    assert_eq!((bob.user_id.as_str(), bob.time_zone()), ("user-bob", None), "`not-set` is no time zone");
}

/// One page, filters, a cursor walk with a small `limit` (bounded and unbounded), and the
/// single GET with the full schemas (list entries carry empty ones).
#[tokio::test]
async fn library_agents_one_page_every_page_with_a_small_limit_and_full_schemas() {
    let sb = start().await;
    let api = sb.api();
    for (how, cred) in both_credentials(&sb).await {
        let page = api.library_agents(&cred, &LibraryAgentsQuery::default()).await.unwrap().value;
        assert_eq!(ids(&page.items, |a| a.id.as_str()), AGENTS, "{how}: oldest first");
        assert_eq!((page.total_count, page.is_last()), (Some(6), true));
        assert!(page.items.iter().all(|a| a.input_schema.is_empty() && a.input_fields().is_empty()));
        assert_eq!(page.items[0].graph_id.as_str(), "graph-echo");
        assert!(page.items[0].is_favorite && page.items[0].created_at.is_some());

        let walk = |n: u32, max: usize| {
            let (api, cred) = (&api, &cred);
            collect_pages(max, move |cursor| {
                let q = LibraryAgentsQuery { page: PageRequest { limit: limit(n), cursor }, ..Default::default() };
                async move { api.library_agents(cred, &q).await }
            })
        };
        let all = walk(4, 10).await.unwrap();
        assert_eq!(ids(&all.items, |a| a.id.as_str()), AGENTS);
        assert!(all.complete);
        assert_eq!(all.total_count, Some(6));
        let all = walk(1, 10).await.unwrap();
        assert_eq!((all.items.len(), all.complete), (6, true), "six pages of one");
        let bounded = walk(2, 2).await.unwrap();
        assert_eq!(ids(&bounded.items, |a| a.id.as_str()), AGENTS[..4]);
        assert!(!bounded.complete, "the bound stops the walk");
        // the same by hand: the cursor of page one fetches page two
        let first = api
            .library_agents(
                &cred,
                &LibraryAgentsQuery { page: PageRequest::first(PageLimit::new(5).unwrap()), ..Default::default() },
            )
            .await
            .unwrap()
            .value;
        let cursor = first.next_cursor.clone().expect("a next page");
        let q = LibraryAgentsQuery {
            page: PageRequest::first(PageLimit::new(5).unwrap()).after(cursor),
            ..Default::default()
        };
        let second = api.library_agents(&cred, &q).await.unwrap().value;
        assert_eq!(ids(&second.items, |a| a.id.as_str()), ["lib-gmail"]);
        assert!(second.is_last());

        let fav = api.library_agents(&cred, &LibraryAgentsQuery { favorite: Some(true), ..Default::default() }).await;
        assert_eq!(ids(&fav.unwrap().value.items, |a| a.id.as_str()), ["lib-echo"]);
        let unpublished = LibraryAgentsQuery { published: Some(false), ..Default::default() };
        assert_eq!(api.library_agents(&cred, &unpublished).await.unwrap().value.total_count, Some(5));
        let every = api.all_library_agents(&cred, &LibraryAgentsQuery::default(), 3).await.unwrap();
        assert_eq!((every.items.len(), every.complete), (6, true));
        assert_eq!(every.rate_limit.limit, Some(200));

        let agent = api.library_agent(&cred, &LibraryAgentId::new("lib-echo")).await.unwrap().value;
        assert!(!agent.input_schema.is_empty());
        assert_eq!(agent.input_fields().len(), 11);
        assert_eq!(agent.output_names(), ["result", "inputs", "summary"], "in the author's order");
    }
}

#[tokio::test]
async fn lib_gmail_credential_requirements_with_every_matching_credential() {
    let sb = start().await;
    let api = sb.api();
    let gmail_agent = LibraryAgentId::new("lib-gmail");
    for (how, cred) in both_credentials(&sb).await {
        let page = api.agent_credentials(&cred, &gmail_agent, &PageRequest::default()).await.unwrap().value;
        assert_eq!((page.items.len(), page.total_count, page.is_last()), (1, Some(1), true), "{how}");
        let req = &page.items[0];
        assert_eq!((req.field_name.as_str(), req.provider.as_str()), ("credentials", "google"));
        assert_eq!(req.supported_types, [CredentialType::OAuth2]);
        assert_eq!(req.required_scopes, [ProviderScope::new(GMAIL).unwrap()]);
        assert_eq!(ids(&req.matching_credentials, |c| c.id.as_str()), ["cred-alice-google"]);
        let usable: Vec<&str> = req.usable_credentials().map(|c| c.id.as_str()).collect();
        assert_eq!(usable, ["cred-alice-google"]);
        let all = api.all_agent_credentials(&cred, &gmail_agent, 5).await.unwrap();
        assert_eq!((all.items, all.complete), (page.items.clone(), true));
        let none = api.all_agent_credentials(&cred, &LibraryAgentId::new("lib-echo"), 5).await.unwrap();
        assert!(none.items.is_empty() && none.complete && none.total_count == Some(0));
    }
    let bob = api.all_agent_credentials(&api_key(BOB_KEY), &gmail_agent, 5).await.unwrap();
    assert!(bob.items[0].matching_credentials.is_empty());
    assert_eq!(bob.items[0].usable_credentials().count(), 0);
}

/// The page envelope with a provider filter (case-insensitive) and a cursor walk, then the
/// older `{"credentials": […]}` answer (open question 3), read as one last page.
#[tokio::test]
async fn credentials_list_filter_cursor_walk_and_the_legacy_shape() {
    let sb = start().await;
    let api = sb.api();
    let creds = sb.alice_bearer().await;
    for cred in [creds, api_key(ALICE_KEY)] {
        let page = api.credentials(&cred, None, &PageRequest::default()).await.unwrap().value;
        let providers: Vec<&str> = page.items.iter().map(|c| c.provider.as_str()).collect();
        assert_eq!(providers, ["google", "github", "notion"]);
        assert_eq!(page.total_count, Some(3));
        let github =
            api.credentials(&cred, Some(&Provider::new("GITHUB")), &PageRequest::default()).await.unwrap().value;
        assert_eq!(ids(&github.items, |c| c.id.as_str()), ["cred-alice-github"]);
        let c = &github.items[0];
        assert_eq!(
            (c.kind.clone(), c.title.as_deref(), c.username.as_deref()),
            (CredentialType::OAuth2, Some("alice-gh"), Some("alice-gh"))
        );
        assert_eq!(c.scopes, [ProviderScope::new("repo").unwrap(), ProviderScope::new("read:user").unwrap()]);
        assert!(!c.is_managed && c.expires_at.is_none());
        let walk = collect_pages(10, |cursor| {
            let page = PageRequest { limit: limit(1), cursor };
            let (api, cred) = (&api, &cred);
            async move { api.credentials(cred, None, &page).await }
        })
        .await
        .unwrap();
        assert_eq!((walk.items, walk.complete), (page.items.clone(), true));
        assert_eq!(api.all_credentials(&cred, None, 5).await.unwrap().items, page.items);
    }
    sb.switch(json!({"legacy_credentials_list": true})).await;
    let key = api_key(ALICE_KEY);
    let notion = api.credentials(&key, Some(&Provider::new("notion")), &PageRequest::default()).await.unwrap().value;
    assert_eq!(ids(&notion.items, |c| c.id.as_str()), ["cred-alice-notion"]);
    assert_eq!((notion.next_cursor, notion.total_count), (None, Some(1)));
    let all = api.all_credentials(&key, None, 5).await.unwrap();
    assert_eq!((all.items.len(), all.complete), (3, true));
    assert!(all.items.iter().any(|c| c.id == CredentialId::new("cred-alice-google")));
}

/// `Idempotency-Key`: the same key and body give the same run (also across alice's two
/// credentials: keys are per user); another body is a typed 422; a key still being claimed is
/// a typed 409 (held open with the sandbox's `run_start_delay_ms`), then resolves to the run.
#[tokio::test]
async fn idempotent_run_start_replays_refuses_another_body_and_conflicts_in_flight() {
    let sb = start().await;
    let api = sb.api();
    let [(_, bearer), (_, key)] = both_credentials(&sb).await;
    let agent = LibraryAgentId::new("lib-echo");
    let k = IdempotencyKey::new("job-42").unwrap();
    let first = api.start_run(&bearer, &agent, &echo("once"), Some(&k)).await.unwrap();
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(first.value.status, RunStatus::Queued);
    assert_eq!(first.rate_limit.limit, Some(60), "run starts report their own limiter");
    let replay = api.start_run(&key, &agent, &echo("once"), Some(&IdempotencyKey::new(" job-42 ").unwrap())).await;
    assert_eq!(replay.unwrap().value.id, first.value.id, "same key, same body: the same run");
    let e = api.start_run(&bearer, &agent, &echo("twice"), Some(&k)).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(StatusCode::UNPROCESSABLE_ENTITY), Some(&ErrorCode::ValidationError)));
    assert!(format!("{e}").contains("Idempotency-Key 'job-42' was already used for a different request"), "{e}");
    assert!(e.validation_issues().is_empty());
    let e = api.start_run(&bearer, &LibraryAgentId::new("lib-failing"), &echo("once"), Some(&k)).await.unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::ValidationError), "another agent");
    let bobs = api.start_run(&api_key(BOB_KEY), &agent, &echo("once"), Some(&k)).await.unwrap();
    assert_ne!(bobs.value.id, first.value.id, "keys are per user");
    let done = sb.finished(&api, &key, &first.value.id).await;
    let later = api.start_run(&bearer, &agent, &echo("once"), Some(&k)).await.unwrap().value;
    assert_eq!((later.id, later.status), (done.id, RunStatus::Completed), "the run as it is now");

    // in flight: the first request holds its claim for a while
    sb.switch(json!({"run_start_delay_ms": 2000})).await;
    let slow = IdempotencyKey::new("slow-1").unwrap();
    let held = {
        let (api, cred, agent, slow) = (api.clone(), key.clone(), agent.clone(), slow.clone());
        tokio::spawn(async move { api.start_run(&cred, &agent, &echo("slow"), Some(&slow)).await })
    };
    eventually("the key is claimed", || {
        let claimed = sb.key_in_flight("slow-1").then_some(());
        async move { claimed }
    })
    .await;
    let e = api.start_run(&bearer, &agent, &echo("slow"), Some(&slow)).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(StatusCode::CONFLICT), Some(&ErrorCode::Conflict)));
    assert!(format!("{e}").contains("is still in flight"), "{e}");
    let held = held.await.unwrap().unwrap().value;
    sb.switch(json!({"run_start_delay_ms": 0})).await;
    let retried = api.start_run(&bearer, &agent, &echo("slow"), Some(&slow)).await.unwrap().value;
    assert_eq!(retried.id, held.id, "a retry with the same key resolves to the run");
}

/// A run read to `COMPLETED` with both credentials: outputs as lists, node executions, cost.
#[tokio::test]
async fn echo_run_is_read_to_completed_with_outputs_as_lists() {
    let sb = start().await;
    let api = sb.api();
    for (how, cred) in both_credentials(&sb).await {
        let request = RunRequest {
            inputs: inputs(json!({"message": "hi", "repeat": 2, "shout": true, "api_token": "s3cret"})),
            ..RunRequest::default()
        };
        let started = api.start_run(&cred, &LibraryAgentId::new("lib-echo"), &request, None).await.unwrap().value;
        assert_eq!((started.graph_id.as_str(), started.graph_version), ("graph-echo", 1), "{how}");
        assert!(!started.is_final() && started.outputs.is_none(), "a start answers no outputs");
        assert_eq!(started.organization_id.as_ref().map(|o| o.as_str()), Some("org-alice"));
        let run = sb.finished(&api, &cred, &started.id).await;
        assert_eq!(run.status, RunStatus::Completed);
        assert_eq!(run.output("result").unwrap(), [json!("HI HI")]);
        assert_eq!(run.last_output("summary"), Some(&json!("Echoed 4 input(s): api_token, message, repeat, shout")));
        assert_eq!(run.last_output("inputs").unwrap()["api_token"], "***", "secret inputs are masked");
        assert!(run.succeeded_with(&["result", "summary"]) && run.block_errors().is_empty());
        let nodes: Vec<&str> = run.node_executions.as_ref().unwrap().iter().map(|n| n.node_id.as_str()).collect();
        assert_eq!(nodes, ["echo-input", "echo-format", "echo-output"]);
        assert!(run.node_executions.as_ref().unwrap().iter().all(|n| n.status == RunStatus::Completed));
        assert_eq!((run.node_exec_count, run.cost_cents), (3, 3));
        assert!(run.started_at.is_some() && run.ended_at.is_some() && run.duration_seconds > 0.0);
        assert!(!format!("{run:?}").contains("s3cret"), "checklist 37");
    }
}

/// `GET /runs`: newest first, no outputs, filters by graph id, statuses (repeated) and
/// creation time, and a cursor walk.
#[tokio::test]
async fn runs_list_newest_first_with_filters_and_a_cursor_walk() {
    let sb = start().await;
    let api = sb.api();
    let [(_, bearer), (_, key)] = both_credentials(&sb).await;
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(5);
    let mut started = Vec::new();
    for (agent, request) in [("lib-echo", echo("a")), ("lib-failing", RunRequest::default()), ("lib-echo", echo("b"))] {
        let run = api.start_run(&key, &LibraryAgentId::new(agent), &request, None).await.unwrap().value;
        sb.finished(&api, &key, &run.id).await;
        started.push(run.id);
    }
    let api = &api;
    for cred in [&bearer, &key] {
        let all = api.runs(cred, &RunsQuery::default()).await.unwrap().value;
        let newest_first: Vec<_> = started.iter().rev().cloned().collect();
        assert_eq!(all.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), newest_first);
        assert!(all.items.iter().all(|r| r.outputs.is_none() && r.node_executions.is_none()));
        let count = |q: RunsQuery| async move { api.runs(cred, &q).await.unwrap().value.total_count };
        let graph = |g: &str| RunsQuery { graph_id: Some(GraphId::new(g)), ..Default::default() };
        assert_eq!(count(graph("graph-failing")).await, Some(1));
        assert_eq!(count(graph("lib-failing")).await, Some(0), "a graph id, not a library agent id");
        let statuses = |s: Vec<RunStatus>| RunsQuery { statuses: s, ..Default::default() };
        assert_eq!(count(statuses(vec![RunStatus::Completed])).await, Some(2));
        assert_eq!(count(statuses(vec![RunStatus::Completed, RunStatus::Failed])).await, Some(3));
        assert_eq!(count(statuses(vec![RunStatus::Running])).await, Some(0));
        let after = |t| RunsQuery { started_after: Some(t), ..Default::default() };
        assert_eq!(count(after(before)).await, Some(3));
        assert_eq!(count(after(time::OffsetDateTime::now_utc() + time::Duration::hours(1))).await, Some(0));
        let until = RunsQuery { started_before: Some(before), ..Default::default() };
        assert_eq!(count(until).await, Some(0));
        let walk = collect_pages(10, |cursor| {
            let q = RunsQuery { page: PageRequest { limit: limit(2), cursor }, ..Default::default() };
            async move { api.runs(cred, &q).await }
        })
        .await
        .unwrap();
        assert_eq!(walk.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), newest_first);
        assert!(walk.complete);
    }
    let bob = api.runs(&api_key(BOB_KEY), &RunsQuery::default()).await.unwrap().value;
    assert_eq!(bob.total_count, Some(0), "another user's runs are not listed");
}

/// `POST /runs/{id}/stop` on a running `lib-slow` answers it `TERMINATED` (its running block
/// too); stopping it again, or stopping a completed run, is a typed 409.
#[tokio::test]
async fn stopping_lib_slow_terminates_it_and_a_finished_run_is_a_conflict() {
    // 60 one-second steps at a tenth of real time: six seconds in which to stop it.
    let sb = start_with(|c| c.time_factor = 0.1).await;
    let api = sb.api();
    for (how, cred) in both_credentials(&sb).await {
        let request = RunRequest { inputs: inputs(json!({"steps": 60})), ..RunRequest::default() };
        let run = api.start_run(&cred, &LibraryAgentId::new("lib-slow"), &request, None).await.unwrap().value;
        let running = sb.wait_for(&api, &cred, &run.id, |s| *s == RunStatus::Running).await;
        assert!(running.status.is_stoppable(), "{how}");
        let stopped = api.stop_run(&cred, &run.id).await.unwrap();
        assert_eq!(stopped.status, StatusCode::ACCEPTED);
        assert_eq!(stopped.value.status, RunStatus::Terminated);
        let read = api.run(&cred, &run.id).await.unwrap().value;
        assert_eq!(read.status, RunStatus::Terminated);
        assert!(read.node_executions.as_ref().unwrap().iter().any(|n| n.status == RunStatus::Terminated));
        assert!(read.output("result").is_none());
        let e = api.stop_run(&cred, &run.id).await.unwrap_err();
        assert_eq!((e.status(), e.code()), (Some(StatusCode::CONFLICT), Some(&ErrorCode::Conflict)));
        assert!(format!("{e}").contains(&format!("Run #{} has already finished (TERMINATED)", run.id)), "{e}");
    }
    let key = api_key(ALICE_KEY);
    // the same through the `Platform` seam
    let platform = sb.platform(&APP_PERMISSIONS);
    let request = RunRequest { inputs: inputs(json!({"steps": 60})), ..RunRequest::default() };
    let run = api.start_run(&key, &LibraryAgentId::new("lib-slow"), &request, None).await.unwrap().value;
    sb.wait_for(&api, &key, &run.id, |s| *s == RunStatus::Running).await;
    let stopped = platform.stop_run(&key, &run.id.clone().into()).await.unwrap();
    assert_eq!(stopped.status, autogpt::types::ExecutionStatus::Terminated);
    assert!(stopped.is_final() && stopped.ended_at.is_some());
    let done = api.start_run(&key, &LibraryAgentId::new("lib-echo"), &echo("m"), None).await.unwrap().value;
    sb.finished(&api, &key, &done.id).await;
    let e = api.stop_run(&key, &done.id).await.unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::Conflict));
    assert!(format!("{e}").contains("has already finished (COMPLETED)"), "{e}");
}

/// Waits for a `lib-review` run to pause, and lists its waiting reviews: (email, recipient).
async fn in_review(sb: &LiveSandbox, api: &LiveApiClient, cred: &Credential) -> (Run, WaitingReviews) {
    let request =
        RunRequest { inputs: inputs(json!({"draft": "Hello team", "subject": "Status"})), ..RunRequest::default() };
    let run = api.start_run(cred, &LibraryAgentId::new("lib-review"), &request, None).await.unwrap().value;
    let paused = sb.wait_for(api, cred, &run.id, |s| *s == RunStatus::Review).await;
    assert!(!paused.is_final() && paused.status.is_stoppable());
    let q = ReviewsQuery { run_id: Some(run.id.clone()), status: Some(ReviewStatus::Waiting), ..Default::default() };
    let page = api.reviews(cred, &q).await.unwrap().value;
    assert_eq!((page.items.len(), page.total_count), (2, Some(2)));
    let email = page.items.iter().find(|r| r.editable).unwrap();
    assert_eq!(email.payload, json!({"subject": "Status", "body": "Hello team"}));
    assert_eq!(
        (email.run_id.clone(), email.graph_id.as_str(), email.processed),
        (run.id.clone(), "graph-review", false)
    );
    let recipient = page.items.iter().find(|r| !r.editable).unwrap();
    (paused, WaitingReviews { email: email.node_exec_id.clone(), recipient: recipient.node_exec_id.clone() })
}

/// The two reviews a `lib-review` run waits for.
struct WaitingReviews {
    /// `review-email`, editable.
    email: ReviewId,
    /// `review-recipient`.
    recipient: ReviewId,
}

/// Human in the loop on `lib-review`: approving (with an edit, by bearer) completes it with the
/// edited email sent; rejecting on another run (by API key) completes it without sending.
#[tokio::test]
async fn lib_review_approved_completes_with_the_edit_and_rejected_completes_without_sending() {
    let sb = start().await;
    let api = sb.api();
    let [(_, bearer), (_, key)] = both_credentials(&sb).await;

    let (run, waiting) = in_review(&sb, &api, &bearer).await;
    let edited = json!({"subject": "Status (edited)", "body": "Hello team!"});
    let decisions = [
        ReviewDecision::approve_edited(waiting.email.clone(), edited.clone()).with_message("ok"),
        ReviewDecision::approve(waiting.recipient.clone()),
    ];
    let answered = api.submit_reviews(&bearer, &run.id, &decisions).await.unwrap();
    assert_eq!(answered.status, StatusCode::ACCEPTED);
    assert_eq!(
        (answered.value.run_id.clone(), answered.value.approved_count, answered.value.rejected_count),
        (run.id.clone(), 2, 0)
    );
    let done = sb.finished(&api, &bearer, &run.id).await;
    assert_eq!(done.status, RunStatus::Completed);
    assert_eq!(
        done.last_output("sent"),
        Some(&json!({"to": "team@example.com", "subject": "Status (edited)", "body": "Hello team!"}))
    );
    assert_eq!(done.output("status").unwrap(), [json!("sent")]);
    let q = ReviewsQuery { run_id: Some(run.id.clone()), status: Some(ReviewStatus::Approved), ..Default::default() };
    let approved = api.reviews(&bearer, &q).await.unwrap().value;
    assert_eq!(approved.total_count, Some(2));
    let email = approved.items.iter().find(|r| r.node_exec_id == waiting.email).unwrap();
    assert_eq!((email.reviewer_comment.as_deref(), email.processed), (Some("ok"), true));
    assert!(email.reviewed_at.is_some());
    // answering again: the run is no longer in review
    let e = api.submit_reviews(&bearer, &run.id, &decisions).await.unwrap_err();
    assert_eq!(e.code(), Some(&ErrorCode::Conflict));
    assert!(format!("{e}").contains("Cannot process reviews while execution status is COMPLETED"), "{e}");

    let (run, waiting) = in_review(&sb, &api, &key).await;
    let decisions = [
        ReviewDecision::reject(waiting.email.clone()).with_message("Not today"),
        ReviewDecision::approve(waiting.recipient),
    ];
    let answered = api.submit_reviews(&key, &run.id, &decisions).await.unwrap().value;
    assert_eq!((answered.approved_count, answered.rejected_count), (1, 1));
    let done = sb.finished(&api, &key, &run.id).await;
    assert_eq!(done.status, RunStatus::Completed);
    assert_eq!(done.output("status").unwrap(), [json!("rejected")]);
    assert!(done.output("sent").is_none(), "nothing was sent");
    assert!(!done.succeeded_with(&["sent"]));
    let rejected = ReviewsQuery { status: Some(ReviewStatus::Rejected), ..Default::default() };
    let rejected = api.reviews(&key, &rejected).await.unwrap().value;
    assert_eq!(ids(&rejected.items, |r| r.node_exec_id.as_str()), [waiting.email.as_str()]);
    assert_eq!(rejected.items[0].reviewer_comment.as_deref(), Some("Not today"));
}

/// `lib-partial` completes although a block failed: `block_errors()` names it, so the app can
/// show a warning; `lib-failing` fails with its reason and no outputs.
#[tokio::test]
async fn lib_partial_completes_with_block_errors_and_lib_failing_fails() {
    let sb = start().await;
    let api = sb.api();
    for (how, cred) in both_credentials(&sb).await {
        let request = RunRequest { inputs: inputs(json!({"items": ["a", "b"]})), ..RunRequest::default() };
        let partial = api.start_run(&cred, &LibraryAgentId::new("lib-partial"), &request, None).await.unwrap().value;
        let request = RunRequest { inputs: inputs(json!({"reason": "Boom on purpose"})), ..RunRequest::default() };
        let failing = api.start_run(&cred, &LibraryAgentId::new("lib-failing"), &request, None).await.unwrap().value;

        let p = sb.finished(&api, &cred, &partial.id).await;
        assert_eq!(p.status, RunStatus::Completed, "{how}");
        assert_eq!(p.output("joined").unwrap(), [json!("a, b")]);
        let errors = p.block_errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].node_id, NodeId::new("partial-enrich"));
        assert_eq!(errors[0].message, "Enrichment service unavailable (demo failure)");
        assert!(!p.succeeded_with(&["joined"]), "COMPLETED is not success when a block failed");

        let f = sb.finished(&api, &cred, &failing.id).await;
        assert_eq!(f.status, RunStatus::Failed);
        assert!(f.outputs.as_ref().unwrap().is_empty());
        let errors = f.block_errors();
        assert_eq!(
            errors.last().map(|e| (e.node_id.as_str(), e.message.as_str())),
            Some(("failing-block", "Boom on purpose"))
        );
        assert!(f.ended_at.is_some());
    }
}

/// The form helpers over the sandbox's real `lib-echo` schema: every field kind and flag, the
/// form check's refusals, and checked inputs that a real run start accepts and echoes.
#[tokio::test]
async fn lib_echo_schema_gives_every_field_kind_and_checked_inputs_start_a_real_run() {
    let sb = start().await;
    let api = sb.api();
    let key = api_key(ALICE_KEY);
    let agent = api.library_agent(&key, &LibraryAgentId::new("lib-echo")).await.unwrap().value;
    let fields = input_fields(&agent.input_schema);
    // the form follows the agent author's order, as the platform sends it (not sorted)
    let order = [
        "message",
        "notes",
        "repeat",
        "temperature",
        "shout",
        "tone",
        "metadata",
        "tags",
        "payload",
        "api_token",
        "attachment",
    ];
    assert_eq!(agent.input_schema.property_order(), order);
    assert_eq!(fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), order);
    assert_eq!(agent.output_names(), ["result", "inputs", "summary"]);
    let field = |n: &str| fields.iter().find(|f| f.name == n).unwrap_or_else(|| panic!("no field {n}"));
    let kinds: Vec<(&str, FieldKind)> = vec![
        ("message", FieldKind::Text),
        ("notes", FieldKind::LongText),
        ("repeat", FieldKind::Integer),
        ("temperature", FieldKind::Number),
        ("shout", FieldKind::Boolean),
        ("metadata", FieldKind::Object),
        ("tags", FieldKind::Array),
        ("payload", FieldKind::AnyJson),
        ("api_token", FieldKind::Text),
        ("attachment", FieldKind::File),
    ];
    for (name, kind) in kinds {
        assert_eq!(field(name).kind, kind, "{name}");
    }
    match &field("tone").kind {
        FieldKind::Enum { options } => {
            let labels: Vec<&str> = options.iter().map(|o| o.label.as_str()).collect();
            assert_eq!(labels, ["neutral", "friendly", "formal"]);
        }
        other => panic!("tone: {other:?}"),
    }
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name.as_str()).collect();
    assert_eq!(required, ["message"]);
    assert_eq!(field("message").label(), "Message");
    assert_eq!(field("message").description.as_deref(), Some("The text to echo"));
    assert_eq!(field("repeat").default, Some(json!(1)));
    assert!(field("temperature").advanced && field("metadata").advanced && !field("message").advanced);
    assert!(field("api_token").secret && !field("message").secret);
    assert!(field("attachment").nullable && !field("attachment").required);
    assert_eq!(field("notes").format.as_deref(), Some("long-text"));

    // what the form refuses, one problem per field, never the value
    let e = check_form(
        &fields,
        [
            ("repeat", "two"),
            ("tone", "angry"),
            ("attachment", "report.pdf"),
            ("metadata", "[1]"),
            ("nope", "x"),
            ("api_token", "sk-SECRET"),
        ],
    )
    .unwrap_err();
    assert_eq!(e.for_field("message"), Some(&FieldProblem::Required));
    assert_eq!(e.for_field("repeat"), Some(&FieldProblem::NotAnInteger));
    assert_eq!(e.for_field("tone"), Some(&FieldProblem::NotAnOption));
    assert_eq!(e.for_field("attachment"), Some(&FieldProblem::FileNotUploaded));
    assert_eq!(e.for_field("metadata"), Some(&FieldProblem::NotAnObject));
    assert_eq!(e.for_field("nope"), Some(&FieldProblem::Unknown));
    assert!(!format!("{e:?}").contains("sk-SECRET"));

    // a filled form: every kind, as an HTML form sends it
    let form = [
        ("message", "hey"),
        ("notes", "line one\nline two"),
        ("repeat", " 2 "),
        ("temperature", "0.25"),
        ("shout", "on"),
        ("tone", "friendly"),
        ("metadata", r#"{"k": "v"}"#),
        ("tags", r#"["a", "b"]"#),
        ("payload", "not json, sent as text"),
        ("api_token", "sk-SECRET"),
        ("attachment", ""),
    ];
    let checked = check_form(&fields, form).unwrap();
    assert_eq!(
        Value::Object(checked.clone()),
        json!({"message": "hey", "notes": "line one\nline two", "repeat": 2, "temperature": 0.25, "shout": true,
               "tone": "friendly", "metadata": {"k": "v"}, "tags": ["a", "b"], "payload": "not json, sent as text",
               "api_token": "sk-SECRET"}),
        "the empty optional file input is omitted"
    );
    let request = RunRequest { inputs: checked, ..RunRequest::default() };
    let started = api.start_run(&key, &agent.id, &request, Some(&IdempotencyKey::generate())).await.unwrap().value;
    let run = sb.finished(&api, &key, &started.id).await;
    assert!(run.succeeded_with(&["result"]), "{run:?}");
    assert_eq!(run.output("result").unwrap(), [json!("HEY HEY")]);
    let echoed = run.last_output("inputs").unwrap();
    assert_eq!(echoed["api_token"], "***");
    assert_eq!((echoed["metadata"].clone(), echoed["tags"].clone()), (json!({"k": "v"}), json!(["a", "b"])));
    // a file reference passes the form and the platform (values are not type-checked there)
    let with_file = check_form(&fields, [("message", "f"), ("attachment", "workspace://file-1#text/plain")]).unwrap();
    assert_eq!(with_file["attachment"], "workspace://file-1#text/plain");
    let request = RunRequest { inputs: with_file, ..RunRequest::default() };
    assert!(api.start_run(&key, &agent.id, &request, None).await.is_ok());
}

/// Open questions 7 and 14 switched to their other behaviour: timestamps without fraction
/// parse (tokens and runs), and a run that starts `INCOMPLETE` is neither final nor lost.
#[tokio::test]
async fn timestamps_without_fraction_and_a_run_that_starts_incomplete() {
    let sb = start().await;
    sb.switch(json!({"timestamps_without_fraction": true, "run_start_incomplete": true})).await;
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let tokens = sb.sign_in(ALICE, &APP_PERMISSIONS).await;
    assert!((before + 3_595..=before + 3_605).contains(&tokens.access_token_expires_at));
    let bearer = Credential::Bearer(tokens.access_token);
    let api = sb.api();
    let started = api.start_run(&bearer, &LibraryAgentId::new("lib-echo"), &echo("m"), None).await.unwrap().value;
    assert_eq!(started.status, RunStatus::Incomplete);
    assert!(!started.is_final() && started.status.is_stoppable());
    let run = sb.finished(&api, &bearer, &started.id).await;
    assert_eq!(run.status, RunStatus::Completed);
    let at = run.started_at.as_ref().unwrap();
    assert!(!at.as_str().contains('.'), "{at:?}");
    let (started_at, ended_at) = (at.parse().unwrap(), run.ended_at.as_ref().unwrap().parse().unwrap());
    assert!(started_at <= ended_at);
    let agent = api.library_agent(&bearer, &LibraryAgentId::new("lib-echo")).await.unwrap().value;
    assert_eq!(agent.created_at.unwrap().parse().unwrap().unix_timestamp(), 1_767_603_600);
}
