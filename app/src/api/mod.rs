//! What crosses the wire between server and browser: the view types (never a token,
//! checklist 35), the live events of the event stream ([`events`]), and the server
//! functions the islands and pages call.
//!
//! Each server function is thin (STYLE 9): who may call ([`backend::Caller`] with its access
//! kind) → one `backend` service → the view conversion and the error mapping, both written
//! once in `ssr/`.

mod error;
pub mod events;
pub mod runs;
#[cfg(feature = "ssr")]
mod ssr;

pub use error::{AppError, ErrorKind};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
// Postcard in both directions: one small binary codec in the bundle (no JSON parser, no
// float formatting), and it carries empty lists that the URL encoding cannot.
use server_fn::codec::Postcard;

use crate::connect_flow::PreparedAttempt;

/// The signed-in user, as the browser may see it (never tokens, checklist 35).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionStatus {
    /// Email of the platform account.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Scopes the platform granted at sign-in (checklist 39).
    pub scopes: Vec<String>,
    /// True when the platform refused our refresh token: sign in again.
    pub reconnect_required: bool,
    /// When the current access token expires (unix seconds).
    pub access_expires_at: Option<i64>,
}

/// A credential grant connected through the Connect popup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrantView {
    /// Grant id on the platform.
    pub grant_id: String,
    /// Provider (`google`).
    pub provider: String,
    /// Scopes of the grant.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// One execution of an agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionView {
    /// Execution id on the platform.
    pub execution_id: String,
    /// Agent that runs.
    pub agent_id: String,
    /// Lower-case status (`queued`, `running`, `completed`, `failed`, ...).
    pub status: String,
    /// Outputs, pretty-printed JSON (the browser shows text; no JSON parser in WASM).
    pub outputs: Option<String>,
    /// The platform's error message for a failed run.
    pub error: Option<String>,
    /// When we started it (unix seconds).
    pub created_at: i64,
    /// When it started, formatted on the server.
    #[serde(default)]
    pub started: Option<String>,
    /// How long it ran, formatted.
    #[serde(default)]
    pub duration: Option<String>,
    /// What it cost, formatted (live profile).
    #[serde(default)]
    pub cost: Option<String>,
    /// True once the status can no longer change.
    pub terminal: bool,
    /// Webhook events received for it (filled on the executions page).
    #[serde(default)]
    pub events: Vec<WebhookEventView>,
}

/// An execution update pushed over the event stream (`execution_updated`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveExecution {
    /// Execution id.
    pub execution_id: String,
    /// Lower-case status.
    pub status: String,
    /// True once the status can no longer change.
    pub terminal: bool,
    /// Outputs, pretty-printed JSON.
    pub outputs: Option<String>,
    /// The platform's error message.
    pub error: Option<String>,
}

/// A webhook event received for an execution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEventView {
    /// Event name (`execution.completed`).
    pub event: String,
    /// When it was received (unix seconds).
    pub received_at: i64,
    /// Its processing was given up for good after repeated failures.
    #[serde(default)]
    pub gave_up: bool,
}

/// The landing page's data: who is signed in, and how much is connected and run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HomeSummary {
    /// The signed-in user, if any.
    pub session: Option<SessionStatus>,
    /// Active grants.
    pub grants: u64,
    /// Executions started from this app.
    pub executions: u64,
}

/// `/connect` and `/agents`: the signed-in user and their grants (from storage: fast).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountGrants {
    /// The signed-in user, if any.
    pub session: Option<SessionStatus>,
    /// Active grants.
    pub grants: Vec<GrantView>,
}

/// `/executions`: the signed-in user and their history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountHistory {
    /// The signed-in user, if any.
    pub session: Option<SessionStatus>,
    /// Recent executions, newest first, with their webhook events.
    pub executions: Vec<ExecutionView>,
}

/// Data of `/`. Never fails for a visitor without a session: problems are logged and the
/// page renders as signed out.
#[server(prefix = "/api/app", endpoint = "page/home", input = Postcard, output = Postcard)]
pub async fn load_home_summary() -> Result<HomeSummary, AppError> {
    ssr::home_summary().await
}

/// Data of `/connect` and `/agents` (like [`load_home_summary`], never fails for a visitor).
#[server(prefix = "/api/app", endpoint = "page/grants", input = Postcard, output = Postcard)]
pub async fn load_account_grants() -> Result<AccountGrants, AppError> {
    ssr::account_grants().await
}

/// Data of `/executions` (like [`load_home_summary`], never fails for a visitor).
#[server(prefix = "/api/app", endpoint = "page/history", input = Postcard, output = Postcard)]
pub async fn load_account_history() -> Result<AccountHistory, AppError> {
    ssr::account_history().await
}

/// The signed-in user, or `None`.
#[server(prefix = "/api/app", endpoint = "session", input = Postcard, output = Postcard)]
pub async fn current_session() -> Result<Option<SessionStatus>, AppError> {
    ssr::current_session().await
}

/// A fresh nonce and popup URL for a Connect attempt with `provider` (checklist 5).
#[server(prefix = "/api/app", endpoint = "connect/begin", input = Postcard, output = Postcard)]
pub async fn begin_connect(provider: String) -> Result<PreparedAttempt, AppError> {
    let (ctx, caller) = ssr::caller::<backend::Mutate>().await?;
    ssr::answer(backend::services::connect::begin(&ctx, &caller, &provider).await)
}

/// Confirms a grant reported by the popup with the platform, then stores it (checklist 15).
#[server(prefix = "/api/app", endpoint = "connect/record", input = Postcard, output = Postcard)]
pub async fn record_connect_result(nonce: String, grant_id: String) -> Result<GrantView, AppError> {
    let (ctx, caller) = ssr::caller::<backend::Mutate>().await?;
    ssr::answer(backend::services::connect::record(&ctx, &caller, &nonce, &grant_id).await)
}

/// After the popup closed without a message: is there a new grant for `provider`?
/// (checklist 11)
#[server(prefix = "/api/app", endpoint = "connect/reconcile", input = Postcard, output = Postcard)]
pub async fn reconcile_connect(provider: String) -> Result<Option<GrantView>, AppError> {
    let (ctx, caller) = ssr::caller::<backend::Mutate>().await?;
    ssr::answer(backend::services::connect::reconcile(&ctx, &caller, &provider).await)
}

/// The user's active grants (from storage, refreshed from the platform).
#[server(prefix = "/api/app", endpoint = "grants", input = Postcard, output = Postcard)]
pub async fn list_grants() -> Result<Vec<GrantView>, AppError> {
    // It marks grants the platform no longer lists as revoked: a write, hence same-origin only.
    let (ctx, caller) = ssr::caller::<backend::Mutate>().await?;
    ssr::answer(backend::services::connect::list(&ctx, &caller).await)
}

/// Starts an agent with the user's grants and the app's webhook URL.
#[server(prefix = "/api/app", endpoint = "agents/execute", input = Postcard, output = Postcard)]
pub async fn execute_agent(agent_id: String, inputs: Vec<(String, String)>) -> Result<ExecutionView, AppError> {
    let (ctx, caller) = ssr::caller::<backend::Mutate>().await?;
    ssr::answer(backend::services::agents::execute(&ctx, &caller, &agent_id, inputs).await)
}

/// The current state of one of the user's executions (polling fallback).
#[server(prefix = "/api/app", endpoint = "executions/status", input = Postcard, output = Postcard)]
pub async fn execution_status(execution_id: String) -> Result<ExecutionView, AppError> {
    // It stores what the platform reports: a write, hence same-origin only.
    let (ctx, caller) = ssr::caller::<backend::Mutate>().await?;
    ssr::answer(backend::services::agents::status(&ctx, &caller, &execution_id).await)
}

/// Cancels a queued or running execution.
#[server(prefix = "/api/app", endpoint = "executions/cancel", input = Postcard, output = Postcard)]
pub async fn cancel_execution(execution_id: String) -> Result<ExecutionView, AppError> {
    let (ctx, caller) = ssr::caller::<backend::Mutate>().await?;
    ssr::answer(backend::services::agents::cancel(&ctx, &caller, &execution_id).await)
}

/// The user's executions, newest first, with their webhook events.
#[server(prefix = "/api/app", endpoint = "executions", input = Postcard, output = Postcard)]
pub async fn list_executions() -> Result<Vec<ExecutionView>, AppError> {
    let (ctx, caller) = ssr::caller::<backend::Read>().await?;
    ssr::answer(backend::services::agents::history(&ctx, &caller.connection).await)
}
