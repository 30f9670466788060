//! The execution engine: queued → running → completed/failed on tokio time scaled by the clock
//! factor; what each demo agent produces; cancellation.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::state::model::{Execution, Status};
use crate::state::{AppState, now_iso};
use crate::webhooks;

/// Time an execution stays queued.
const QUEUED_FOR: Duration = Duration::from_millis(500);

/// Nominal run time of each agent.
fn run_time(agent_id: &str) -> Duration {
    match agent_id {
        "slow-agent" => Duration::from_secs(20),
        "gmail-agent" => Duration::from_secs(2),
        _ => Duration::from_secs(1),
    }
}

/// What the agent ends with: `Ok(outputs)` or `Err(error message)`.
pub fn outcome(agent_id: &str, inputs: &Value) -> Result<Value, String> {
    match agent_id {
        "failing-agent" => Err("Demo failure: failing-agent always fails".into()),
        "slow-agent" => Ok(json!({"result": ["slow-agent finished after 20 steps"]})),
        "gmail-agent" => Ok(json!({
            "invoices": [
                {"id": "INV-1001", "from": "billing@acme.example", "subject": "Invoice November",
                 "amount": 120.5, "currency": "USD", "date": "2026-11-01"},
                {"id": "INV-1002", "from": "accounts@globex.example", "subject": "Your invoice",
                 "amount": 89.99, "currency": "EUR", "date": "2026-11-15"}
            ],
            "summary": ["Found 2 invoices in Gmail"]
        })),
        // echo-agent: every input mirrored as `{name: [value]}`, plus a summary line.
        _ => {
            let mut out = Map::new();
            let names: Vec<String> = match inputs.as_object() {
                Some(obj) => {
                    for (k, v) in obj {
                        out.insert(k.clone(), json!([v]));
                    }
                    obj.keys().cloned().collect()
                }
                None => Vec::new(),
            };
            out.insert("summary".into(), json!([format!("Echoed {} input(s): {}", names.len(), names.join(", "))]));
            Ok(Value::Object(out))
        }
    }
}

/// Start running a queued execution in the background.
pub fn start(state: &AppState, execution_id: String) {
    tokio::spawn(run(state.clone(), execution_id));
}

async fn run(state: AppState, id: String) {
    tokio::time::sleep(state.scaled(QUEUED_FOR)).await;
    let Some(exec) = transition(&state, &id, Status::Queued, |e| {
        e.status = Status::Running;
        e.started_at = Some(now_iso());
    }) else {
        return; // cancelled or reset meanwhile
    };
    webhooks::emit_execution(&state, &exec, "execution.started");
    tokio::time::sleep(state.scaled(run_time(&exec.agent_id))).await;
    let result = outcome(&exec.agent_id, &exec.inputs);
    let Some(exec) = transition(&state, &id, Status::Running, |e| {
        e.completed_at = Some(now_iso());
        match result {
            Ok(outputs) => {
                e.status = Status::Completed;
                e.outputs = Some(outputs);
            }
            Err(msg) => {
                e.status = Status::Failed;
                e.error = Some(msg);
            }
        }
    }) else {
        return;
    };
    let event = if exec.status == Status::Completed { "execution.completed" } else { "execution.failed" };
    webhooks::emit_execution(&state, &exec, event);
}

/// Apply `f` if the execution is still in `from`; returns the updated record.
fn transition(state: &AppState, id: &str, from: Status, f: impl FnOnce(&mut Execution)) -> Option<Execution> {
    let mut db = state.db();
    let e = db.executions.iter_mut().find(|e| e.id == id && e.status == from)?;
    f(e);
    Some(e.clone())
}

/// Cancel a queued or running execution: it ends `failed` with error `cancelled`.
pub fn cancel(state: &AppState, id: &str) -> Option<Execution> {
    let exec = {
        let mut db = state.db();
        let e =
            db.executions.iter_mut().find(|e| e.id == id && matches!(e.status, Status::Queued | Status::Running))?;
        e.status = Status::Failed;
        e.cancelled = true;
        e.error = Some("cancelled".into());
        e.completed_at = Some(now_iso());
        e.clone()
    };
    webhooks::emit_execution(state, &exec, "execution.failed");
    Some(exec)
}

/// After loading a snapshot nothing is running: unfinished executions fail.
pub fn resume_after_load(state: &AppState) {
    let mut db = state.db();
    for e in db.executions.iter_mut().filter(|e| matches!(e.status, Status::Queued | Status::Running)) {
        e.status = Status::Failed;
        e.error = Some("interrupted by a sandbox restart".into());
        e.completed_at = Some(now_iso());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_mirrors_inputs() {
        let out = outcome("echo-agent", &json!({"message": "hi"})).unwrap();
        assert_eq!(out["message"], json!(["hi"]));
        assert_eq!(out["summary"], json!(["Echoed 1 input(s): message"]));
    }
}
