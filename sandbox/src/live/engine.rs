//! The live run engine: `INCOMPLETE` → `QUEUED` → `RUNNING` → blocks one after another on the
//! scaled clock → `COMPLETED`/`FAILED`, pausing in `REVIEW` for human-in-the-loop blocks and
//! resuming once every review is answered. Stopping wins over any step still to come: every
//! transition applies only if the run is still in the state the step expects.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::live::agents::behaviour::{self, Action, ReviewSpec, Step};
use crate::live::model::{NodeExecution, Review, ReviewStatus, Run, RunStatus};
use crate::state::{AppState, Db, now_ms, random_uuid};

/// Nominal time a run waits for an executor.
const QUEUED_FOR: Duration = Duration::from_millis(500);

/// Start a freshly created run in the background.
pub fn start(state: &AppState, run_id: String) {
    tokio::spawn(drive(state.clone(), run_id));
}

/// Continue a run whose reviews were all answered (it is `RUNNING` again).
pub fn resume(state: &AppState, run_id: String) {
    let state = state.clone();
    tokio::spawn(async move {
        let steps = {
            let db = state.db();
            let reviews: Vec<Review> = db.live.reviews.iter().filter(|r| r.run_id == run_id).cloned().collect();
            behaviour::after_review(&reviews)
        };
        play(&state, &run_id, steps).await;
    });
}

/// Apply `f` to the run (and the rest of the database); `None` when the run is gone.
fn with_run<R>(state: &AppState, id: &str, f: impl FnOnce(&mut Run, &mut Db) -> R) -> Option<R> {
    let mut guard = state.db();
    let db = &mut *guard;
    let idx = db.live.runs.iter().position(|r| r.id == id)?;
    let mut run = db.live.runs[idx].clone();
    let out = f(&mut run, db);
    db.live.runs[idx] = run;
    Some(out)
}

async fn drive(state: AppState, id: String) {
    tokio::time::sleep(state.scaled(QUEUED_FOR / 2)).await;
    let queued = with_run(&state, &id, |run, _| {
        if run.status == RunStatus::Incomplete {
            run.status = RunStatus::Queued;
        }
        run.status == RunStatus::Queued
    });
    if queued != Some(true) {
        return;
    }
    tokio::time::sleep(state.scaled(QUEUED_FOR)).await;
    let started = with_run(&state, &id, |run, _| {
        if run.status != RunStatus::Queued {
            return None;
        }
        run.status = RunStatus::Running;
        run.started_at_ms = Some(now_ms());
        Some(behaviour::plan(run))
    });
    if let Some(Some(steps)) = started {
        play(&state, &id, steps).await;
    }
}

async fn play(state: &AppState, id: &str, steps: Vec<Step>) {
    for step in steps {
        if let Action::Review(specs) = &step.action {
            pause(state, id, specs);
            return;
        }
        let exec_id = random_uuid();
        let began = with_run(state, id, |run, _| {
            if run.status != RunStatus::Running {
                return false;
            }
            run.node_executions.push(NodeExecution {
                exec_id: exec_id.clone(),
                node_id: step.node_id.clone(),
                status: RunStatus::Running,
                inputs: step.inputs.clone(),
                outputs: Map::new(),
                started_at_ms: Some(now_ms()),
                ended_at_ms: None,
            });
            true
        });
        if began != Some(true) {
            return;
        }
        tokio::time::sleep(state.scaled(step.nominal)).await;
        let go_on = with_run(state, id, |run, db| {
            if run.status != RunStatus::Running {
                return false;
            }
            let action = match &step.action {
                Action::Gmail => behaviour::gmail(run, &db.credentials),
                other => other.clone(),
            };
            finish_node(run, &exec_id, step.cost_cents, action)
        });
        if go_on != Some(true) {
            return;
        }
    }
    with_run(state, id, |run, _| {
        if run.status == RunStatus::Running {
            end(run, RunStatus::Completed);
        }
    });
}

/// Record a block's result; `false` when the run ended with it.
fn finish_node(run: &mut Run, exec_id: &str, cost_cents: i64, action: Action) -> bool {
    let now = now_ms();
    run.node_exec_count += 1;
    run.cost_cents += cost_cents;
    let (status, pins, go_on) = match action {
        Action::Complete { pins, outputs } => {
            for (name, value) in outputs {
                push_output(&mut run.outputs, &name, value);
            }
            (RunStatus::Completed, pins, true)
        }
        Action::Fail { message, fatal } => (RunStatus::Failed, vec![("error".to_owned(), json!(message))], !fatal),
        Action::Gmail | Action::Review(_) => (RunStatus::Completed, Vec::new(), true),
    };
    if let Some(node) = run.node_executions.iter_mut().find(|n| n.exec_id == exec_id) {
        node.status = status;
        node.ended_at_ms = Some(now);
        for (pin, value) in pins {
            push_output(&mut node.outputs, &pin, value);
        }
    }
    if !go_on {
        end(run, RunStatus::Failed);
    }
    go_on
}

fn push_output(outputs: &mut Map<String, Value>, name: &str, value: Value) {
    match outputs.get_mut(name) {
        Some(Value::Array(list)) => list.push(value),
        _ => {
            outputs.insert(name.to_owned(), json!([value]));
        }
    }
}

fn end(run: &mut Run, status: RunStatus) {
    run.status = status;
    run.ended_at_ms = Some(now_ms());
}

/// Human-in-the-loop: one node execution and one waiting review per spec; the run waits.
fn pause(state: &AppState, id: &str, specs: &[ReviewSpec]) {
    with_run(state, id, |run, db| {
        if run.status != RunStatus::Running {
            return;
        }
        let now = now_ms();
        for spec in specs {
            let review_id = random_uuid();
            run.node_executions.push(NodeExecution {
                exec_id: review_id.clone(),
                node_id: spec.node_id.clone(),
                status: RunStatus::Review,
                inputs: json!({"data": spec.payload, "instructions": spec.instructions, "editable": spec.editable}),
                outputs: Map::new(),
                started_at_ms: Some(now),
                ended_at_ms: None,
            });
            db.live.reviews.push(Review {
                node_exec_id: review_id,
                run_id: run.id.clone(),
                user_id: run.user_id.clone(),
                graph_id: run.graph_id.clone(),
                graph_version: run.graph_version,
                node_id: spec.node_id.clone(),
                payload: spec.payload.clone(),
                instructions: Some(spec.instructions.clone()),
                editable: spec.editable,
                status: ReviewStatus::Waiting,
                requested_at_ms: now,
                reviewed_at_ms: None,
                processed: false,
                reviewer_comment: None,
                approved_payload: None,
            });
        }
        run.status = RunStatus::Review;
    });
}

/// Close the review blocks of a run whose reviews are all answered, mark the reviews processed
/// and set the run `RUNNING` (the caller then calls [`resume`]).
pub fn reviews_answered(run: &mut Run, reviews: &mut [Review]) {
    let now = now_ms();
    for review in reviews.iter_mut().filter(|r| r.run_id == run.id) {
        review.processed = true;
        if let Some(node) = run.node_executions.iter_mut().find(|n| n.exec_id == review.node_exec_id) {
            let (pin, data) = match review.status {
                ReviewStatus::Approved => {
                    ("approved_data", review.approved_payload.clone().unwrap_or_else(|| review.payload.clone()))
                }
                _ => ("rejected_data", review.payload.clone()),
            };
            if node.status == RunStatus::Review {
                node.status = RunStatus::Completed;
                node.ended_at_ms = Some(now);
                push_output(&mut node.outputs, pin, data);
                run.node_exec_count += 1;
            }
        }
    }
    run.status = RunStatus::Running;
}

/// Stop a run: `Ok` with the terminated run, or `Err(status)` when it had already finished.
pub fn stop(run: &mut Run) -> Result<(), RunStatus> {
    if run.status.is_final() {
        return Err(run.status);
    }
    let now = now_ms();
    for node in run.node_executions.iter_mut().filter(|n| !n.status.is_final()) {
        node.status = RunStatus::Terminated;
        node.ended_at_ms = Some(now);
    }
    end(run, RunStatus::Terminated);
    Ok(())
}

/// After loading a snapshot nothing executes: runs that were executing end `TERMINATED`; runs in
/// `REVIEW` keep waiting (they resume when answered).
pub fn resume_after_load(state: &AppState) {
    let mut db = state.db();
    for run in db.live.runs.iter_mut() {
        if matches!(run.status, RunStatus::Incomplete | RunStatus::Queued | RunStatus::Running) {
            let _ = stop(run);
        }
    }
}
