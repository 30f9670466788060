//! What each seeded agent does: its blocks (steps) with their nominal durations, costs and
//! outputs, derived from the run's inputs. The engine plays the steps on the scaled clock.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::catalog::GMAIL_SCOPE;
use crate::live::model::{Review, ReviewStatus, Run};
use crate::state::model::Credential;

/// What a block ends with.
#[derive(Debug, Clone)]
pub enum Action {
    /// Completes: `pins` become the node's outputs (pin → one value), `outputs` are appended to
    /// the run's outputs (name → value).
    Complete { pins: Vec<(String, Value)>, outputs: Vec<(String, Value)> },
    /// The block fails with `outputs.error = [message]`; the run fails too when `fatal`.
    Fail { message: String, fatal: bool },
    /// Reads Gmail: decided when the block runs, from the credential it is given then.
    Gmail,
    /// Human-in-the-loop blocks: the run pauses in `REVIEW` with one review per spec.
    Review(Vec<ReviewSpec>),
}

#[derive(Debug, Clone)]
pub struct ReviewSpec {
    pub node_id: String,
    pub payload: Value,
    pub instructions: String,
    pub editable: bool,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub node_id: String,
    pub nominal: Duration,
    pub inputs: Value,
    pub cost_cents: i64,
    pub action: Action,
}

fn step(node_id: &str, secs: f64, inputs: Value, action: Action) -> Step {
    Step { node_id: node_id.into(), nominal: Duration::from_secs_f64(secs), inputs, cost_cents: 1, action }
}

fn complete(pins: Vec<(&str, Value)>, outputs: Vec<(&str, Value)>) -> Action {
    Action::Complete {
        pins: pins.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        outputs: outputs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

fn str_input<'a>(inputs: &'a Map<String, Value>, name: &str, default: &'a str) -> &'a str {
    inputs.get(name).and_then(Value::as_str).unwrap_or(default)
}

/// Secret inputs (`secret: true`) are echoed as `***` when set.
fn masked(agent_id: &str, inputs: &Map<String, Value>) -> Value {
    let mut out = inputs.clone();
    if let Some(agent) = super::find(agent_id) {
        for (name, value) in out.iter_mut() {
            let secret = agent.input(name).is_some_and(|p| p["secret"] == true);
            if secret && value.as_str().is_some_and(|s| !s.is_empty()) {
                *value = json!("***");
            }
        }
    }
    Value::Object(out)
}

/// The steps a run starts with.
pub fn plan(run: &Run) -> Vec<Step> {
    let inputs = &run.inputs;
    match run.agent_id.as_str() {
        "lib-echo" => {
            let message = str_input(inputs, "message", "");
            let repeat = inputs.get("repeat").and_then(Value::as_u64).unwrap_or(1).clamp(1, 10) as usize;
            let mut result = vec![message; repeat].join(" ");
            if inputs.get("shout").and_then(Value::as_bool) == Some(true) {
                result = result.to_uppercase();
            }
            let names: Vec<&str> = inputs.keys().map(String::as_str).collect();
            let summary = format!("Echoed {} input(s): {}", names.len(), names.join(", "));
            let received = masked(&run.agent_id, inputs);
            vec![
                step("echo-input", 0.5, received.clone(), complete(vec![("inputs", received.clone())], vec![])),
                step(
                    "echo-format",
                    1.0,
                    json!({"message": message, "repeat": repeat}),
                    complete(vec![("result", json!(result))], vec![("result", json!(result))]),
                ),
                step(
                    "echo-output",
                    0.5,
                    json!({"summary": summary}),
                    complete(
                        vec![("summary", json!(summary))],
                        vec![("inputs", received), ("summary", json!(summary))],
                    ),
                ),
            ]
        }
        "lib-review" => {
            let email = json!({
                "to": str_input(inputs, "recipient", "team@example.com"),
                "subject": str_input(inputs, "subject", "Weekly update"),
                "body": str_input(inputs, "draft", ""),
            });
            vec![
                step(
                    "review-compose",
                    1.0,
                    Value::Object(inputs.clone()),
                    complete(vec![("email", email.clone())], vec![]),
                ),
                step(
                    "review-wait",
                    0.0,
                    email.clone(),
                    Action::Review(vec![
                        ReviewSpec {
                            node_id: "review-email".into(),
                            payload: json!({"subject": email["subject"], "body": email["body"]}),
                            instructions: "Check the email before it is sent; you may edit the subject and body."
                                .into(),
                            editable: true,
                        },
                        ReviewSpec {
                            node_id: "review-recipient".into(),
                            payload: json!({"to": email["to"]}),
                            instructions: "Confirm that this recipient may receive the email.".into(),
                            editable: false,
                        },
                    ]),
                ),
            ]
        }
        "lib-partial" => {
            let separator = str_input(inputs, "separator", ", ");
            let items: Vec<String> = inputs
                .get("items")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect())
                .unwrap_or_default();
            let joined = items.join(separator);
            vec![
                step(
                    "partial-join",
                    1.0,
                    json!({"items": items, "separator": separator}),
                    complete(vec![("joined", json!(joined))], vec![("joined", json!(joined))]),
                ),
                step(
                    "partial-enrich",
                    1.0,
                    json!({"joined": joined}),
                    Action::Fail { message: "Enrichment service unavailable (demo failure)".into(), fatal: false },
                ),
            ]
        }
        "lib-failing" => {
            let reason = str_input(inputs, "reason", "Demo failure requested").to_owned();
            vec![
                step("failing-prepare", 0.5, json!({"reason": reason}), complete(vec![("ready", json!(true))], vec![])),
                step("failing-block", 1.0, json!({"reason": reason}), Action::Fail { message: reason, fatal: true }),
            ]
        }
        "lib-slow" => {
            let steps = inputs.get("steps").and_then(Value::as_u64).filter(|n| (1..=60).contains(n)).unwrap_or(20);
            (1..=steps)
                .map(|i| {
                    let outputs = if i == steps {
                        vec![("result", json!(format!("Finished after {steps} steps")))]
                    } else {
                        vec![]
                    };
                    step(
                        &format!("slow-step-{i}"),
                        1.0,
                        json!({"step": i}),
                        complete(vec![("count", json!(i))], outputs),
                    )
                })
                .collect()
        }
        "lib-gmail" => {
            let mut s = step("gmail-read", 2.0, Value::Object(inputs.clone()), Action::Gmail);
            s.cost_cents = 5;
            vec![s]
        }
        _ => Vec::new(),
    }
}

/// The steps after every review of a `lib-review` run was answered: the email is sent (with
/// the edited payload) only when both reviews were approved.
pub fn after_review(reviews: &[Review]) -> Vec<Step> {
    let approved = |node: &str| {
        reviews
            .iter()
            .find(|r| r.node_id == node && r.status == ReviewStatus::Approved)
            .and_then(|r| r.approved_payload.clone().or_else(|| Some(r.payload.clone())))
    };
    match (approved("review-email"), approved("review-recipient")) {
        (Some(email), Some(recipient)) => {
            let sent = json!({
                "to": recipient.get("to").cloned().unwrap_or(Value::Null),
                "subject": email.get("subject").cloned().unwrap_or(Value::Null),
                "body": email.get("body").cloned().unwrap_or(Value::Null),
            });
            vec![step(
                "review-send",
                1.0,
                sent.clone(),
                complete(vec![("sent", sent.clone())], vec![("sent", sent), ("status", json!("sent"))]),
            )]
        }
        _ => {
            vec![step(
                "review-notify",
                0.5,
                json!({"approved": false}),
                complete(vec![("status", json!("rejected"))], vec![("status", json!("rejected"))]),
            )]
        }
    }
}

/// The Gmail block's result with the credential named in `credentials_inputs.credentials`.
pub fn gmail(run: &Run, credentials: &[Credential]) -> Action {
    let wanted = run.credentials_inputs.get("credentials").and_then(|c| c.get("id")).and_then(Value::as_str);
    let credential = wanted.and_then(|id| {
        credentials.iter().find(|c| c.id == id && c.user_id == run.user_id && c.provider.eq_ignore_ascii_case("google"))
    });
    let Some(credential) = credential else {
        return Action::Fail {
            message: "Missing credentials: the 'credentials' field needs one of your Google credentials".into(),
            fatal: true,
        };
    };
    if !credential.scopes.iter().any(|s| s == GMAIL_SCOPE) {
        return Action::Fail {
            message: format!("Google credential {} lacks the scope {GMAIL_SCOPE}", credential.id),
            fatal: true,
        };
    }
    let query = str_input(&run.inputs, "query", "is:unread invoice");
    let invoices = json!([
        {"id": "INV-1001", "from": "billing@acme.example", "subject": "Invoice November", "amount_cents": 12050,
         "currency": "USD", "date": "2026-11-01"},
        {"id": "INV-1002", "from": "accounts@globex.example", "subject": "Your invoice", "amount_cents": 8999,
         "currency": "EUR", "date": "2026-11-15"}
    ]);
    let summary = format!("Found 2 invoices in {} matching '{query}'", credential.label);
    complete(vec![("invoices", invoices.clone())], vec![("invoices", invoices), ("summary", json!(summary))])
}
