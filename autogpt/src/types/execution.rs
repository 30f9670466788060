//! External API execution bodies: execute request/response, status, cancel.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::ids::{ExecutionId, GrantId, Timestamp};
use crate::origin::WebhookUrl;

/// Execution status. The guide documents lower-case `queued|running|completed|failed`; the
/// platform's status endpoint answers upper-case and knows more states. Parsed
/// case-insensitively; unknown values are kept, not rejected.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    /// Waiting to run.
    Queued,
    /// Running.
    Running,
    /// Finished successfully (terminal).
    Completed,
    /// Finished with an error (terminal).
    Failed,
    /// Stopped by a cancel request (terminal).
    Terminated,
    /// Created but not yet ready to run (platform code); not terminal.
    Incomplete,
    /// Paused for human review (platform code); not terminal, it resumes after review.
    Review,
    /// A value this crate does not know, kept verbatim; treated as not terminal.
    Unknown(String),
}

impl ExecutionStatus {
    /// Reads a status, ignoring ASCII case.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "terminated" => Self::Terminated,
            "incomplete" => Self::Incomplete,
            "review" => Self::Review,
            _ => Self::Unknown(s.to_owned()),
        }
    }

    /// The documented lower-case form (unknown values as received).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Terminated => "terminated",
            Self::Incomplete => "incomplete",
            Self::Review => "review",
            Self::Unknown(s) => s,
        }
    }

    /// True for states an execution never leaves: completed, failed, terminated.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Terminated)
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ExecutionStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExecutionStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// `POST /executions/agents/{agent_id}/execute` body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExecuteRequest {
    /// Agent inputs (an object).
    pub inputs: serde_json::Map<String, Value>,
    /// Grants the run may use; `None` (JSON `null`) = all of this client's active grants.
    pub grant_ids: Option<Vec<GrantId>>,
    /// Where to post execution webhooks, if anywhere.
    pub webhook_url: Option<WebhookUrl>,
}

impl Serialize for WebhookUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Answer to an execute request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecuteResponse {
    /// The new execution.
    pub execution_id: ExecutionId,
    /// Initial status (`queued`).
    pub status: ExecutionStatus,
    /// Human-readable message.
    #[serde(default)]
    pub message: Option<String>,
}

/// `GET /executions/{execution_id}` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionResult {
    /// The execution.
    pub execution_id: ExecutionId,
    /// Current status.
    pub status: ExecutionStatus,
    /// Start time, as sent.
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    /// Completion time, as sent.
    #[serde(default)]
    pub completed_at: Option<Timestamp>,
    /// Outputs: arbitrary JSON (`{name: [values]}` in the platform code).
    #[serde(default)]
    pub outputs: Option<Value>,
    /// Error message of a failed run.
    #[serde(default)]
    pub error: Option<String>,
}

/// `POST /executions/{execution_id}/cancel` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CancelResponse {
    /// Human-readable message.
    #[serde(default)]
    pub message: Option<String>,
    /// The cancelled execution.
    #[serde(default)]
    pub execution_id: Option<ExecutionId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_case_insensitive_and_keeps_unknown() {
        for (s, want) in [
            ("queued", ExecutionStatus::Queued),
            ("RUNNING", ExecutionStatus::Running),
            ("Completed", ExecutionStatus::Completed),
            ("FAILED", ExecutionStatus::Failed),
            ("TERMINATED", ExecutionStatus::Terminated),
            ("INCOMPLETE", ExecutionStatus::Incomplete),
            ("REVIEW", ExecutionStatus::Review),
        ] {
            assert_eq!(ExecutionStatus::parse(s), want);
        }
        let u = ExecutionStatus::parse("PAUSED");
        assert_eq!(u, ExecutionStatus::Unknown("PAUSED".into()));
        assert_eq!(u.as_str(), "PAUSED");
        assert!(!u.is_terminal());
    }

    #[test]
    fn terminal_states() {
        let terminal: Vec<_> = ["queued", "running", "completed", "failed", "terminated", "incomplete", "review"]
            .into_iter()
            .filter(|s| ExecutionStatus::parse(s).is_terminal())
            .collect();
        assert_eq!(terminal, ["completed", "failed", "terminated"]);
    }

    #[test]
    fn result_with_arbitrary_outputs() {
        let r: ExecutionResult = serde_json::from_str(
            r#"{"execution_id":"e1","status":"COMPLETED","started_at":"2025-01-01T00:00:00","completed_at":null,"outputs":{"out":[1,"x",{"y":null}]},"error":null}"#,
        )
        .unwrap();
        assert_eq!(r.status, ExecutionStatus::Completed);
        assert_eq!(r.outputs.unwrap()["out"][1], "x");
    }
}
