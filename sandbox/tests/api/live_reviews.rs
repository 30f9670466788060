//! Human-in-the-loop reviews: the `review` agent pauses in `REVIEW` with two waiting reviews
//! (one editable); approving (with an edit) completes it with the edited email sent, rejecting
//! completes it without sending; every error case of `POST /runs/{id}/reviews`.

use reqwest::Method;
use sandbox::live::model::RunStatus;
use serde_json::{Value, json};

use crate::live_support::*;

/// Start a `lib-review` run and wait for its reviews: (run id, email review id, recipient review id).
async fn in_review(live: &Live) -> (String, String, String) {
    let run = live.start("lib-review", json!({"inputs": {"draft": "Hello team", "subject": "Status"}})).await;
    let id = run["id"].as_str().unwrap().to_owned();
    let paused = live.wait_for(&id, |s| s == RunStatus::Review).await;
    assert_eq!(paused["status"], "REVIEW");
    let reviews = live.alice_get(&format!("/runs/reviews?run_id={id}")).await;
    let items = reviews.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let by = |editable: bool| {
        items.iter().find(|r| r["editable"] == editable).unwrap()["node_exec_id"].as_str().unwrap().to_owned()
    };
    (id, by(true), by(false))
}

async fn answer(live: &Live, run_id: &str, reviews: Value) -> Answer {
    live.v2(Method::POST, &format!("/runs/{run_id}/reviews"), Auth::Key(ALICE_KEY), Some(json!({"reviews": reviews})))
        .await
}

#[tokio::test]
async fn approved_with_an_edit_the_run_completes_with_the_edited_email() {
    let live = spawn_live().await;
    let (run_id, email, recipient) = in_review(&live).await;
    let listed = live.alice_get("/runs/reviews?status=WAITING").await;
    let review =
        listed.json["items"].as_array().unwrap().iter().find(|r| r["node_exec_id"] == email.as_str()).unwrap().clone();
    let requested_at = review["requested_at"].as_str().unwrap().to_owned();
    assert_json(
        &review,
        &json!({
            "node_exec_id": email, "run_id": run_id, "graph_id": "graph-review", "graph_version": 1,
            "payload": {"subject": "Status", "body": "Hello team"},
            "instructions": "Check the email before it is sent; you may edit the subject and body.",
            "editable": true, "status": "WAITING", "requested_at": requested_at, "reviewed_at": null,
            "processed": false, "reviewer_comment": null
        })
        .to_string(),
    );
    let details = live.alice_get(&format!("/runs/{run_id}")).await.json;
    let waiting: Vec<&Value> =
        details["node_executions"].as_array().unwrap().iter().filter(|n| n["status"] == "REVIEW").collect();
    assert_eq!(waiting.len(), 2);
    let a = answer(
        &live,
        &run_id,
        json!([
            {"node_exec_id": email, "approved": true, "edited_payload": {"subject": "Status (edited)", "body": "Hello team!"}, "message": "ok"},
            // not editable: an edited payload is ignored
            {"node_exec_id": recipient, "approved": true, "edited_payload": {"to": "everyone@example.com"}}
        ]),
    )
    .await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_json(&a.json, &json!({"run_id": run_id, "approved_count": 2, "rejected_count": 0}).to_string());
    let done = live.finished(&run_id).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_json(
        &done["outputs"],
        r#"{"sent":[{"to":"team@example.com","subject":"Status (edited)","body":"Hello team!"}],"status":["sent"]}"#,
    );
    let nodes = done["node_executions"].as_array().unwrap();
    let email_node = nodes.iter().find(|n| n["node_id"] == "review-email").unwrap();
    assert_eq!(email_node["status"], "COMPLETED");
    assert_eq!(email_node["outputs"]["approved_data"], json!([{"subject": "Status (edited)", "body": "Hello team!"}]));
    let after = live.alice_get(&format!("/runs/reviews?run_id={run_id}&status=APPROVED")).await;
    assert_eq!(after.json["total_count"], 2);
    let answered =
        after.json["items"].as_array().unwrap().iter().find(|r| r["node_exec_id"] == email.as_str()).unwrap().clone();
    assert_eq!((answered["processed"].clone(), answered["reviewer_comment"].clone()), (json!(true), json!("ok")));
    assert!(answered["reviewed_at"].is_string());
    // the run is no longer in review
    let again = answer(&live, &run_id, json!([{"node_exec_id": email, "approved": true}])).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.json["error"]["message"], "Cannot process reviews while execution status is COMPLETED");
}

#[tokio::test]
async fn rejected_the_run_completes_without_sending() {
    let live = spawn_live().await;
    let (run_id, email, recipient) = in_review(&live).await;
    let a = answer(
        &live,
        &run_id,
        json!([{"node_exec_id": email, "approved": false, "message": "Not today"}, {"node_exec_id": recipient, "approved": true}]),
    )
    .await;
    assert_json(&a.json, &json!({"run_id": run_id, "approved_count": 1, "rejected_count": 1}).to_string());
    let done = live.finished(&run_id).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["outputs"], json!({"status": ["rejected"]}), "no `sent` output");
    let email_node =
        done["node_executions"].as_array().unwrap().iter().find(|n| n["node_id"] == "review-email").unwrap().clone();
    assert_eq!(email_node["outputs"]["rejected_data"], json!([{"subject": "Status", "body": "Hello team"}]));
    let rejected = live.alice_get("/runs/reviews?status=REJECTED").await;
    assert_eq!(rejected.json["items"][0]["reviewer_comment"], "Not today");
}

#[tokio::test]
async fn review_request_errors() {
    let live = spawn_live().await;
    let (run_id, email, recipient) = in_review(&live).await;
    let msg = |a: &Answer| (a.status.as_u16(), a.json["error"]["message"].as_str().unwrap_or_default().to_owned());
    assert_eq!(msg(&answer(&live, &run_id, json!([])).await), (400, "At least one review must be provided".into()));
    assert_eq!(
        msg(&answer(&live, &run_id, json!([{"node_exec_id": "nope", "approved": true}])).await),
        (404, "Review(s) not found: nope".into())
    );
    assert_eq!(
        msg(&answer(&live, "no-such-run", json!([{"node_exec_id": email, "approved": true}])).await),
        (404, "Run #no-such-run not found".into())
    );
    // Q9: leaving a waiting review out is a 400 naming it, and changes nothing
    let a = answer(&live, &run_id, json!([{"node_exec_id": email, "approved": true}])).await;
    assert_json(
        &a.json,
        &json!({"error": {"code": "bad_request", "details": null,
            "message": format!("All waiting reviews of the run must be answered in one request. Missing: {recipient}")}})
        .to_string(),
    );
    assert_eq!(live.alice_get(&format!("/runs/reviews?run_id={run_id}&status=WAITING")).await.json["total_count"], 2);
    // ids of another run
    let (other_run, other_email, _) = in_review(&live).await;
    assert_eq!(
        msg(&answer(
            &live,
            &run_id,
            json!([{"node_exec_id": other_email, "approved": true}, {"node_exec_id": recipient, "approved": true}])
        )
        .await),
        (404, format!("Review(s) not found for run {run_id}"))
    );
    // validation
    let a = answer(&live, &run_id, json!([{"approved": "yes"}])).await;
    assert_eq!(a.status, 422);
    let types: Vec<&str> =
        a.json["error"]["details"]["errors"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["missing", "bool_type"]);
    let long = "x".repeat(2001);
    let a = answer(&live, &run_id, json!([{"node_exec_id": email, "approved": true, "message": long}])).await;
    assert_eq!(a.json["error"]["details"]["errors"][0]["type"], "string_too_long");
    let a = live.v2(Method::POST, &format!("/runs/{run_id}/reviews"), Auth::Key(ALICE_KEY), Some(json!({}))).await;
    assert_eq!(a.json["error"]["details"]["errors"][0]["loc"], json!(["body", "reviews"]));
    // another user's run is absent
    let bob = live
        .v2(
            Method::POST,
            &format!("/runs/{run_id}/reviews"),
            Auth::Key(BOB_KEY),
            Some(json!({"reviews": [{"node_exec_id": email, "approved": true}]})),
        )
        .await;
    assert_eq!(bob.status, 404);
    // a run stopped while in review
    let stop = live.v2(Method::POST, &format!("/runs/{other_run}/stop"), Auth::Key(ALICE_KEY), None).await;
    assert_eq!(stop.json["status"], "TERMINATED");
    let a = answer(&live, &other_run, json!([{"node_exec_id": other_email, "approved": true}])).await;
    assert_eq!(msg(&a), (409, "Cannot process reviews while execution status is TERMINATED".into()));
}

#[tokio::test]
async fn partial_answers_with_the_q9_switch() {
    let live = spawn_live().await;
    live.switch(json!({"reviews_allow_partial": true})).await;
    let (run_id, email, recipient) = in_review(&live).await;
    let a = answer(&live, &run_id, json!([{"node_exec_id": email, "approved": true}])).await;
    assert_eq!(a.status, 202);
    assert_eq!(live.alice_get(&format!("/runs/{run_id}")).await.json["status"], "REVIEW", "still waiting for one");
    let twice = answer(&live, &run_id, json!([{"node_exec_id": email, "approved": true}])).await;
    assert_eq!(
        (twice.status.as_u16(), twice.json["error"]["message"].as_str()),
        (409, Some(format!("Review(s) already processed: {email}").as_str()))
    );
    let a = answer(&live, &run_id, json!([{"node_exec_id": recipient, "approved": true}])).await;
    assert_eq!(a.status, 202);
    assert_eq!(live.finished(&run_id).await["outputs"]["status"], json!(["sent"]));
}

#[tokio::test]
async fn reviews_need_their_scopes() {
    let live = spawn_live().await;
    let t = live.alice_tokens("READ_RUN READ_RUN_REVIEW").await;
    let (run_id, email, _) = in_review(&live).await;
    let list = live.v2(Method::GET, "/runs/reviews", Auth::Bearer(&t.access), None).await;
    assert_eq!(list.json["total_count"], 2);
    let post = live
        .v2(
            Method::POST,
            &format!("/runs/{run_id}/reviews"),
            Auth::Bearer(&t.access),
            Some(json!({"reviews": [{"node_exec_id": email, "approved": true}]})),
        )
        .await;
    assert_eq!(post.json["error"]["message"], "Missing required permission(s): WRITE_RUN_REVIEW");
    let bad = live.alice_get("/runs/reviews?status=DONE").await;
    assert_eq!(bad.status, 422);
}
