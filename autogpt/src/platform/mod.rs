//! The profile-neutral view of "the platform": what the guide contract and the live contract
//! both do, in one set of types, so the app can store and show them without caring which
//! contract produced them. The async seam over them is `client::Platform` (feature `client`).
//!
//! | common type | guide source | live source |
//! |---|---|---|
//! | [`Identity`] | `GET /oauth/userinfo` ([`UserInfo`]) | `GET /me` ([`Me`]) |
//! | [`ConnectedCredential`] | grants ([`Grant`]) | credentials ([`CredentialInfo`]) |
//! | [`RunSnapshot`] | executions ([`ExecutionResult`], [`ExecuteResponse`]) | runs ([`Run`]) |
//! | status | [`ExecutionStatus`] | [`RunStatus`], converted into [`ExecutionStatus`] |
//! | tokens | [`crate::types::TokenResponse`] | `LiveTokenResponse::into_token_response` |
//!
//! A run is identified by an [`ExecutionId`] in both profiles (a live [`RunId`] converts
//! losslessly: both are opaque strings). What only one contract has stays in its own types.

use std::fmt;

use serde_json::Value;

use crate::ids::{CredentialId, ExecutionId, GrantId, Provider, Timestamp, UserId};
use crate::live::api::{CredentialInfo, Me, NodeId, Outputs, Run, RunId, RunStatus};
use crate::scope::ProviderScope;
use crate::types::{ExecuteResponse, ExecutionResult, ExecutionStatus, Grant, UserInfo};

/// Which contract the platform speaks (`AUTOGPT_PROFILE=guide|live`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The integration guide's design (PR #11583): `/oauth/*`, Connect popup, v1 executions,
    /// webhooks.
    Guide,
    /// What AutoGPT ships: `/api/oauth/*`, the setup wizard, External API v2.
    Live,
}

/// A string that is neither `guide` nor `live`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("profile must be `guide` or `live`")]
pub struct InvalidProfile;

impl Profile {
    /// Reads `guide` or `live` (ASCII case ignored).
    pub fn parse(s: &str) -> Result<Self, InvalidProfile> {
        match s.trim().to_ascii_lowercase().as_str() {
            "guide" => Ok(Self::Guide),
            "live" => Ok(Self::Live),
            _ => Err(InvalidProfile),
        }
    }

    /// `guide` or `live`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guide => "guide",
            Self::Live => "live",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Stable platform user id (`sub` / `user_id`).
    pub user_id: UserId,
    /// E-mail address, if known.
    pub email: Option<String>,
    /// Display name, if known.
    pub name: Option<String>,
}

impl From<UserInfo> for Identity {
    fn from(u: UserInfo) -> Self {
        Self { user_id: u.sub, email: u.email, name: u.name }
    }
}

impl From<Me> for Identity {
    fn from(m: Me) -> Self {
        Self { user_id: m.user_id, email: Some(m.email), name: m.name }
    }
}

/// The id of a connected credential: a guide grant or a live credential.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConnectedCredentialId {
    /// A guide grant (`grant_id`).
    Grant(GrantId),
    /// A live credential (`credentials_inputs.<field>.id`).
    Credential(CredentialId),
}

impl ConnectedCredentialId {
    /// The id string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Grant(g) => g.as_str(),
            Self::Credential(c) => c.as_str(),
        }
    }
}

/// A third-party account the user connected (Google, GitHub...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectedCredential {
    /// Its id.
    pub id: ConnectedCredentialId,
    /// The provider.
    pub provider: Provider,
    /// Granted scopes (guide: the grant's; live: the OAuth2 credential's provider scopes).
    pub scopes: Vec<ProviderScope>,
    /// User-assigned title (live only).
    pub title: Option<String>,
}

impl From<Grant> for ConnectedCredential {
    fn from(g: Grant) -> Self {
        Self {
            id: ConnectedCredentialId::Grant(g.id),
            provider: g.provider,
            scopes: g.granted_scopes.into_iter().map(ProviderScope::from).collect(),
            title: None,
        }
    }
}

impl From<CredentialInfo> for ConnectedCredential {
    fn from(c: CredentialInfo) -> Self {
        Self { id: ConnectedCredentialId::Credential(c.id), provider: c.provider, scopes: c.scopes, title: c.title }
    }
}

impl From<RunStatus> for ExecutionStatus {
    fn from(s: RunStatus) -> Self {
        match s {
            RunStatus::Incomplete => Self::Incomplete,
            RunStatus::Queued => Self::Queued,
            RunStatus::Running => Self::Running,
            RunStatus::Review => Self::Review,
            RunStatus::Completed => Self::Completed,
            RunStatus::Failed => Self::Failed,
            RunStatus::Terminated => Self::Terminated,
            RunStatus::Unknown(u) => Self::Unknown(u),
        }
    }
}

impl From<RunId> for ExecutionId {
    fn from(r: RunId) -> Self {
        Self::new(r.as_str())
    }
}

impl From<&ExecutionId> for RunId {
    fn from(e: &ExecutionId) -> Self {
        Self::new(e.as_str())
    }
}

/// An error a run reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    /// The failed block's node (live), `None` for a run-level error (guide).
    pub node_id: Option<NodeId>,
    /// The message, to show as text.
    pub message: String,
}

/// One reading of a run, whichever contract it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSnapshot {
    /// The run (guide execution id, or live run id).
    pub id: ExecutionId,
    /// Its status.
    pub status: ExecutionStatus,
    /// Output name → values (see [`RunSnapshot::from_guide`] for the guide's shapes).
    pub outputs: Outputs,
    /// Errors: the guide's `error`, or the live FAILED blocks' `outputs.error`. A completed
    /// run with errors is a warning.
    pub errors: Vec<RunError>,
    /// Started.
    pub started_at: Option<Timestamp>,
    /// Ended (guide `completed_at`, live `ended_at`).
    pub ended_at: Option<Timestamp>,
    /// Cost in US cents (live only).
    pub cost_cents: Option<i64>,
    /// Wall-clock seconds (live only).
    pub duration_seconds: Option<f64>,
}

impl RunSnapshot {
    /// From a guide status answer. `outputs` in the platform code's `{name: [values]}` form is
    /// kept; a value that is not a list becomes a list of one; non-object outputs are kept
    /// under the name `output`.
    pub fn from_guide(r: ExecutionResult) -> Self {
        Self {
            id: r.execution_id,
            status: r.status,
            outputs: guide_outputs(r.outputs),
            errors: r.error.into_iter().map(|message| RunError { node_id: None, message }).collect(),
            started_at: r.started_at,
            ended_at: r.completed_at,
            cost_cents: None,
            duration_seconds: None,
        }
    }

    /// From a guide execute answer (queued, nothing else known yet).
    pub fn from_guide_start(r: ExecuteResponse) -> Self {
        Self {
            id: r.execution_id,
            status: r.status,
            outputs: Outputs::new(),
            errors: Vec::new(),
            started_at: None,
            ended_at: None,
            cost_cents: None,
            duration_seconds: None,
        }
    }

    /// From a live run (details or list entry).
    pub fn from_live(r: Run) -> Self {
        let errors =
            r.block_errors().into_iter().map(|e| RunError { node_id: Some(e.node_id), message: e.message }).collect();
        Self {
            id: r.id.into(),
            status: r.status.into(),
            outputs: r.outputs.unwrap_or_default(),
            errors,
            started_at: r.started_at,
            ended_at: r.ended_at,
            cost_cents: Some(r.cost_cents),
            duration_seconds: Some(r.duration_seconds),
        }
    }

    /// True when the status is final.
    pub fn is_final(&self) -> bool {
        self.status.is_terminal()
    }
}

fn guide_outputs(outputs: Option<Value>) -> Outputs {
    match outputs {
        None | Some(Value::Null) => Outputs::new(),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| match v {
                Value::Array(a) => (k, a),
                other => (k, vec![other]),
            })
            .collect(),
        Some(other) => Outputs::from([("output".to_owned(), vec![other])]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn profiles() {
        assert_eq!(Profile::parse(" Live ").unwrap(), Profile::Live);
        assert_eq!(Profile::parse("guide").unwrap().to_string(), "guide");
        assert!(Profile::parse("v2").is_err());
    }

    #[test]
    fn snapshots_from_both_contracts() {
        let g: ExecutionResult = serde_json::from_value(json!({
            "execution_id": "e1", "status": "FAILED", "started_at": "2025-01-01T00:00:00",
            "completed_at": "2025-01-01T00:00:05", "outputs": {"a": [1], "b": "x"}, "error": "Block failed: timeout"
        }))
        .unwrap();
        let s = RunSnapshot::from_guide(g);
        assert_eq!(s.status, ExecutionStatus::Failed);
        assert_eq!(s.outputs["b"], [json!("x")]);
        assert_eq!(s.errors, [RunError { node_id: None, message: "Block failed: timeout".into() }]);
        assert!(s.is_final() && s.cost_cents.is_none());
        let odd: ExecutionResult =
            serde_json::from_value(json!({"execution_id": "e2", "status": "completed", "outputs": [1, 2]})).unwrap();
        assert_eq!(RunSnapshot::from_guide(odd).outputs["output"], [json!([1, 2])]);

        let l: Run = serde_json::from_value(json!({
            "id": "r1", "graph_id": "g", "status": "REVIEW", "cost_cents": 12, "duration_seconds": 1.5,
            "outputs": {"answer": ["42"]},
            "node_executions": [{"node_id": "n9", "status": "FAILED", "outputs": {"error": ["boom"]}}]
        }))
        .unwrap();
        let s = RunSnapshot::from_live(l);
        assert_eq!(s.id.as_str(), "r1");
        assert_eq!(s.status, ExecutionStatus::Review);
        assert!(!s.is_final());
        assert_eq!((s.cost_cents, s.duration_seconds), (Some(12), Some(1.5)));
        assert_eq!(s.errors[0].node_id.as_ref().unwrap().as_str(), "n9");
        for st in RunStatus::ALL {
            let common: ExecutionStatus = st.clone().into();
            assert_eq!(common.is_terminal(), st.is_final(), "{st}");
            assert_eq!(common.as_str(), st.as_str().to_ascii_lowercase());
        }
    }

    #[test]
    fn identities_and_credentials() {
        let me: Me =
            serde_json::from_value(json!({"user_id": "u1", "email": "a@b.c", "name": null, "scopes": ["IDENTITY"]}))
                .unwrap();
        assert_eq!(
            Identity::from(me),
            Identity { user_id: UserId::new("u1"), email: Some("a@b.c".into()), name: None }
        );
        let g: Grant = serde_json::from_value(
            json!({"id": "g1", "provider": "google", "granted_scopes": ["google:gmail.readonly"]}),
        )
        .unwrap();
        let c = ConnectedCredential::from(g);
        assert_eq!((c.id.as_str(), c.scopes[0].as_str()), ("g1", "google:gmail.readonly"));
        let info: CredentialInfo = serde_json::from_value(
            json!({"id": "c1", "type": "oauth2", "provider": "github", "title": "Work", "scopes": ["repo"]}),
        )
        .unwrap();
        let c = ConnectedCredential::from(info);
        assert_eq!(c.id, ConnectedCredentialId::Credential(CredentialId::new("c1")));
        assert_eq!(c.title.as_deref(), Some("Work"));
    }
}
