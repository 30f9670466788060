//! The live profile's records: OAuth applications, codes and opaque tokens, page sessions,
//! runs with their node executions, reviews and idempotency keys. Users and provider
//! credentials are the shared ones in [`crate::state::Db`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Everything the live profile stores (part of the data-file snapshot).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LiveDb {
    pub apps: Vec<OAuthApp>,
    pub codes: Vec<Code>,
    pub tokens: Vec<Token>,
    pub sessions: Vec<Session>,
    pub runs: Vec<Run>,
    pub reviews: Vec<Review>,
    pub idempotency: Vec<IdempotencyKey>,
    /// Monotonic counter giving runs a stable creation order.
    pub run_seq: u64,
}

impl LiveDb {
    pub fn app(&self, client_id: &str) -> Option<&OAuthApp> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }
    pub fn run(&self, id: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }
    pub fn run_mut(&mut self, id: &str) -> Option<&mut Run> {
        self.runs.iter_mut().find(|r| r.id == id)
    }
    pub fn session_user_id(&self, session_id: &str) -> Option<&str> {
        self.sessions.iter().find(|s| s.id == session_id).map(|s| s.user_id.as_str())
    }
}

/// A registered OAuth application (`OAuthApplication`); every app is confidential.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    pub description: Option<String>,
    pub logo_url: Option<String>,
    /// Exact-match list.
    pub redirect_uris: Vec<String>,
    /// The `APIKeyPermission` values the app may request.
    pub scopes: Vec<String>,
    pub active: bool,
}

/// An authorization code: 10 minutes, single use, marked used only after every check passed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Code {
    pub code: String,
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub code_challenge: String,
    /// `S256` or `plain`.
    pub code_challenge_method: String,
    pub expires_at_ms: i64,
    pub used_at_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
}

/// An opaque `agpt_xt_` access token or `agpt_rt_` refresh token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub token: String,
    pub kind: TokenKind,
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub expires_at_ms: i64,
    pub revoked: bool,
}

/// A session of the live pages origin (cookie `agpt_live_session`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user_id: String,
}

/// `RunStatus`, spelled as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    Incomplete,
    Queued,
    Running,
    Review,
    Completed,
    Failed,
    Terminated,
}

impl RunStatus {
    pub const ALL: [RunStatus; 7] = [
        RunStatus::Incomplete,
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Review,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Terminated,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Incomplete => "INCOMPLETE",
            RunStatus::Queued => "QUEUED",
            RunStatus::Running => "RUNNING",
            RunStatus::Review => "REVIEW",
            RunStatus::Completed => "COMPLETED",
            RunStatus::Failed => "FAILED",
            RunStatus::Terminated => "TERMINATED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn is_final(self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Failed | RunStatus::Terminated)
    }
}

/// One executed block of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeExecution {
    /// Internal id; for a human-in-the-loop block it is the review's `node_exec_id`.
    pub exec_id: String,
    pub node_id: String,
    pub status: RunStatus,
    pub inputs: Value,
    /// Pin name → every value produced on it.
    pub outputs: Map<String, Value>,
    pub started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
}

/// A run of a library agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub id: String,
    pub seq: u64,
    pub user_id: String,
    /// The library agent id the run was started with.
    pub agent_id: String,
    pub graph_id: String,
    pub graph_version: u32,
    pub status: RunStatus,
    pub created_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub inputs: Map<String, Value>,
    /// Field → `{id, title, provider, type}` (never a secret).
    pub credentials_inputs: Map<String, Value>,
    pub cost_cents: i64,
    pub node_exec_count: u32,
    /// Output name → list of values produced.
    pub outputs: Map<String, Value>,
    pub node_executions: Vec<NodeExecution>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewStatus {
    Waiting,
    Approved,
    Rejected,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Waiting => "WAITING",
            ReviewStatus::Approved => "APPROVED",
            ReviewStatus::Rejected => "REJECTED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [ReviewStatus::Waiting, ReviewStatus::Approved, ReviewStatus::Rejected].into_iter().find(|v| v.as_str() == s)
    }
}

/// A human-in-the-loop review (`AgentRunReview`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Review {
    pub node_exec_id: String,
    pub run_id: String,
    pub user_id: String,
    pub graph_id: String,
    pub graph_version: u32,
    pub node_id: String,
    pub payload: Value,
    pub instructions: Option<String>,
    pub editable: bool,
    pub status: ReviewStatus,
    pub requested_at_ms: i64,
    pub reviewed_at_ms: Option<i64>,
    pub processed: bool,
    pub reviewer_comment: Option<String>,
    /// What the run continues with once approved (the edited payload when editable).
    pub approved_payload: Option<Value>,
}

/// An `Idempotency-Key` claimed by one user: bound to its first request's fingerprint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyKey {
    pub user_id: String,
    pub key: String,
    pub fingerprint: String,
    /// `None` while the first request is still creating the run (in flight).
    pub run_id: Option<String>,
    pub expires_at_ms: i64,
}
