//! Runs on External API v2: start with `Idempotency-Key` (replay, mismatch 422, in flight 409,
//! store down 503), inputs checked against the schema (422), the agents' outcomes (`echo`,
//! `partial`, `failing`, `gmail`), stopping `slow`, the runs list, delete, and the Q7/Q14 switches.

use reqwest::Method;
use sandbox::live::model::RunStatus;
use serde_json::{Value, json};

use crate::live_support::*;
use crate::support::{eventually, sorted_keys};

const RUN_KEYS: [&str; 17] = [
    "cost_cents",
    "credentials_inputs",
    "duration_seconds",
    "ended_at",
    "graph_id",
    "graph_version",
    "id",
    "inputs",
    "is_shared",
    "node_exec_count",
    "organization_id",
    "preset_id",
    "share_token",
    "started_at",
    "status",
    "correctness_score",
    "team_id",
];

async fn keyed(live: &Live, agent: &str, key: &str, body: Value) -> Answer {
    live.v2_with(
        Method::POST,
        &format!("/library/agents/{agent}/runs"),
        Auth::Key(ALICE_KEY),
        Some(body),
        &[("Idempotency-Key", key)],
    )
    .await
}

#[tokio::test]
async fn echo_run_with_an_idempotency_key_to_completed() {
    let live = spawn_live().await;
    let body = json!({"inputs": {"message": "hello", "repeat": 2, "shout": true, "api_token": "s3cret",
                                  "tags": ["a"], "payload": {"x": [1, null]}}});
    let a = keyed(&live, "lib-echo", "job-1", body.clone()).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let run = &a.json;
    let mut keys = RUN_KEYS.to_vec();
    keys.sort();
    assert_eq!(sorted_keys(run), keys);
    let id = run["id"].as_str().unwrap().to_owned();
    assert_json(
        run,
        &json!({
            "id": id, "graph_id": "graph-echo", "graph_version": 1, "status": "QUEUED",
            "started_at": null, "ended_at": null, "inputs": body["inputs"], "credentials_inputs": {},
            "preset_id": null, "is_shared": false, "share_token": null, "cost_cents": 0,
            "duration_seconds": 0.0, "node_exec_count": 0, "correctness_score": null,
            "organization_id": "org-alice", "team_id": null
        })
        .to_string(),
    );
    // replay: same key, agent and body → the same run; the key is trimmed
    let again = keyed(&live, "lib-echo", "  job-1  ", body.clone()).await;
    assert_eq!((again.status.as_u16(), again.json["id"].as_str()), (202, Some(id.as_str())));
    // the same key for another request
    let other = keyed(&live, "lib-echo", "job-1", json!({"inputs": {"message": "other"}})).await;
    assert_eq!(other.status, 422);
    assert_json(
        &other.json,
        r#"{"error":{"code":"validation_error","message":"Idempotency-Key 'job-1' was already used for a different request","details":null}}"#,
    );
    assert_eq!(keyed(&live, "lib-failing", "job-1", body.clone()).await.status, 422, "another agent");
    // a key is per user
    let bob = live
        .v2_with(
            Method::POST,
            "/library/agents/lib-echo/runs",
            Auth::Key(BOB_KEY),
            Some(body.clone()),
            &[("Idempotency-Key", "job-1")],
        )
        .await;
    assert_ne!(bob.json["id"].as_str(), Some(id.as_str()));

    let done = live.finished(&id).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_json(
        &done["outputs"],
        r#"{"result":["HELLO HELLO"],
            "inputs":[{"message":"hello","repeat":2,"shout":true,"api_token":"***","tags":["a"],"payload":{"x":[1,null]}}],
            "summary":["Echoed 6 input(s): api_token, message, payload, repeat, shout, tags"]}"#,
    );
    let nodes = done["node_executions"].as_array().unwrap();
    let names: Vec<&str> = nodes.iter().map(|n| n["node_id"].as_str().unwrap()).collect();
    assert_eq!(names, ["echo-input", "echo-format", "echo-output"]);
    assert!(nodes.iter().all(|n| n["status"] == "COMPLETED" && n["ended_at"].is_string()));
    assert_eq!(sorted_keys(&nodes[1]), ["ended_at", "inputs", "node_id", "outputs", "started_at", "status"]);
    assert_eq!(nodes[1]["outputs"], json!({"result": ["HELLO HELLO"]}));
    assert_eq!((done["node_exec_count"].clone(), done["cost_cents"].clone()), (json!(3), json!(3)));
    assert!(done["started_at"].as_str().unwrap().ends_with('Z') && done["ended_at"].is_string());
    assert!(done["duration_seconds"].as_f64().unwrap() > 0.0);
    // a replay after completion answers the run as it is now
    let later = keyed(&live, "lib-echo", "job-1", body).await;
    assert_eq!((later.status.as_u16(), later.json["status"].as_str()), (202, Some("COMPLETED")));
    assert!(later.json.get("outputs").is_none(), "run start answers an AgentGraphRun, not the details");
}

#[tokio::test]
async fn key_length_blank_keys_and_the_in_flight_conflict() {
    let live = spawn_live().await;
    let body = json!({"inputs": {"message": "k"}});
    let long = "k".repeat(256);
    let a = keyed(&live, "lib-echo", &long, body.clone()).await;
    assert_eq!(a.status, 422);
    assert_eq!(a.json["error"]["details"]["errors"][0]["loc"], json!(["header", "idempotency-key"]));
    assert_eq!(keyed(&live, "lib-echo", &"k".repeat(255), body.clone()).await.status, 202);
    let one = keyed(&live, "lib-echo", "   ", body.clone()).await;
    let two = keyed(&live, "lib-echo", "   ", body.clone()).await;
    assert_ne!(one.json["id"], two.json["id"], "a blank key is no key");

    // hold the first request between its claim and its run
    live.switch(json!({"run_start_delay_ms": 2000})).await;
    let first = {
        let http = live.http.clone();
        let url = live.api_url("/external-api/v2/library/agents/lib-echo/runs");
        let body = body.clone();
        tokio::spawn(async move {
            http.post(url)
                .header("X-API-Key", ALICE_KEY)
                .header("Idempotency-Key", "slow-1")
                .json(&body)
                .send()
                .await
                .unwrap()
        })
    };
    let state = live.sb.running.state().clone();
    eventually(|| {
        let claimed = state.db().live.idempotency.iter().any(|k| k.key == "slow-1" && k.run_id.is_none());
        async move { claimed.then_some(()) }
    })
    .await;
    let second = keyed(&live, "lib-echo", "slow-1", body.clone()).await;
    assert_eq!(second.status, 409);
    assert_json(
        &second.json,
        r#"{"error":{"code":"conflict","message":"A request with Idempotency-Key 'slow-1' is still in flight. Retry once it completes.","details":null}}"#,
    );
    let first = first.await.unwrap();
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    live.switch(json!({"run_start_delay_ms": 0})).await;
    let third = keyed(&live, "lib-echo", "slow-1", body.clone()).await;
    assert_eq!(third.json["id"], first["id"]);
    // the key store is down: 503, nothing starts
    live.switch(json!({"idempotency_unavailable": true})).await;
    let before = live.alice_get("/runs").await.json["total_count"].clone();
    let a = keyed(&live, "lib-echo", "down-1", body).await;
    assert_eq!(a.status, 503);
    assert_eq!(a.json["error"]["code"], "service_unavailable");
    assert_eq!(live.alice_get("/runs").await.json["total_count"], before);
}

#[tokio::test]
async fn inputs_are_checked_against_the_schema_in_one_422() {
    let live = spawn_live().await;
    let a = keyed(&live, "lib-echo", "bad-1", json!({"inputs": {"nope": 1, "also_nope": true, "message": null}})).await;
    assert_eq!(a.status, 422);
    assert_json(
        &a.json,
        r#"{"error":{"code":"validation_error",
            "message":"Invalid data for POST /external-api/v2/library/agents/lib-echo/runs",
            "details":{"errors":[
              {"type":"extra_forbidden","loc":["body","inputs","also_nope"],"msg":"Unknown input"},
              {"type":"extra_forbidden","loc":["body","inputs","nope"],"msg":"Unknown input"},
              {"type":"missing","loc":["body","inputs","message"],"msg":"Input required"}]}}}"#,
    );
    assert_eq!(live.alice_get("/runs").await.json["total_count"], 0, "nothing started");
    // the key was released: the corrected request starts the run
    assert_eq!(keyed(&live, "lib-echo", "bad-1", json!({"inputs": {"message": "ok"}})).await.status, 202);
    let missing =
        live.v2(Method::POST, "/library/agents/lib-partial/runs", Auth::Key(ALICE_KEY), Some(json!({}))).await;
    assert_eq!(missing.json["error"]["details"]["errors"][0]["loc"], json!(["body", "inputs", "items"]));
    // body shapes
    let a =
        live.v2(Method::POST, "/library/agents/lib-echo/runs", Auth::Key(ALICE_KEY), Some(json!({"inputs": []}))).await;
    assert_eq!(a.json["error"]["details"]["errors"][0]["type"], "dict_type");
    let a = live
        .v2(
            Method::POST,
            "/library/agents/lib-gmail/runs",
            Auth::Key(ALICE_KEY),
            Some(json!({"credentials_inputs": {"credentials": {"id": "x", "type": "oauth"}}})),
        )
        .await;
    let errors = &a.json["error"]["details"]["errors"];
    assert_eq!(errors[0]["loc"], json!(["body", "credentials_inputs", "credentials", "provider"]));
    assert_eq!(errors[1]["type"], "literal_error");
    let raw = live
        .http
        .post(live.api_url("/external-api/v2/library/agents/lib-echo/runs"))
        .header("X-API-Key", ALICE_KEY)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 422);
    let v: Value = raw.json().await.unwrap();
    assert_eq!(v["error"]["details"]["errors"][0]["type"], "json_invalid");
    let a = live.v2(Method::POST, "/library/agents/nope/runs", Auth::Key(ALICE_KEY), Some(json!({}))).await;
    assert_eq!(a.json["error"]["message"], "Agent #nope not found");
}

#[tokio::test]
async fn partial_completes_with_a_failed_block_and_failing_fails() {
    let live = spawn_live().await;
    let partial = live.start("lib-partial", json!({"inputs": {"items": ["a", "b"]}})).await;
    let failing = live.start("lib-failing", json!({"inputs": {"reason": "Boom on purpose"}})).await;
    let p = live.finished(partial["id"].as_str().unwrap()).await;
    assert_eq!(p["status"], "COMPLETED");
    assert_eq!(p["outputs"], json!({"joined": ["a, b"]}), "the failed block's output never appears");
    let nodes = p["node_executions"].as_array().unwrap();
    assert_eq!((nodes[0]["node_id"].as_str(), nodes[0]["status"].as_str()), (Some("partial-join"), Some("COMPLETED")));
    assert_eq!(nodes[1]["status"], "FAILED");
    assert_eq!(nodes[1]["outputs"], json!({"error": ["Enrichment service unavailable (demo failure)"]}));
    let f = live.finished(failing["id"].as_str().unwrap()).await;
    assert_eq!(f["status"], "FAILED");
    assert_eq!(f["outputs"], json!({}));
    let last = f["node_executions"].as_array().unwrap().last().unwrap().clone();
    assert_json(&last["outputs"], r#"{"error":["Boom on purpose"]}"#);
    assert_eq!(last["node_id"], "failing-block");
    assert!(f["ended_at"].is_string());
}

#[tokio::test]
async fn slow_run_is_stopped_to_terminated_and_a_finished_run_cannot_be_stopped() {
    // Real time for this one: the run lasts ~20 s and is stopped long before.
    let live = spawn_live_with(|c| c.time_factor = 1.0).await;
    let run = live.start("lib-slow", json!({})).await;
    let id = run["id"].as_str().unwrap().to_owned();
    let running = live.wait_for(&id, |s| s == RunStatus::Running).await;
    assert_eq!(running["status"], "RUNNING");
    let stop = live.v2(Method::POST, &format!("/runs/{id}/stop"), Auth::Key(ALICE_KEY), None).await;
    assert_eq!(stop.status, 202);
    assert_eq!(stop.json["status"], "TERMINATED");
    assert!(stop.json["ended_at"].is_string());
    let details = live.alice_get(&format!("/runs/{id}")).await.json;
    let nodes = details["node_executions"].as_array().unwrap();
    assert!(nodes.iter().any(|n| n["status"] == "TERMINATED"), "{details}");
    assert!(details["outputs"].get("result").is_none());
    let again = live.v2(Method::POST, &format!("/runs/{id}/stop"), Auth::Key(ALICE_KEY), None).await;
    assert_eq!(again.status, 409);
    assert_json(
        &again.json,
        &json!({"error": {"code": "conflict", "message": format!("Run #{id} has already finished (TERMINATED)"), "details": null}})
            .to_string(),
    );
    let missing = live.v2(Method::POST, "/runs/nope/stop", Auth::Key(ALICE_KEY), None).await;
    assert_eq!(missing.status, 404);
    let bob = live.v2(Method::POST, &format!("/runs/{id}/stop"), Auth::Key(BOB_KEY), None).await;
    assert_eq!(bob.json["error"]["message"], format!("Run #{id} not found"), "another user's run is absent");
}

#[tokio::test]
async fn a_completed_run_cannot_be_stopped() {
    let live = spawn_live().await;
    let id = live.start("lib-echo", json!({"inputs": {"message": "m"}})).await["id"].as_str().unwrap().to_owned();
    live.finished(&id).await;
    let a = live.v2(Method::POST, &format!("/runs/{id}/stop"), Auth::Key(ALICE_KEY), None).await;
    assert_eq!(a.json["error"]["message"], format!("Run #{id} has already finished (COMPLETED)"));
}

#[tokio::test]
async fn gmail_needs_a_matching_google_credential_when_its_block_runs() {
    let live = spawn_live().await;
    let without = live.start("lib-gmail", json!({})).await;
    let f = live.finished(without["id"].as_str().unwrap()).await;
    assert_eq!(f["status"], "FAILED");
    assert_eq!(
        f["node_executions"][0]["outputs"]["error"][0],
        "Missing credentials: the 'credentials' field needs one of your Google credentials"
    );
    let creds = json!({"credentials": {"id": "cred-alice-google", "provider": "google", "type": "oauth2"}});
    let with = live.start("lib-gmail", json!({"inputs": {"query": "invoice"}, "credentials_inputs": creds})).await;
    assert_json(
        &with["credentials_inputs"],
        r#"{"credentials":{"id":"cred-alice-google","title":"alice@gmail.example","provider":"google","type":"oauth2"}}"#,
    );
    let ok = live.finished(with["id"].as_str().unwrap()).await;
    assert_eq!(ok["status"], "COMPLETED", "{ok}");
    assert_eq!(ok["outputs"]["invoices"][0].as_array().unwrap().len(), 2);
    assert_eq!(ok["outputs"]["summary"], json!(["Found 2 invoices in alice@gmail.example matching 'invoice'"]));
    assert_eq!(ok["cost_cents"], 5);
    // bob cannot use alice's credential
    let bob = live
        .v2(
            Method::POST,
            "/library/agents/lib-gmail/runs",
            Auth::Key(BOB_KEY),
            Some(json!({"credentials_inputs": creds})),
        )
        .await;
    let state = live.sb.running.state().clone();
    let bob_id = bob.json["id"].as_str().unwrap().to_owned();
    eventually(|| {
        let done = state.db().live.run(&bob_id).is_some_and(|r| r.status == RunStatus::Failed);
        async move { done.then_some(()) }
    })
    .await;
    // the credential deleted by the admin API: the next run fails in its block
    let deleted = live.admin(Method::POST, "/credentials/cred-alice-google/delete", json!({})).await;
    assert_eq!(deleted, json!({"deleted": "cred-alice-google", "revoked_grants": 0}));
    let after = live.start("lib-gmail", json!({"credentials_inputs": creds})).await;
    assert_eq!(live.finished(after["id"].as_str().unwrap()).await["status"], "FAILED");
    let listed = live.alice_get("/integrations/credentials?provider=google").await;
    assert_eq!(listed.json["total_count"], 0);
}

#[tokio::test]
async fn runs_list_newest_first_with_filters_and_paging() {
    let live = spawn_live().await;
    let mut ids = Vec::new();
    for agent in ["lib-echo", "lib-failing", "lib-echo"] {
        let body = if agent == "lib-echo" { json!({"inputs": {"message": "m"}}) } else { json!({}) };
        let id = live.start(agent, body).await["id"].as_str().unwrap().to_owned();
        live.finished(&id).await;
        ids.push(id);
    }
    let a = live.alice_get("/runs").await;
    let listed: Vec<&str> = a.json["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);
    assert!(a.json["items"][0].get("outputs").is_none(), "no outputs in lists");
    assert_eq!(live.alice_get("/runs?graph_id=graph-failing").await.json["total_count"], 1);
    assert_eq!(live.alice_get("/runs?graph_id=lib-failing").await.json["total_count"], 0, "graph id, not agent id");
    assert_eq!(live.alice_get("/runs?statuses=COMPLETED").await.json["total_count"], 2);
    assert_eq!(live.alice_get("/runs?statuses=COMPLETED&statuses=FAILED").await.json["total_count"], 3);
    let bad = live.alice_get("/runs?statuses=DONE").await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json["error"]["details"]["errors"][0]["loc"], json!(["query", "statuses", 0]));
    assert_eq!(live.alice_get("/runs?started_after=2999-01-01T00:00:00Z").await.json["total_count"], 0);
    assert_eq!(live.alice_get("/runs?started_before=2000-01-01T00:00:00Z").await.json["total_count"], 0);
    assert_eq!(live.alice_get("/runs?started_after=2000-01-01T00:00:00Z").await.json["total_count"], 3);
    assert_eq!(live.alice_get("/runs?started_after=yesterday").await.status, 422);
    let page = live.alice_get("/runs?limit=2").await;
    let cursor = page.json["next_cursor"].as_str().unwrap().to_owned();
    let next = live.alice_get(&format!("/runs?limit=2&cursor={cursor}")).await;
    assert_eq!(next.json["items"][0]["id"].as_str(), Some(ids[0].as_str()));
    assert_eq!(next.json["next_cursor"], Value::Null);
    let reviews_cursor = sandbox::live::v2::paging::encode(sandbox::live::v2::paging::Kind::Reviews, 0);
    assert_eq!(live.alice_get(&format!("/runs?cursor={reviews_cursor}")).await.status, 400);
    let bob = live.v2(Method::GET, "/runs", Auth::Key(BOB_KEY), None).await;
    assert_eq!(bob.json["total_count"], 0);
    assert_eq!(live.v2(Method::GET, &format!("/runs/{}", ids[0]), Auth::Key(BOB_KEY), None).await.status, 404);
    // delete
    let d = live.v2(Method::DELETE, &format!("/runs/{}", ids[0]), Auth::Key(ALICE_KEY), None).await;
    assert_eq!((d.status.as_u16(), d.text.as_str()), (204, ""));
    assert_eq!(live.alice_get(&format!("/runs/{}", ids[0])).await.status, 404);
    assert_eq!(live.v2(Method::DELETE, &format!("/runs/{}", ids[0]), Auth::Key(ALICE_KEY), None).await.status, 404);
}

#[tokio::test]
async fn open_question_switches_incomplete_start_and_timestamps_without_fraction() {
    let live = spawn_live().await;
    live.switch(json!({"run_start_incomplete": true, "timestamps_without_fraction": true})).await;
    let run = live.start("lib-echo", json!({"inputs": {"message": "m"}})).await;
    assert_eq!(run["status"], "INCOMPLETE");
    let done = live.finished(run["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "COMPLETED");
    let started = done["started_at"].as_str().unwrap();
    assert!(started.len() == 20 && started.ends_with('Z') && !started.contains('.'), "{started}");
    let agent = live.alice_get("/library/agents/lib-echo").await;
    assert_eq!(agent.json["created_at"], "2026-01-05T09:00:00Z");
    let t = live.alice_tokens("IDENTITY").await;
    assert_eq!(t.body["access_token_expires_at"].as_str().unwrap().len(), 20);
}
