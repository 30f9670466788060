//! Server half of [`crate::api::runs`]: the library, an agent's form and one run, each
//! turned into plain strings for the page.

use autogpt::live::api::Run;
use autogpt::live::schema::{FieldKind, InputField};
use backend::services::library::{self, AgentForm, AgentSummary, CredentialField, RunDetail};
use backend::storage::ExecutionRecord;
use backend::{ConnectionId, Context, ServiceError};
use serde_json::Value;

use super::views::pretty;
use super::{AppError, ToView, visitor};
use crate::api::runs::{
    AgentFormView, AgentItem, CredentialFieldView, FieldControl, FieldView, LibraryPage, ReviewView, RunPage, RunView,
};

pub(crate) async fn library_page(agent: Option<String>) -> Result<LibraryPage, AppError> {
    let (ctx, visitor) = visitor().await?;
    let Some(account) = visitor.account else { return Ok(LibraryPage::default()) };
    let mut page = LibraryPage { session: Some(account.clone().to_view()), ..LibraryPage::default() };
    match library::agents(&ctx, &account.id).await {
        Ok(agents) => page.agents = agents.to_view(),
        Err(e) => page.error = Some(e.to_string()),
    }
    if let Some(agent) = agent.filter(|a| !a.trim().is_empty()) {
        match library::agent_form(&ctx, &account.id, &agent).await {
            Ok(form) => page.form = Some(form.to_view()),
            Err(e) => page.error = Some(e.to_string()),
        }
    }
    Ok(page)
}

pub(crate) async fn run_page(id: String) -> Result<RunPage, AppError> {
    let (ctx, visitor) = visitor().await?;
    let Some(account) = visitor.account else { return Ok(RunPage::default()) };
    let session = Some(account.clone().to_view());
    let run = if ctx.platform.as_live().is_some() {
        library::run(&ctx, &account.id, &id).await.map(ToView::to_view)
    } else {
        stored_run(&ctx, &account.id, &id).await
    };
    Ok(match run {
        Ok(run) => RunPage { session, run: Some(run), error: None },
        Err(e) => RunPage { session, run: None, error: Some(e.to_string()) },
    })
}

pub(crate) async fn stored_status(id: String) -> Result<Option<crate::api::LiveExecution>, AppError> {
    let (ctx, caller) = super::caller::<backend::Read>().await?;
    let record =
        super::respond(backend::services::agents::stored(&ctx, &caller.connection, &id).await.map_err(AppError::from))?;
    Ok(record.map(|r| crate::api::LiveExecution {
        execution_id: r.execution_id.as_str().to_owned(),
        status: r.status.as_str().to_ascii_lowercase(),
        terminal: r.is_final(),
        outputs: None,
        error: r.error,
    }))
}

/// A guide-profile run: what we stored and the webhook deliveries about it.
async fn stored_run(ctx: &Context, connection: &ConnectionId, id: &str) -> Result<RunView, ServiceError> {
    let history = backend::services::agents::execution(ctx, connection, id).await?;
    let record = &history.record;
    let outputs = match &record.outputs {
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), vec![pretty(v)])).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![("outputs".to_owned(), vec![pretty(other)])],
    };
    Ok(RunView {
        id: record.execution_id.as_str().to_owned(),
        agent: record.agent_id.as_str().to_owned(),
        status: record.status.as_str().to_ascii_lowercase(),
        terminal: record.is_final(),
        stoppable: false,
        started: Some(format_time(record.created_at)),
        duration: record.completed_at.map(|end| format_duration((end - record.created_at).max(0) as f64)),
        cost: None,
        inputs: inputs_of(&record.inputs),
        outputs,
        block_errors: Vec::new(),
        error: record.error.clone(),
        reviews: Vec::new(),
        events: history.events.clone().to_view(),
    })
}

fn inputs_of(inputs: &Value) -> Vec<(String, String)> {
    inputs.as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), pretty(v))).collect()).unwrap_or_default()
}

/// `2026-12-02 00:45 UTC` (the server does not know the reader's time zone).
pub(crate) fn format_time(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => {
            format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
        }
        Err(_) => unix.to_string(),
    }
}

/// `0.4 s`, `12 s`, `3 min 5 s`.
pub(crate) fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "–".into();
    }
    if seconds < 10.0 {
        format!("{seconds:.1} s")
    } else if seconds < 60.0 {
        format!("{seconds:.0} s")
    } else {
        let whole = seconds.round() as u64;
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

/// `$0.05`.
pub(crate) fn format_cost(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, (cents % 100).abs())
}

impl ToView for AgentSummary {
    type View = AgentItem;
    fn to_view(self) -> AgentItem {
        AgentItem { id: self.id.as_str().to_owned(), name: self.name, description: self.description }
    }
}

impl ToView for InputField {
    type View = FieldView;
    fn to_view(self) -> FieldView {
        let label = self.label().to_owned();
        let (control, options, note) = match &self.kind {
            FieldKind::Text => (FieldControl::Text, Vec::new(), None),
            FieldKind::LongText => (FieldControl::LongText, Vec::new(), None),
            FieldKind::Number => (FieldControl::Number, Vec::new(), None),
            FieldKind::Integer => (FieldControl::Integer, Vec::new(), None),
            FieldKind::Boolean => (FieldControl::Boolean, Vec::new(), None),
            FieldKind::Enum { options } => (FieldControl::Enum, options.iter().map(|o| o.label.clone()).collect(), None),
            FieldKind::Object => (FieldControl::Json, Vec::new(), Some("A JSON object, like {\"key\": \"value\"}.".into())),
            FieldKind::Array => (FieldControl::Json, Vec::new(), Some("A JSON list, like [\"a\", \"b\"].".into())),
            FieldKind::AnyJson => (FieldControl::Json, Vec::new(), Some("Any JSON value; plain words are sent as text.".into())),
            FieldKind::File => (
                FieldControl::File,
                Vec::new(),
                Some("File inputs need an upload to AutoGPT, which this app does not do. Run this agent on AutoGPT to attach a file.".into()),
            ),
            FieldKind::Unsupported { reason } => (FieldControl::Unsupported, Vec::new(), Some(format!("This input cannot be filled in here ({reason})."))),
        };
        let default = match (&self.default, control) {
            (None | Some(Value::Null), _) => String::new(),
            (Some(Value::String(s)), _) => s.clone(),
            (Some(Value::Bool(b)), _) => b.to_string(),
            (Some(v), FieldControl::Json) => serde_json::to_string(v).unwrap_or_default(),
            (Some(v), _) => v.to_string(),
        };
        FieldView {
            name: self.name,
            label,
            description: self.description,
            control,
            required: self.required,
            advanced: self.advanced,
            secret: self.secret,
            default,
            options,
            note,
        }
    }
}

impl ToView for CredentialField {
    type View = CredentialFieldView;
    fn to_view(self) -> CredentialFieldView {
        CredentialFieldView {
            field_name: self.field_name,
            provider: self.provider.as_str().to_owned(),
            choices: self.usable.into_iter().map(|(id, label)| (id.as_str().to_owned(), label)).collect(),
        }
    }
}

impl ToView for AgentForm {
    type View = AgentFormView;
    fn to_view(self) -> AgentFormView {
        AgentFormView {
            agent: self.agent.to_view(),
            fields: self.fields.to_view(),
            credentials: self.credentials.to_view(),
            action: autogpt::random::State::generate().as_str().to_owned(),
        }
    }
}

impl ToView for RunDetail {
    type View = RunView;
    fn to_view(self) -> RunView {
        let RunDetail { run, ours, reviews } = self;
        let agent = ours
            .as_ref()
            .map_or_else(|| run.graph_id.as_str().to_owned(), |r: &ExecutionRecord| r.agent_id.as_str().to_owned());
        let mut view = live_run_view(&run, agent, reviews);
        // Ours has secret inputs masked (the platform echoes them as sent).
        if let Some(record) = &ours {
            view.inputs = inputs_of(&record.inputs);
        }
        view
    }
}

fn live_run_view(run: &Run, agent: String, reviews: Vec<autogpt::live::api::Review>) -> RunView {
    let started = run.started_at.as_ref().and_then(|t| t.parse()).map(|t| format_time(t.unix_timestamp()));
    let outputs = run
        .outputs
        .iter()
        .flatten()
        .map(|(name, values)| (name.clone(), values.iter().map(pretty).collect()))
        .collect();
    let block_errors: Vec<String> =
        run.block_errors().into_iter().map(|e| format!("{}: {}", e.node_id.as_str(), e.message)).collect();
    let error = (run.status == autogpt::live::api::RunStatus::Failed && block_errors.is_empty())
        .then(|| "The run failed.".to_owned());
    RunView {
        id: run.id.as_str().to_owned(),
        agent,
        status: run.status.as_str().to_ascii_lowercase(),
        terminal: run.is_final(),
        stoppable: run.status.is_stoppable(),
        started,
        duration: (run.duration_seconds > 0.0 || run.is_final()).then(|| format_duration(run.duration_seconds)),
        cost: Some(format_cost(run.cost_cents)),
        inputs: run.inputs.as_ref().map(|m| inputs_of(&Value::Object(m.clone()))).unwrap_or_default(),
        outputs,
        block_errors,
        error,
        reviews: reviews
            .into_iter()
            .map(|r| ReviewView {
                id: r.node_exec_id.as_str().to_owned(),
                instructions: r.instructions,
                payload: pretty(&r.payload),
                editable: r.editable,
            })
            .collect(),
        events: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_written_for_people() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_duration(0.42), "0.4 s");
        assert_eq!(format_duration(12.4), "12 s");
        assert_eq!(format_duration(185.0), "3 min 5 s");
        assert_eq!(format_cost(5), "$0.05");
        assert_eq!(format_cost(1234), "$12.34");
    }
}
