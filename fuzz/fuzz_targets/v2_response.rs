//! External API v2 answers: `parse_response` into every model the clients read (runs with
//! their details, library agents with their schemas, `/me`, reviews, credential
//! requirements), `parse_credentials_response` (both list shapes), and the error envelope
//! `{"error":{code,message,details}}` of every non-2xx; and the guide's v1 execution answer
//! (`client::execution_from_response`). Input: `STATUS\nheaders\n\nbody`, each body also read
//! as the other kind of answer (a 2xx's as a 422, an error's as a 200).
//!
//! Asserts: never panics; a 2xx is the value or a `Parse` error, anything else `Api` or
//! `Unexpected` with its status and a code; every answer keeps the response's rate-limit
//! headers; validation details never keep an echoed `input`/`ctx`; parse errors show no
//! token or secret value from the body; a run's `Debug` shows its input names but never their
//! values nor its share token; statuses round-trip; block errors come from failed blocks only.
#![no_main]

use autogpt::client::{ApiError, execution_from_response};
use autogpt::live::api::{
    ApiResponse, CredentialRequirement, LibraryAgent, Me, Page, RateLimit, ResponseError, Review, ReviewsSubmitted,
    Run, RunStatus, parse_credentials_response, parse_response,
};
use autogpt::types::ExecutionStatus;
use autogpt_fuzz::{assert_hidden, http_response, secret_values, with_status};
use http::Response;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn check<T: DeserializeOwned>(res: &Response<Vec<u8>>, secrets: &[String]) -> Option<T> {
    check_result(res, parse_response::<T>(res), secrets)
}

fn check_result<T>(
    res: &Response<Vec<u8>>,
    parsed: Result<ApiResponse<T>, ResponseError>,
    secrets: &[String],
) -> Option<T> {
    let status = res.status();
    let rate_limit = RateLimit::from_headers(res.headers());
    match parsed {
        Ok(ok) => {
            assert!(status.is_success());
            assert_eq!((ok.status, ok.rate_limit), (status, rate_limit));
            Some(ok.value)
        }
        Err(e) => {
            assert_eq!(e.status(), status);
            assert_eq!(e.rate_limit(), &rate_limit);
            match &e {
                ResponseError::Parse { .. } => {
                    assert!(status.is_success());
                    assert!(e.code().is_none());
                    assert_hidden("v2 parse error", &format!("{e} {e:?}"), secrets);
                }
                ResponseError::Api { body, .. } => {
                    assert!(!status.is_success());
                    let errors = body.details.as_ref().and_then(|d| d.get("errors")).and_then(Value::as_array);
                    for entry in errors.into_iter().flatten().filter_map(Value::as_object) {
                        assert!(!entry.contains_key("input") && !entry.contains_key("ctx"), "echo kept: {entry:?}");
                    }
                    assert_eq!(e.validation_issues(), body.issues.as_slice());
                }
                ResponseError::Unexpected { detail, .. } => {
                    assert!(!status.is_success());
                    assert_eq!(detail, &autogpt::error::api_error_detail(res.body()));
                    assert!(e.validation_issues().is_empty());
                }
            }
            if !status.is_success() {
                assert!(e.code().is_some());
            }
            None
        }
    }
}

/// Strings of `run` that its `Debug` must not show: input values and the share token,
/// unless another field shows the same text anyway.
fn check_run(run: &Run, body_secrets: &[String]) {
    let shown = format!("{run:?}");
    let mut bare = run.clone();
    bare.inputs = None;
    bare.share_token = None;
    for n in bare.node_executions.iter_mut().flatten() {
        n.inputs.clear();
    }
    let visible = format!("{bare:?}");
    let mut hidden: Vec<String> = Vec::new();
    let mut collect = |m: &serde_json::Map<String, Value>| {
        hidden.extend(m.values().filter_map(Value::as_str).map(str::to_owned).filter(|v| body_secrets.contains(v)));
    };
    if let Some(inputs) = &run.inputs {
        collect(inputs);
    }
    for n in run.node_executions.iter().flatten() {
        collect(&n.inputs);
    }
    hidden.extend(run.share_token.as_ref().map(|t| t.secret().to_owned()).filter(|t| t.len() >= 8));
    hidden.retain(|s| !visible.contains(s.as_str()) && !"ShareToken([redacted])".contains(s.as_str()));
    assert_hidden("Run Debug", &shown, &hidden);

    assert_eq!(RunStatus::parse(run.status.as_str()), run.status);
    assert_eq!(run.is_final(), run.status.is_final());
    let failed = run.node_executions.iter().flatten().filter(|n| n.status == RunStatus::Failed).count();
    let errors = run.block_errors();
    assert!(failed > 0 || errors.is_empty());
    if run.succeeded_with(&[]) {
        assert!(run.status == RunStatus::Completed && errors.is_empty());
    }
    for name in run.outputs.iter().flat_map(|o| o.keys()) {
        assert_eq!(run.last_output(name), run.output(name).and_then(<[Value]>::last));
    }
}

fn check_agent(agent: &LibraryAgent) {
    let fields = agent.input_fields();
    let order = agent.input_schema.property_order();
    assert!(fields.iter().all(|f| order.contains(&f.name)));
    let _ = agent.output_names();
}

fuzz_target!(|data: &[u8]| {
    let Some(res) = http_response(data) else { return };
    let secrets = secret_values(res.body());
    check_all(&res, &secrets);
    // Each body is also read as the other kind of answer: a success's body as a 422, an
    // error's as a 200.
    check_all(&with_status(&res, if res.status().is_success() { 422 } else { 200 }), &secrets);
});

fn check_all(res: &Response<Vec<u8>>, secrets: &[String]) {
    // The guide's v1 execution answer (`GET /executions/{id}`), the same kind of input.
    let success = res.status().is_success();
    match execution_from_response(res) {
        Ok(exec) => {
            assert!(success);
            assert_eq!(ExecutionStatus::parse(exec.status.as_str()), exec.status);
        }
        Err(ApiError::Parse(e)) => {
            assert!(success);
            assert_hidden("v1 parse error", &format!("{e} {e:?}"), secrets);
        }
        Err(ApiError::RateLimited { .. }) => assert_eq!(res.status(), 429),
        Err(_) => assert!(!success),
    }
    if let Some(run) = check::<Run>(res, secrets) {
        check_run(&run, secrets);
    }
    if let Some(page) = check::<Page<Run>>(res, secrets) {
        page.items.iter().for_each(|r| check_run(r, secrets));
        assert_eq!(page.is_last(), page.next_cursor.is_none());
    }
    if let Some(agent) = check::<LibraryAgent>(res, secrets) {
        check_agent(&agent);
    }
    if let Some(page) = check::<Page<LibraryAgent>>(res, secrets) {
        page.items.iter().for_each(check_agent);
    }
    let _ = check::<Me>(res, secrets);
    let _ = check::<Page<Review>>(res, secrets);
    let _ = check::<ReviewsSubmitted>(res, secrets);
    if let Some(page) = check::<Page<CredentialRequirement>>(res, secrets) {
        for req in &page.items {
            assert!(req.usable_credentials().all(|c| req.matching_credentials.contains(c)));
        }
    }
    if let Some(page) = check_result(res, parse_credentials_response(res), secrets)
        && page.next_cursor.is_none()
        && let Some(total) = page.total_count
    {
        // The older `{"credentials": [...]}` shape is one last page counting its items.
        // (serde_json skips the strings of unknown fields without checking their UTF-8, so the
        // body need not read as a `Value`.)
        let v = serde_json::from_slice::<Value>(res.body()).ok();
        if v.is_some_and(|v| v.get("items").is_none()) {
            assert_eq!(total, page.items.len() as u64);
        }
    }
}
