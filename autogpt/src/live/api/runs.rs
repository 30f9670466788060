//! Runs (contract §4.11–4.14): the start request, the run object (`AgentGraphRun` and, from
//! `GET /runs/{id}`, its details), statuses, filters, and the block errors of a run.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::credentials::CredentialsInput;
use super::de::{Outputs, null_default, outputs, outputs_or_empty};
use super::ids::{GraphId, NodeId, OrganizationId, PresetId, RunId, TeamId};
use super::page::PageRequest;
use crate::ids::Timestamp;
use crate::secret::ShareToken;

/// A run's (or node execution's) status. Parsed ignoring ASCII case; printed upper case as
/// the platform sends and filters them; unknown values are kept and are not final.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Created, not yet handed to an executor (may briefly follow a start).
    Incomplete,
    /// Waiting for an executor (the normal answer to a start).
    Queued,
    /// Executing.
    Running,
    /// Paused for a human-in-the-loop review; waits indefinitely.
    Review,
    /// Reached the end — not proof every block succeeded (see [`Run::block_errors`]).
    Completed,
    /// Stopped by an error.
    Failed,
    /// Stopped by a user or the platform.
    Terminated,
    /// Another value, kept verbatim.
    Unknown(String),
}

impl RunStatus {
    /// The seven statuses of the contract.
    pub const ALL: [RunStatus; 7] =
        [Self::Incomplete, Self::Queued, Self::Running, Self::Review, Self::Completed, Self::Failed, Self::Terminated];

    /// Reads a status, ignoring ASCII case.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "INCOMPLETE" => Self::Incomplete,
            "QUEUED" => Self::Queued,
            "RUNNING" => Self::Running,
            "REVIEW" => Self::Review,
            "COMPLETED" => Self::Completed,
            "FAILED" => Self::Failed,
            "TERMINATED" => Self::Terminated,
            _ => Self::Unknown(s.to_owned()),
        }
    }

    /// The wire form (upper case; unknown values as received).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Incomplete => "INCOMPLETE",
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Review => "REVIEW",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Terminated => "TERMINATED",
            Self::Unknown(s) => s,
        }
    }

    /// True for the statuses a run never leaves: completed, failed, terminated.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Terminated)
    }

    /// True while `POST /runs/{id}/stop` can stop it (not final).
    pub fn is_stoppable(&self) -> bool {
        matches!(self, Self::Incomplete | Self::Queued | Self::Running | Self::Review)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RunStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RunStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// The body of `POST /library/agents/{agent_id}/runs` (`AgentRunRequest`). `Debug` shows the
/// input names, not their values: an input the agent marks `secret` holds one.
#[derive(Clone, Default, PartialEq, Serialize)]
pub struct RunRequest {
    /// Input name → JSON value (see [`crate::live::schema::check_form`]).
    pub inputs: Map<String, Value>,
    /// Credentials field name → the credential to use.
    pub credentials_inputs: BTreeMap<String, CredentialsInput>,
}

/// One executed block of a run. `Debug` shows input names only.
#[derive(Clone, PartialEq, Deserialize)]
pub struct NodeExecution {
    /// The graph node (there is no node-execution id or block id here).
    pub node_id: NodeId,
    /// Its status.
    pub status: RunStatus,
    /// Its inputs.
    #[serde(default, deserialize_with = "null_default")]
    pub inputs: Map<String, Value>,
    /// Pin name → values; a failed block usually has `error: ["<message>"]`.
    #[serde(default, deserialize_with = "outputs_or_empty")]
    pub outputs: Outputs,
    /// Started.
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    /// Ended.
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
}

/// The error a failed block reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockError {
    /// The block's node.
    pub node_id: NodeId,
    /// The message (`outputs.error`; a non-string value as JSON text).
    pub message: String,
}

/// A run: `AgentGraphRun` (start, stop, `GET /runs`) or, with `outputs` and
/// `node_executions`, `AgentGraphRunDetails` (`GET /runs/{run_id}`). Unknown fields are
/// ignored. `Debug` redacts the share token and shows input names only (values of `secret`
/// inputs are echoed in `inputs`).
#[derive(Clone, PartialEq, Deserialize)]
pub struct Run {
    /// Run id.
    pub id: RunId,
    /// Graph run.
    pub graph_id: GraphId,
    /// Graph version run.
    #[serde(default, deserialize_with = "null_default")]
    pub graph_version: i64,
    /// Status.
    pub status: RunStatus,
    /// Started.
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    /// Ended.
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
    /// The inputs it was started with.
    #[serde(default)]
    pub inputs: Option<Map<String, Value>>,
    /// The credentials it was started with (no secrets).
    #[serde(default)]
    pub credentials_inputs: Option<BTreeMap<String, CredentialsInput>>,
    /// The preset it came from.
    #[serde(default)]
    pub preset_id: Option<PresetId>,
    /// Shared publicly.
    #[serde(default, deserialize_with = "null_default")]
    pub is_shared: bool,
    /// The share token (secret: the share link reads the run).
    #[serde(default)]
    pub share_token: Option<ShareToken>,
    /// Cost in US cents (0 until known).
    #[serde(default, deserialize_with = "null_default")]
    pub cost_cents: i64,
    /// Wall-clock seconds (0 until known).
    #[serde(default, deserialize_with = "null_default")]
    pub duration_seconds: f64,
    /// Number of node executions.
    #[serde(default, deserialize_with = "null_default")]
    pub node_exec_count: i64,
    /// AI-generated correctness score, 0–1.
    #[serde(default)]
    pub correctness_score: Option<f64>,
    /// Organization.
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    /// Team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// Details only: output name → values, partial while running. `None` in lists.
    #[serde(default, deserialize_with = "outputs")]
    pub outputs: Option<Outputs>,
    /// Details only: one entry per executed block; `None` = no detail available.
    #[serde(default)]
    pub node_executions: Option<Vec<NodeExecution>>,
}

/// `Debug` of an inputs object: its names, values redacted.
struct InputNames<'a>(Option<&'a Map<String, Value>>);

impl fmt::Debug for InputNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("None"),
            Some(m) => f.debug_map().entries(m.keys().map(|k| (k, format_args!("[redacted]")))).finish(),
        }
    }
}

impl fmt::Debug for RunRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunRequest")
            .field("inputs", &InputNames(Some(&self.inputs)))
            .field("credentials_inputs", &self.credentials_inputs)
            .finish()
    }
}

impl fmt::Debug for NodeExecution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeExecution")
            .field("node_id", &self.node_id)
            .field("status", &self.status)
            .field("inputs", &InputNames(Some(&self.inputs)))
            .field("outputs", &self.outputs)
            .field("started_at", &self.started_at)
            .field("ended_at", &self.ended_at)
            .finish()
    }
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("id", &self.id)
            .field("graph_id", &self.graph_id)
            .field("graph_version", &self.graph_version)
            .field("status", &self.status)
            .field("started_at", &self.started_at)
            .field("ended_at", &self.ended_at)
            .field("inputs", &InputNames(self.inputs.as_ref()))
            .field("credentials_inputs", &self.credentials_inputs)
            .field("preset_id", &self.preset_id)
            .field("is_shared", &self.is_shared)
            .field("share_token", &self.share_token)
            .field("cost_cents", &self.cost_cents)
            .field("duration_seconds", &self.duration_seconds)
            .field("node_exec_count", &self.node_exec_count)
            .field("correctness_score", &self.correctness_score)
            .field("organization_id", &self.organization_id)
            .field("team_id", &self.team_id)
            .field("outputs", &self.outputs)
            .field("node_executions", &self.node_executions)
            .finish()
    }
}

impl Run {
    /// True when the status is final.
    pub fn is_final(&self) -> bool {
        self.status.is_final()
    }

    /// The values of one output (an output can be produced several times).
    pub fn output(&self, name: &str) -> Option<&[Value]> {
        self.outputs.as_ref()?.get(name).map(Vec::as_slice)
    }

    /// The last value of one output (what most agents mean by "the" output).
    pub fn last_output(&self, name: &str) -> Option<&Value> {
        self.output(name)?.last()
    }

    /// The errors of the FAILED node executions (`outputs.error`), in order. A `COMPLETED`
    /// run can have some: show it as a warning.
    pub fn block_errors(&self) -> Vec<BlockError> {
        let nodes = self.node_executions.as_deref().unwrap_or_default();
        nodes
            .iter()
            .filter(|n| n.status == RunStatus::Failed)
            .flat_map(|n| {
                let messages = n.outputs.get("error").map(Vec::as_slice).unwrap_or_default();
                messages.iter().map(move |m| BlockError {
                    node_id: n.node_id.clone(),
                    message: match m {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                })
            })
            .collect()
    }

    /// The contract's success test: `COMPLETED`, no failed block, and every `needed` output
    /// present.
    pub fn succeeded_with(&self, needed: &[&str]) -> bool {
        self.status == RunStatus::Completed
            && self.block_errors().is_empty()
            && needed.iter().all(|n| self.output(n).is_some_and(|v| !v.is_empty()))
    }
}

/// `GET /runs` filters (newest first).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunsQuery {
    /// Runs of this graph (a graph id, not a library agent id).
    pub graph_id: Option<GraphId>,
    /// Any of these statuses (sent as repeated `statuses=`).
    pub statuses: Vec<RunStatus>,
    /// Created at or after.
    pub started_after: Option<OffsetDateTime>,
    /// Created at or before.
    pub started_before: Option<OffsetDateTime>,
    /// Which page.
    pub page: PageRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_case_insensitive_and_final() {
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.as_str()), s);
            assert_eq!(RunStatus::parse(&s.as_str().to_ascii_lowercase()), s);
        }
        let finals: Vec<_> = RunStatus::ALL.iter().filter(|s| s.is_final()).map(RunStatus::as_str).collect();
        assert_eq!(finals, ["COMPLETED", "FAILED", "TERMINATED"]);
        let u = RunStatus::parse("Paused");
        assert_eq!(u, RunStatus::Unknown("Paused".into()));
        assert!(!u.is_final() && !u.is_stoppable());
        assert!(RunStatus::Review.is_stoppable());
    }

    #[test]
    fn outputs_block_errors_and_secret_share_token() {
        let run: Run = serde_json::from_str(
            r#"{"id":"r1","graph_id":"g1","graph_version":2,"status":"completed","share_token":"tok-SECRET",
                "outputs":{"answer":["a","b"],"odd":7},
                "node_executions":[
                  {"node_id":"n1","status":"COMPLETED","inputs":{},"outputs":{"answer":["a"]}},
                  {"node_id":"n2","status":"FAILED","inputs":{},"outputs":{"error":["Timeout", {"code":1}]}},
                  {"node_id":"n3","status":"FAILED","inputs":null,"outputs":null}
                ],"future_field":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(run.status, RunStatus::Completed);
        assert_eq!(run.last_output("answer"), Some(&Value::from("b")));
        assert_eq!(run.output("odd").unwrap(), [Value::from(7)]);
        let errors = run.block_errors();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0], BlockError { node_id: NodeId::new("n2"), message: "Timeout".into() });
        assert_eq!(errors[1].message, r#"{"code":1}"#);
        assert!(!run.succeeded_with(&["answer"]));
        assert!(!format!("{run:?}").contains("tok-SECRET"), "item 37");
        assert_eq!(run.cost_cents, 0);
    }

    /// Checklist 37: values of (possibly `secret`) inputs stay out of `Debug`.
    #[test]
    fn item37_inputs_redacted_in_debug() {
        let run: Run = serde_json::from_str(
            r#"{"id":"r1","graph_id":"g","status":"QUEUED","inputs":{"api_token":"sk-SECRET"},
                "node_executions":[{"node_id":"n","status":"RUNNING","inputs":{"api_token":"sk-SECRET"}}]}"#,
        )
        .unwrap();
        let mut inputs = Map::new();
        inputs.insert("api_token".into(), "sk-SECRET".into());
        let req = RunRequest { inputs, credentials_inputs: BTreeMap::new() };
        let shown = format!("{run:?} {req:?}");
        assert!(!shown.contains("sk-SECRET"), "{shown}");
        assert!(shown.contains("api_token"), "{shown}");
    }
}
