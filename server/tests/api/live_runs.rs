//! The live profile's agents, runs and reviews through the production router (issue 13,
//! L4–L6): the library, a form for every field kind, one run per user action, live status
//! from the watcher, block errors, stop, reviews approved and rejected, a missing credential.

use std::time::Duration;

use reqwest::StatusCode;
use sandbox::live::model::ReviewStatus;
use serde_json::Value;

use crate::browser::{Browser, Resp};
use crate::live::{form_fields, live_signed_in};
use crate::support::{TestApp, spawn_live_app, spawn_live_app_with};

const ALICE: (&str, &str) = ("alice@example.com", "alice-password");
const BOB: (&str, &str) = ("bob@example.com", "bob-password");

/// The agent form of `agent`, as rendered for `b`.
async fn agent_form(app: &TestApp, b: &Browser, agent: &str) -> Resp {
    let page = b.get(&format!("{}/agents?agent={agent}", app.url)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"agent-form\""), "no form for {agent}: {}", page.body);
    page
}

/// Submits the agent form with `inputs` (full field names) from our own origin.
async fn submit_form(app: &TestApp, b: &Browser, page: &Resp, inputs: &[(&str, &str)]) -> Resp {
    let (action, fields) = form_fields(&page.body, "agent-form", inputs);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form(&format!("{}{action}", app.url), Some(&app.url), &pairs).await
}

/// The run id a successful start redirected to.
fn run_id(r: &Resp) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location.as_deref().unwrap();
    location.split("/executions/").nth(1).unwrap_or_else(|| panic!("not a run page: {location}")).to_owned()
}

/// Waits until our record of the run (kept by the watcher) has `status`.
async fn wait_for(b: &Browser, id: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let r = b.call("runs/status", &[("id", id)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let live = r.json();
        if live["status"] == status {
            return live;
        }
        assert!(tokio::time::Instant::now() < deadline, "run {id} never became {status}: {live}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn runs_of(app: &TestApp, user: &str) -> usize {
    app.platform.state().db().live.runs.iter().filter(|r| r.user_id == user).count()
}

#[tokio::test]
async fn l4_the_library_and_a_form_for_every_field_kind() {
    let app = spawn_live_app().await;
    let alice = live_signed_in(&app, ALICE).await;
    let page = alice.get(&format!("{}/agents", app.url)).await;
    for agent in ["lib-echo", "lib-review", "lib-partial", "lib-failing", "lib-slow", "lib-gmail"] {
        assert!(page.body.contains(&format!("data-agent-id=\"{agent}\"")), "{agent} not listed: {}", page.body);
    }
    let form = agent_form(&app, &alice, "lib-echo").await.body;
    for (field, kind) in [
        ("message", "text"),
        ("notes", "longtext"),
        ("repeat", "integer"),
        ("temperature", "number"),
        ("shout", "boolean"),
        ("tone", "enum"),
        ("metadata", "json"),
        ("tags", "json"),
        ("payload", "json"),
        ("api_token", "text"),
        ("attachment", "file"),
    ] {
        assert!(form.contains(&format!("data-field=\"{field}\" data-kind=\"{kind}\"")), "{field} as {kind}: {form}");
    }
    assert!(form.contains("name=\"secret.api_token\" type=\"password\""), "the secret input is masked");
    let advanced = &form[form.find("<details").unwrap()..form.find("</details>").unwrap()];
    assert!(advanced.contains("data-field=\"temperature\"") && advanced.contains("data-field=\"metadata\""));
    assert!(!advanced.contains("data-field=\"message\""), "basic inputs are not folded");
    assert!(form.contains("title=\"required\""), "the required input is marked");
    assert!(form.contains("which this app does not do"), "the file input is explained");
    assert!(form.contains("<option value=\"neutral\" selected"), "the enum's default is chosen");
}

#[tokio::test]
async fn l5_one_run_per_action_live_status_and_outputs_as_lists() {
    let app = spawn_live_app().await;
    let alice = live_signed_in(&app, ALICE).await;
    let page = agent_form(&app, &alice, "lib-echo").await;
    let inputs = [("input.message", "hello"), ("input.repeat", "2"), ("secret.api_token", "sk-secret-123")];
    // A double click: the same form sent twice at once.
    let (first, second) =
        tokio::join!(submit_form(&app, &alice, &page, &inputs), submit_form(&app, &alice, &page, &inputs));
    let id = run_id(&first);
    assert_eq!(run_id(&second), id, "the second submit got the first run");
    // And once more later (a retried request): still the same run.
    assert_eq!(run_id(&submit_form(&app, &alice, &page, &inputs).await), id);
    assert_eq!(runs_of(&app, "user-alice"), 1, "one paid run");
    wait_for(&alice, &id, "completed").await;
    let run = alice.get(&format!("{}/executions/{id}", app.url)).await;
    assert_eq!(run.status, StatusCode::OK);
    assert!(run.body.contains("id=\"run-outputs\""), "{}", run.body);
    assert!(run.body.contains("data-output=\"result\""), "{}", run.body);
    assert!(!run.body.contains("sk-secret-123"), "a secret input was shown");
    assert!(!alice.transcript().contains("sk-secret-123"), "a secret input reached the browser");
    // A fresh form is a new action: a new run.
    let again = agent_form(&app, &alice, "lib-echo").await;
    assert_ne!(run_id(&submit_form(&app, &alice, &again, &inputs).await), id);
    // The history merges the platform's runs with ours, with time and cost.
    let history = alice.get(&format!("{}/executions", app.url)).await.body;
    assert!(history.contains(&format!("/executions/{id}")), "{history}");
    assert!(history.contains(" UTC") && history.contains('$'), "{history}");
}

#[tokio::test]
async fn l4_a_refused_form_names_each_field_and_starts_nothing() {
    let app = spawn_live_app().await;
    let alice = live_signed_in(&app, ALICE).await;
    let page = agent_form(&app, &alice, "lib-echo").await;
    let r = submit_form(
        &app,
        &alice,
        &page,
        &[("input.repeat", "two"), ("input.tags", "not json"), ("secret.api_token", "sk-x")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = r.location.unwrap();
    assert!(back.contains("/agents?agent=lib-echo"), "{back}");
    assert!(!back.contains("sk-x"), "a secret went into the URL: {back}");
    let shown = alice.get(&back).await.body;
    for problem in ["This field is required.", "Enter a whole number.", "Enter valid JSON."] {
        assert!(shown.contains(problem), "{problem} not shown: {shown}");
    }
    assert!(shown.contains("value=\"two\""), "what was typed is kept");
    assert_eq!(runs_of(&app, "user-alice"), 0);
    // Signed out: sent to sign in, nothing started.
    let stranger = Browser::new(&app);
    let r = submit_form(&app, &stranger, &page, &[("input.message", "hi")]).await;
    assert!(r.location.unwrap().contains("/connect?error="), "signed out");
    // From another site: refused.
    let (action, fields) = form_fields(&page.body, "agent-form", &[]);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = alice.post_form(&format!("{}{action}", app.url), Some("http://evil.test"), &pairs).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn l5_block_errors_failures_and_stop() {
    // A slower platform clock, so the slow agent is still running when it is stopped.
    let app = spawn_live_app_with(|config| config.time_factor = 0.25).await;
    let alice = live_signed_in(&app, ALICE).await;
    let partial = run_id(
        &submit_form(&app, &alice, &agent_form(&app, &alice, "lib-partial").await, &[("input.items", "[\"a\",\"b\"]")])
            .await,
    );
    let failing = run_id(&submit_form(&app, &alice, &agent_form(&app, &alice, "lib-failing").await, &[]).await);
    let slow =
        run_id(&submit_form(&app, &alice, &agent_form(&app, &alice, "lib-slow").await, &[("input.steps", "60")]).await);
    let live = wait_for(&alice, &partial, "completed").await;
    assert!(live["error"].as_str().is_some_and(|e| !e.is_empty()), "the block error is kept: {live}");
    let page = alice.get(&format!("{}/executions/{partial}", app.url)).await.body;
    assert!(page.contains("id=\"run-warning\""), "completed with a failed block is a warning: {page}");
    wait_for(&alice, &failing, "failed").await;
    let page = alice.get(&format!("{}/executions/{failing}", app.url)).await.body;
    assert!(page.contains("id=\"run-failure\"") && page.contains("Demo failure requested"), "{page}");
    wait_for(&alice, &slow, "running").await;
    let page = alice.get(&format!("{}/executions/{slow}", app.url)).await;
    assert!(page.body.contains("id=\"stop-run\""), "{}", page.body);
    let r = alice.post_form(&format!("{}/api/autogpt/runs/{slow}/stop", app.url), Some(&app.url), &[]).await;
    assert_eq!(r.location.as_deref(), Some(format!("{}/executions/{slow}", app.url).as_str()), "{}", r.body);
    wait_for(&alice, &slow, "terminated").await;
}

#[tokio::test]
async fn l6_a_review_approved_and_another_rejected_in_one_request_each() {
    let app = spawn_live_app().await;
    let alice = live_signed_in(&app, ALICE).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let form = agent_form(&app, &alice, "lib-review").await;
        ids.push(run_id(&submit_form(&app, &alice, &form, &[("input.draft", "Hello team")]).await));
    }
    for (id, decision) in ids.iter().zip(["approve", "reject"]) {
        wait_for(&alice, id, "review").await;
        let page = alice.get(&format!("{}/executions/{id}", app.url)).await;
        assert!(page.body.contains("id=\"review-form\""), "{}", page.body);
        let (action, mut fields) = form_fields(&page.body, "review-form", &[]);
        for (name, value) in &mut fields {
            if name.starts_with("decision.") {
                *value = decision.to_owned();
            }
        }
        assert!(fields.iter().any(|(k, _)| k.starts_with("decision.")), "a decision per review: {fields:?}");
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = alice.post_form(&format!("{}{action}", app.url), Some(&app.url), &pairs).await;
        assert_eq!(r.location.as_deref(), Some(format!("{}/executions/{id}", app.url).as_str()), "{}", r.body);
    }
    let approved = wait_for(&alice, &ids[0], "completed").await;
    assert!(approved["status"] == "completed");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let live = alice.call("runs/status", &[("id", &ids[1])]).await.json();
        if live["terminal"] == true {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the rejected run never ended: {live}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reviews = &app.platform.state().db().live.reviews;
    assert!(reviews.iter().all(|r| r.status != ReviewStatus::Waiting), "every review answered");
    assert!(
        reviews.iter().any(|r| r.status == ReviewStatus::Approved)
            && reviews.iter().any(|r| r.status == ReviewStatus::Rejected)
    );
}

#[tokio::test]
async fn l4_an_agent_needing_google_asks_for_it_first() {
    let app = spawn_live_app().await;
    let bob = live_signed_in(&app, BOB).await;
    let form = agent_form(&app, &bob, "lib-gmail").await;
    assert!(
        form.body.contains("This agent needs a google account.") && form.body.contains("Connect google"),
        "{}",
        form.body
    );
    let r = submit_form(&app, &bob, &form, &[]).await;
    let back = r.location.unwrap();
    assert!(back.contains("field.credential.credentials="), "{back}");
    assert_eq!(runs_of(&app, "user-bob"), 0);
    // Alice has a Google credential with the Gmail scope: it is offered and used.
    let alice = live_signed_in(&app, ALICE).await;
    let form = agent_form(&app, &alice, "lib-gmail").await;
    assert!(form.body.contains("name=\"credential.credentials\""), "{}", form.body);
    let (_, fields) = form_fields(&form.body, "agent-form", &[]);
    assert!(!fields.iter().any(|(k, _)| k.starts_with("credential.")), "a select, not a hidden field");
    let id = run_id(&submit_form(&app, &alice, &form, &[]).await);
    wait_for(&alice, &id, "completed").await;
}

/// A POST to the sandbox's live admin API (`/__admin/live…`).
async fn live_admin(app: &TestApp, path: &str, body: Value) {
    sandbox_admin(app, reqwest::Method::POST, &format!("/live{path}"), body).await;
}

/// L7: 402 and 429 come back as sentences beside the form; an access token the platform
/// expired early is refreshed on the way (the user sees nothing of it).
#[tokio::test]
async fn l7_payment_and_rate_limits_are_sentences_and_an_expired_token_is_refreshed() {
    let app = spawn_live_app().await;
    let alice = live_signed_in(&app, ALICE).await;
    live_admin(&app, "/settings", serde_json::json!({"payment_required": true})).await;
    let form = agent_form(&app, &alice, "lib-echo").await;
    let back = submit_form(&app, &alice, &form, &[("input.message", "hi")]).await.location.unwrap();
    let shown = alice.get(&back).await.body;
    assert!(shown.contains("no active plan or credits"), "{shown}");
    live_admin(&app, "/settings", serde_json::json!({"payment_required": false, "run_rate_limit": 1})).await;
    live_admin(&app, "/rate-limits/reset", serde_json::json!({})).await;
    run_id(&submit_form(&app, &alice, &agent_form(&app, &alice, "lib-echo").await, &[("input.message", "one")]).await);
    let back = submit_form(&app, &alice, &agent_form(&app, &alice, "lib-echo").await, &[("input.message", "two")])
        .await
        .location
        .unwrap();
    let shown = alice.get(&back).await.body;
    assert!(shown.contains("AutoGPT is busy right now. Please wait"), "{shown}");
    live_admin(&app, "/tokens/expire", serde_json::json!({"email": "alice@example.com", "kind": "access"})).await;
    let page = alice.get(&format!("{}/agents", app.url)).await.body;
    assert!(page.contains("data-agent-id=\"lib-echo\""), "the library after a refresh: {page}");
}

/// A call to the sandbox's admin API on the live backend origin (`/__admin…`).
async fn sandbox_admin(app: &TestApp, method: reqwest::Method, path: &str, body: Value) {
    let r = reqwest::Client::new()
        .request(method, format!("{}/__admin{path}", app.platform.live_api_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.text().await.unwrap());
}

/// Faults (issue 14 item 6): while the platform's status reads fail, the run page says so in a
/// sentence and our record keeps what it had; once they work again the watcher catches up.
/// A run start that fails stores nothing, and the same form then starts exactly one run.
#[tokio::test]
async fn faults_on_status_reads_and_run_start_lose_nothing_and_recover() {
    let app = spawn_live_app().await;
    let alice = live_signed_in(&app, ALICE).await;
    let faults = |route: &str, method: &str| serde_json::json!({"route": route, "method": method, "status": 503, "until_cleared": true, "origin": "live_api"});
    sandbox_admin(&app, reqwest::Method::POST, "/faults", faults("/external-api/v2/runs/*", "GET")).await;
    let form = agent_form(&app, &alice, "lib-echo").await;
    let id = run_id(&submit_form(&app, &alice, &form, &[("input.message", "through the outage")]).await);
    let page = alice.get(&format!("{}/executions/{id}", app.url)).await;
    assert!(page.body.contains("id=\"run-error\""), "a sentence while AutoGPT fails: {}", page.body);
    assert!(!page.body.contains("503"), "no raw status for people: {}", page.body);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let kept = alice.call("runs/status", &[("id", &id)]).await.json();
    assert_eq!(kept["terminal"], false, "nothing invented while the platform is down: {kept}");
    sandbox_admin(&app, reqwest::Method::DELETE, "/faults", Value::Null).await;
    wait_for(&alice, &id, "completed").await;

    sandbox_admin(&app, reqwest::Method::POST, "/faults", faults("/external-api/v2/library/agents/*/runs", "POST"))
        .await;
    let form = agent_form(&app, &alice, "lib-echo").await;
    let back = submit_form(&app, &alice, &form, &[("input.message", "retry me")]).await.location.unwrap();
    assert!(back.contains("/agents?agent=lib-echo&error="), "{back}");
    assert_eq!(runs_of(&app, "user-alice"), 1, "the failed start stored nothing");
    sandbox_admin(&app, reqwest::Method::DELETE, "/faults", Value::Null).await;
    run_id(&submit_form(&app, &alice, &form, &[("input.message", "retry me")]).await);
    assert_eq!(runs_of(&app, "user-alice"), 2, "the retry started exactly one");
}
