//! What `/agents` (live profile) and `/executions/{id}` (both profiles) show: the user's
//! library, one agent's form from its `input_schema`, and one run in full. Plain strings only
//! (formatted on the server): the pages render on the server, and what an island reads needs
//! no JSON parser or float formatting in the browser.
//!
//! The forms post to plain routes (`server/src/routes/runs.rs`), so they work before (and
//! without) WASM; the field names are [`form`]'s.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::Postcard;

use super::{AppError, LiveExecution, SessionStatus, WebhookEventView};

/// The form field names shared by the pages and the routes that read them.
pub mod form {
    /// Where the agent form posts.
    pub const START_PATH: &str = "/api/autogpt/runs";
    /// The library agent.
    pub const AGENT: &str = "agent";
    /// The user action's token (one `Idempotency-Key` per action).
    pub const ACTION: &str = "action";
    /// Prefix of an input's field (`input.message`).
    pub const INPUT: &str = "input.";
    /// Prefix of a secret input's field: never echoed back into a URL.
    pub const SECRET: &str = "secret.";
    /// Prefix of a credentials field (`credential.credentials`).
    pub const CREDENTIAL: &str = "credential.";
    /// Query prefix of a field's error after a refused start (`field.message`).
    pub const FIELD_ERROR: &str = "field.";
    /// Query prefix of a field's value after a refused start (`value.message`).
    pub const VALUE: &str = "value.";
    /// A review's decision (`decision.<review id>` = `approve` | `reject`).
    pub const DECISION: &str = "decision.";
    /// A review's edited payload.
    pub const PAYLOAD: &str = "payload.";
    /// A review's message.
    pub const MESSAGE: &str = "message.";

    /// Where a run's stop form posts.
    pub fn stop_path(run: &str) -> String {
        format!("/api/autogpt/runs/{run}/stop")
    }

    /// Where a run's review form posts.
    pub fn reviews_path(run: &str) -> String {
        format!("/api/autogpt/runs/{run}/reviews")
    }

    /// A run's page.
    pub fn run_page(run: &str) -> String {
        format!("/executions/{run}")
    }
}

/// One agent of the user's library.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentItem {
    /// Library agent id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
}

/// How an input is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldControl {
    /// One line of text.
    Text,
    /// A text area.
    LongText,
    /// A number.
    Number,
    /// A whole number.
    Integer,
    /// A checkbox.
    Boolean,
    /// A choice.
    Enum,
    /// JSON text (object, list or any value), checked on the server.
    Json,
    /// An upload, which this app does not do.
    File,
    /// A shape that cannot be filled in here.
    Unsupported,
}

/// One input of an agent's form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldView {
    /// The input name.
    pub name: String,
    /// Its label.
    pub label: String,
    /// Its description.
    pub description: Option<String>,
    /// How it is rendered.
    pub control: FieldControl,
    /// A value is needed.
    pub required: bool,
    /// Folded under "Advanced".
    pub advanced: bool,
    /// Masked, never echoed.
    pub secret: bool,
    /// The default, as the form's text (JSON for JSON fields).
    pub default: String,
    /// The options of an enum.
    pub options: Vec<String>,
    /// A hint under the field (what JSON is expected, why it cannot be filled in).
    pub note: Option<String>,
}

/// A credentials field with the user's credentials that can fill it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialFieldView {
    /// The field (`credential.<field_name>` in the form).
    pub field_name: String,
    /// The provider it needs.
    pub provider: String,
    /// The usable credentials: id and label.
    pub choices: Vec<(String, String)>,
}

/// One agent's form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentFormView {
    /// The agent.
    pub agent: AgentItem,
    /// Its inputs in schema order.
    pub fields: Vec<FieldView>,
    /// Its credentials fields.
    pub credentials: Vec<CredentialFieldView>,
    /// A fresh token for this form: every submit of it is one user action.
    pub action: String,
}

/// Data of `/agents` in the live profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LibraryPage {
    /// The signed-in user, if any.
    pub session: Option<SessionStatus>,
    /// The library.
    pub agents: Vec<AgentItem>,
    /// The chosen agent's form.
    pub form: Option<AgentFormView>,
    /// What went wrong loading them.
    pub error: Option<String>,
}

/// A review waiting for the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    /// Review id.
    pub id: String,
    /// What to check.
    pub instructions: Option<String>,
    /// The data under review, pretty JSON.
    pub payload: String,
    /// The payload may be edited before approving.
    pub editable: bool,
}

/// One run in full.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    /// Run id.
    pub id: String,
    /// The agent.
    pub agent: String,
    /// Lower-case status.
    pub status: String,
    /// The status can no longer change.
    pub terminal: bool,
    /// Stop can be asked.
    pub stoppable: bool,
    /// When it started, formatted.
    pub started: Option<String>,
    /// How long it ran, formatted.
    pub duration: Option<String>,
    /// What it cost, formatted.
    pub cost: Option<String>,
    /// Inputs: name and pretty JSON.
    pub inputs: Vec<(String, String)>,
    /// Outputs: name and every value it produced (pretty JSON), in order.
    pub outputs: Vec<(String, Vec<String>)>,
    /// Errors of failed blocks (a completed run with some is a warning).
    pub block_errors: Vec<String>,
    /// The run's error.
    pub error: Option<String>,
    /// Reviews waiting for the user.
    pub reviews: Vec<ReviewView>,
    /// Webhook deliveries about it (guide profile).
    pub events: Vec<WebhookEventView>,
}

/// Data of `/executions/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunPage {
    /// The signed-in user, if any.
    pub session: Option<SessionStatus>,
    /// The run.
    pub run: Option<RunView>,
    /// Why it cannot be shown.
    pub error: Option<String>,
}

/// Data of `/agents` in the live profile, with the form of `agent` when one is chosen.
#[server(prefix = "/api/app", endpoint = "page/library", input = Postcard, output = Postcard)]
pub async fn load_library(agent: Option<String>) -> Result<LibraryPage, AppError> {
    super::ssr::runs::library_page(agent).await
}

/// Data of `/executions/{id}`.
#[server(prefix = "/api/app", endpoint = "page/run", input = Postcard, output = Postcard)]
pub async fn load_run(id: String) -> Result<RunPage, AppError> {
    super::ssr::runs::run_page(id).await
}

/// Our record of one of the user's runs, as the event stream would send it (no platform call).
#[server(prefix = "/api/app", endpoint = "runs/status", input = Postcard, output = Postcard)]
pub async fn stored_run_status(id: String) -> Result<Option<LiveExecution>, AppError> {
    super::ssr::runs::stored_status(id).await
}
