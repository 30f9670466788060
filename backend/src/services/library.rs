//! The live profile's agents and runs (L4–L6): the user's library, an agent's form from its
//! `input_schema` and its credential requirements, a run started once per user action, stop,
//! the reviews of a paused run, one run in full, and the history from `GET /runs` merged with
//! ours. The status of a running run is kept current by [`super::watcher`].
//!
//! Everything here asks the platform with the user's own credential (access token or API key),
//! so the platform scopes what each user can see; our `executions` table only adds what the
//! platform does not keep for us (which of our users started it, when, with which agent).

use autogpt::ids::{AgentId, CredentialId, ExecutionId, Provider};
use autogpt::live::api::{
    CredentialRequirement, CredentialsInput, IdempotencyKey, LibraryAgent, LibraryAgentId, LibraryAgentsQuery,
    PageLimit, PageRequest, Review, ReviewDecision, ReviewStatus, ReviewsQuery, Run, RunId, RunRequest, RunsQuery,
};
use autogpt::live::schema::{FieldKind, FieldProblem, InputField, check_form};
use autogpt::types::ExecutionStatus;
use serde_json::Value;

use super::platform::with_credential;
use super::watcher;
use crate::caller::{Caller, Mutate};
use crate::storage::{ExecutionRecord, NewExecution};
use crate::{ConnectionId, Context, ServiceError};

/// At most this many pages of 100 library agents are listed (10,000 agents).
const MAX_AGENT_PAGES: usize = 100;
/// How many runs the history shows.
const HISTORY_RUNS: u8 = 50;

/// One agent of the user's library.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentSummary {
    /// The library agent id (what a run is started with).
    pub id: LibraryAgentId,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
}

impl From<&LibraryAgent> for AgentSummary {
    fn from(a: &LibraryAgent) -> Self {
        Self { id: a.id.clone(), name: a.name.clone(), description: a.description.clone() }
    }
}

/// One credentials field of an agent, with the user's credentials that can fill it.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialField {
    /// Key in `credentials_inputs` (the form field is `credential.<field_name>`).
    pub field_name: String,
    /// The provider it needs.
    pub provider: Provider,
    /// The user's credentials of that provider with an accepted type and the needed scopes.
    pub usable: Vec<(CredentialId, String)>,
}

/// An agent's form: its inputs and credentials fields.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentForm {
    /// The agent.
    pub agent: AgentSummary,
    /// Its inputs in schema order.
    pub fields: Vec<InputField>,
    /// Its credentials fields, one per (field, provider).
    pub credentials: Vec<CredentialField>,
}

/// A filled form: what one click on Run sends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunStart {
    /// The library agent.
    pub agent: String,
    /// The user action this start belongs to (a token the form carried): every retry of the
    /// same action gets the same `Idempotency-Key`, so it never starts a second run.
    pub action: String,
    /// Input name → text, as the form sent them.
    pub values: Vec<(String, String)>,
    /// Credentials field → chosen credential id.
    pub credentials: Vec<(String, String)>,
}

/// One run in full, with what is waiting for the user.
#[derive(Clone, Debug)]
pub struct RunDetail {
    /// The platform's run (outputs, node executions, cost, duration).
    pub run: Run,
    /// Our record of it, when it was started here.
    pub ours: Option<ExecutionRecord>,
    /// Reviews of the run still waiting for an answer.
    pub reviews: Vec<Review>,
}

/// One row of the history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRun {
    /// Run id.
    pub id: String,
    /// The library agent we started it with (else the platform's graph id).
    pub agent: String,
    /// Lower-case status.
    pub status: ExecutionStatus,
    /// When it started (unix seconds).
    pub started_at: Option<i64>,
    /// How long it ran, in seconds (the platform's figure).
    pub duration_seconds: Option<f64>,
    /// What it cost, in cents.
    pub cost_cents: Option<i64>,
    /// The error or block errors we recorded.
    pub error: Option<String>,
}

/// One answer of the review form.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewAnswer {
    /// The review.
    pub review: String,
    /// Approve (else reject).
    pub approve: bool,
    /// Edited payload as JSON text (editable reviews only; empty keeps it).
    pub payload: String,
    /// A message to the agent.
    pub message: String,
}

fn live_only(ctx: &Context) -> Result<&autogpt::client::LivePlatform, ServiceError> {
    ctx.platform.as_live().ok_or_else(|| ServiceError::NotFound("This page needs the live AutoGPT platform.".into()))
}

/// The user's library, every page, in the platform's order.
pub async fn agents(ctx: &Context, connection: &ConnectionId) -> Result<Vec<AgentSummary>, ServiceError> {
    let live = live_only(ctx)?;
    let listed = with_credential(ctx, connection, |credential| {
        let api = live.api.clone();
        async move { api.all_library_agents(&credential, &LibraryAgentsQuery::default(), MAX_AGENT_PAGES).await }
    })
    .await?;
    if !listed.complete {
        tracing::warn!(agents = listed.items.len(), "the library has more agents than are listed");
    }
    Ok(listed.items.iter().map(AgentSummary::from).collect())
}

/// An agent with its form: the full schema and its credential requirements.
pub async fn agent_form(ctx: &Context, connection: &ConnectionId, agent: &str) -> Result<AgentForm, ServiceError> {
    load_form(ctx, connection, agent).await.map(|(form, _)| form)
}

/// The form and the requirements it was made from (a run start checks the chosen credentials
/// against the same answer, without asking the platform twice).
async fn load_form(
    ctx: &Context,
    connection: &ConnectionId,
    agent: &str,
) -> Result<(AgentForm, Vec<CredentialRequirement>), ServiceError> {
    let live = live_only(ctx)?;
    let id = LibraryAgentId::new(agent.trim());
    let (agent, requirements) = with_credential(ctx, connection, |credential| {
        let (api, id) = (live.api.clone(), id.clone());
        async move {
            let agent = api.library_agent(&credential, &id).await?.value;
            let requirements = api.all_agent_credentials(&credential, &id, 10).await?.items;
            Ok::<_, autogpt::client::live::LiveApiError>((agent, requirements))
        }
    })
    .await?;
    let form = AgentForm {
        agent: AgentSummary::from(&agent),
        fields: agent.input_fields(),
        credentials: requirements.iter().map(credential_field).collect(),
    };
    Ok((form, requirements))
}

fn credential_field(r: &CredentialRequirement) -> CredentialField {
    let usable = r
        .usable_credentials()
        .map(|c| {
            let label = c.title.clone().or_else(|| c.username.clone()).unwrap_or_else(|| c.id.as_str().to_owned());
            (c.id.clone(), label)
        })
        .collect();
    CredentialField { field_name: r.field_name.clone(), provider: r.provider.clone(), usable }
}

/// Checks a filled form against the agent's schema: the inputs object, or every field at
/// fault (before the platform is asked to start anything).
fn inputs(form: &AgentForm, values: &[(String, String)]) -> Result<serde_json::Map<String, Value>, ServiceError> {
    // An unchecked checkbox sends nothing: our own form always renders every boolean, so a
    // missing one means "no" (not "use the default", which may be yes).
    let mut values = values.to_vec();
    for field in &form.fields {
        if field.kind == FieldKind::Boolean && !values.iter().any(|(k, _)| *k == field.name) {
            values.push((field.name.clone(), "false".into()));
        }
    }
    check_form(&form.fields, values.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|errors| {
        ServiceError::Invalid {
            message: "Some inputs need attention; see the fields marked below.".into(),
            fields: errors.0.iter().map(|e| (e.field.clone(), e.problem.to_string())).collect(),
        }
    })
}

/// The credentials a run passes: one chosen credential per field, each one the user may use
/// for it; a field without a usable credential asks the user to connect one first.
fn credentials_inputs(
    form: &AgentForm,
    chosen: &[(String, String)],
    requirements: &[CredentialRequirement],
) -> Result<std::collections::BTreeMap<String, CredentialsInput>, ServiceError> {
    let mut out = std::collections::BTreeMap::new();
    let mut missing = Vec::new();
    for field in &form.credentials {
        if out.contains_key(&field.field_name) {
            continue;
        }
        let pick = chosen.iter().find(|(k, _)| *k == field.field_name).map(|(_, v)| v.as_str());
        let found = requirements
            .iter()
            .filter(|r| r.field_name == field.field_name)
            .flat_map(CredentialRequirement::usable_credentials)
            .find(|c| pick.is_none_or(|p| p == c.id.as_str()));
        match found {
            Some(c) => {
                out.insert(field.field_name.clone(), c.as_input());
            }
            None => missing.push((
                format!("credential.{}", field.field_name),
                format!("Connect a {} account first (this agent needs one).", field.provider),
            )),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(ServiceError::Invalid {
            message: "This agent needs an account you have not connected yet.".into(),
            fields: missing,
        })
    }
}

/// Starts a run of the form's agent, once per user action: the `Idempotency-Key` is derived
/// from the user, the agent and the action's token, so a double click, a reload of the answer
/// or a retried request gets the run the first one started. The run is recorded and watched.
pub async fn start(ctx: &Context, caller: &Caller<Mutate>, start: RunStart) -> Result<ExecutionRecord, ServiceError> {
    let live = live_only(ctx)?;
    let connection = &caller.connection;
    let action = start.action.trim();
    if action.len() < 16 || action.len() > 64 || !action.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        return Err(ServiceError::BadRequest("This form has expired. Reload the page and try again.".into()));
    }
    let (form, requirements) = load_form(ctx, connection, &start.agent).await?;
    let inputs = inputs(&form, &start.values)?;
    let agent = form.agent.id.clone();
    let credentials_inputs = credentials_inputs(&form, &start.credentials, &requirements)?;
    let key = ctx.connect_nonces.nonce(&format!("run\0{}\0{}\0{action}", connection.as_str(), agent.as_str()));
    let key = IdempotencyKey::new(&format!("agc-{}", key.as_str())).map_err(|_| ServiceError::Internal)?;
    let request = RunRequest { inputs: inputs.clone(), credentials_inputs };
    let run = with_credential(ctx, connection, |credential| {
        let (api, agent, request, key) = (live.api.clone(), agent.clone(), request.clone(), key.clone());
        async move {
            let mut tries = 0;
            loop {
                // 409: the first request with this key is still creating the run; the same key
                // will return it in a moment.
                match api.start_run(&credential, &agent, &request, Some(&key)).await {
                    Err(e) if e.code() == Some(&autogpt::live::api::ErrorCode::Conflict) && tries < 5 => {
                        tries += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(200 * tries)).await;
                    }
                    other => return other.map(|r| r.value),
                }
            }
        }
    })
    .await?;
    let id = ExecutionId::new(run.id.as_str());
    let status = ExecutionStatus::parse(run.status.as_str());
    let storage = ctx.storage.executions();
    // What we keep of the inputs: secret ones masked (the platform has them; we never show them).
    let mut kept = inputs;
    for field in form.fields.iter().filter(|f| f.secret) {
        if let Some(value) = kept.get_mut(&field.name) {
            *value = Value::String("***".into());
        }
    }
    let inputs = Value::Object(kept);
    let new =
        NewExecution { execution_id: &id, agent_id: &AgentId::new(agent.as_str()), status: &status, inputs: &inputs };
    storage.insert(connection, new, ctx.now()).await.map_err(ServiceError::storage)?;
    let record = storage.get(connection, &id).await.map_err(ServiceError::storage)?.ok_or(ServiceError::Internal)?;
    watcher::watch(ctx, connection, &id);
    Ok(record)
}

/// One run as the platform has it, with its waiting reviews.
pub async fn run(ctx: &Context, connection: &ConnectionId, id: &str) -> Result<RunDetail, ServiceError> {
    let live = live_only(ctx)?;
    let run_id = RunId::new(id.trim());
    let (run, reviews) = with_credential(ctx, connection, |credential| {
        let (api, run_id) = (live.api.clone(), run_id.clone());
        async move {
            let run = api.run(&credential, &run_id).await?.value;
            let reviews = if run.status == autogpt::live::api::RunStatus::Review {
                let query = ReviewsQuery {
                    run_id: Some(run_id.clone()),
                    status: Some(ReviewStatus::Waiting),
                    page: PageRequest { limit: Some(PageLimit::MAX), cursor: None },
                };
                api.reviews(&credential, &query).await?.value.items
            } else {
                Vec::new()
            };
            Ok::<_, autogpt::client::live::LiveApiError>((run, reviews))
        }
    })
    .await?;
    let id = ExecutionId::new(run.id.as_str());
    let ours = ctx.storage.executions().get(connection, &id).await.map_err(ServiceError::storage)?;
    if let Some(record) = &ours {
        // What we just read is news to the watcher too (and restarts one that gave up).
        watcher::apply_run(ctx, record, &run).await;
        if !run.is_final() {
            watcher::watch(ctx, connection, &id);
        }
    }
    Ok(RunDetail { run, ours, reviews })
}

/// Asks the platform to stop a run; the watcher sees it end.
pub async fn stop(ctx: &Context, caller: &Caller<Mutate>, id: &str) -> Result<(), ServiceError> {
    let live = live_only(ctx)?;
    let run_id = RunId::new(id.trim());
    let stopped = with_credential(ctx, &caller.connection, |credential| {
        let (api, run_id) = (live.api.clone(), run_id.clone());
        async move { api.stop_run(&credential, &run_id).await }
    })
    .await;
    match stopped {
        // Already finished: nothing to stop, the page shows how it ended.
        Ok(_) | Err(ServiceError::Conflict(_)) => {}
        Err(e) => return Err(e),
    }
    watcher::watch(ctx, &caller.connection, &ExecutionId::new(run_id.as_str()));
    Ok(())
}

/// Answers every waiting review of a run in one request (the platform wants them together).
pub async fn answer_reviews(
    ctx: &Context,
    caller: &Caller<Mutate>,
    id: &str,
    answers: &[ReviewAnswer],
) -> Result<(), ServiceError> {
    let live = live_only(ctx)?;
    let detail = run(ctx, &caller.connection, id).await?;
    if detail.reviews.is_empty() {
        return Err(ServiceError::Conflict("Nothing in this run is waiting for a review any more.".into()));
    }
    let mut decisions = Vec::with_capacity(detail.reviews.len());
    let mut problems = Vec::new();
    for review in &detail.reviews {
        let key = review.node_exec_id.as_str();
        let Some(answer) = answers.iter().find(|a| a.review == key) else {
            problems.push((format!("review.{key}"), "Approve or reject this step.".to_owned()));
            continue;
        };
        let mut decision = if !answer.approve {
            ReviewDecision::reject(review.node_exec_id.clone())
        } else if review.editable && !answer.payload.trim().is_empty() {
            match serde_json::from_str::<Value>(answer.payload.trim()) {
                Ok(edited) if edited != review.payload => {
                    ReviewDecision::approve_edited(review.node_exec_id.clone(), edited)
                }
                Ok(_) => ReviewDecision::approve(review.node_exec_id.clone()),
                Err(_) => {
                    problems.push((format!("payload.{key}"), FieldProblem::InvalidJson.to_string()));
                    continue;
                }
            }
        } else {
            ReviewDecision::approve(review.node_exec_id.clone())
        };
        let message = answer.message.trim();
        if message.chars().count() > autogpt::live::api::MAX_REVIEW_MESSAGE_CHARS {
            problems.push((format!("message.{key}"), "Keep the message under 2,000 characters.".to_owned()));
            continue;
        }
        if !message.is_empty() {
            decision = decision.with_message(message);
        }
        decisions.push(decision);
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid {
            message: "Answer every step waiting for review.".into(),
            fields: problems,
        });
    }
    let run_id = detail.run.id.clone();
    with_credential(ctx, &caller.connection, |credential| {
        let (api, run_id, decisions) = (live.api.clone(), run_id.clone(), decisions.clone());
        async move { api.submit_reviews(&credential, &run_id, &decisions).await }
    })
    .await?;
    watcher::watch(ctx, &caller.connection, &ExecutionId::new(run_id.as_str()));
    Ok(())
}

/// The history: the platform's newest runs merged with ours (ours name the agent), newest
/// first. If the platform cannot be asked, ours alone are shown.
pub async fn history(ctx: &Context, connection: &ConnectionId) -> Result<Vec<HistoryRun>, ServiceError> {
    let live = live_only(ctx)?;
    let ours =
        ctx.storage.executions().list(connection, i64::from(HISTORY_RUNS)).await.map_err(ServiceError::storage)?;
    let query = RunsQuery {
        page: PageRequest { limit: PageLimit::new(u32::from(HISTORY_RUNS)).ok(), cursor: None },
        ..RunsQuery::default()
    };
    let theirs = with_credential(ctx, connection, |credential| {
        let (api, query) = (live.api.clone(), query.clone());
        async move { api.runs(&credential, &query).await.map(|r| r.value.items) }
    })
    .await
    .unwrap_or_else(|e| {
        tracing::info!(error = %e, "the platform's run history is unavailable; showing ours");
        Vec::new()
    });
    let mut rows: Vec<HistoryRun> = theirs
        .iter()
        .map(|run| {
            let mine = ours.iter().find(|r| r.execution_id.as_str() == run.id.as_str());
            HistoryRun {
                id: run.id.as_str().to_owned(),
                agent: mine.map_or_else(|| run.graph_id.as_str().to_owned(), |r| r.agent_id.as_str().to_owned()),
                status: ExecutionStatus::parse(run.status.as_str()),
                started_at: run.started_at.as_ref().and_then(|t| t.parse()).map(|t| t.unix_timestamp()),
                duration_seconds: Some(run.duration_seconds),
                cost_cents: Some(run.cost_cents),
                error: mine.and_then(|r| r.error.clone()),
            }
        })
        .collect();
    for record in &ours {
        if !rows.iter().any(|r| r.id == record.execution_id.as_str()) {
            rows.push(HistoryRun {
                id: record.execution_id.as_str().to_owned(),
                agent: record.agent_id.as_str().to_owned(),
                status: record.status.clone(),
                started_at: Some(record.created_at),
                duration_seconds: None,
                cost_cents: None,
                error: record.error.clone(),
            });
        }
    }
    rows.sort_by(|a, b| b.started_at.cmp(&a.started_at).then_with(|| b.id.cmp(&a.id)));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use autogpt::live::schema::{JsonSchema, input_fields};
    use serde_json::json;

    use super::*;

    fn form() -> AgentForm {
        let schema = JsonSchema::from_value(json!({
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "shout": {"type": "boolean", "default": true},
                "repeat": {"type": "integer"}
            },
            "required": ["message"]
        }));
        AgentForm {
            agent: AgentSummary { id: LibraryAgentId::new("lib-1"), name: "A".into(), description: String::new() },
            fields: input_fields(&schema),
            credentials: Vec::new(),
        }
    }

    #[test]
    fn an_unchecked_checkbox_is_no_and_every_fault_is_named() {
        let ok = inputs(&form(), &[("message".into(), "hi".into())]).unwrap();
        assert_eq!(Value::Object(ok), json!({"message": "hi", "shout": false}));
        let Err(ServiceError::Invalid { fields, .. }) =
            inputs(&form(), &[("repeat".into(), "two".into()), ("nope".into(), "x".into())])
        else {
            panic!("a bad form was accepted")
        };
        let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["message", "repeat", "nope"]);
    }

    #[test]
    fn a_missing_credential_names_its_field() {
        let mut f = form();
        f.credentials.push(CredentialField {
            field_name: "credentials".into(),
            provider: Provider::new("google"),
            usable: Vec::new(),
        });
        let Err(ServiceError::Invalid { fields, .. }) = credentials_inputs(&f, &[], &[]) else {
            panic!("no credential")
        };
        assert_eq!(fields[0].0, "credential.credentials");
        assert!(fields[0].1.contains("google"), "{fields:?}");
    }
}
