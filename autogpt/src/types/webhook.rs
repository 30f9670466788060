//! Webhook body: the envelope `{"event","timestamp","data"}` and the typed events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{AgentId, CredentialId, ExecutionId, GrantId, Provider, Timestamp};
use crate::types::ExecutionStatus;

/// The webhook body as sent. `data` stays JSON until [`WebhookEnvelope::event`] types it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEnvelope {
    /// Event name, e.g. `execution.completed`.
    pub event: String,
    /// When the platform built the event (covered by the platform-form signature).
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
    /// Event data.
    #[serde(default)]
    pub data: Value,
}

/// A typed webhook event. Unknown events are kept so the receiver can acknowledge and ignore
/// them (checklist 59) instead of making the platform retry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data")]
pub enum WebhookEvent {
    /// `execution.started`
    #[serde(rename = "execution.started")]
    ExecutionStarted {
        /// Execution.
        execution_id: ExecutionId,
        /// Agent.
        #[serde(default)]
        agent_id: Option<AgentId>,
        /// Status (`running`).
        #[serde(default)]
        status: Option<ExecutionStatus>,
    },
    /// `execution.completed`
    #[serde(rename = "execution.completed")]
    ExecutionCompleted {
        /// Execution.
        execution_id: ExecutionId,
        /// Agent.
        #[serde(default)]
        agent_id: Option<AgentId>,
        /// Outputs: arbitrary JSON.
        #[serde(default)]
        outputs: Value,
    },
    /// `execution.failed`
    #[serde(rename = "execution.failed")]
    ExecutionFailed {
        /// Execution.
        execution_id: ExecutionId,
        /// Agent.
        #[serde(default)]
        agent_id: Option<AgentId>,
        /// Error message.
        #[serde(default)]
        error: Option<String>,
    },
    /// `grant.revoked`
    #[serde(rename = "grant.revoked")]
    GrantRevoked {
        /// Revoked grant.
        grant_id: GrantId,
        /// Its credential.
        #[serde(default)]
        credential_id: Option<CredentialId>,
        /// Its provider.
        #[serde(default)]
        provider: Option<Provider>,
    },
    /// Any other event name, with its data untouched.
    #[serde(skip)]
    Unknown {
        /// The event name.
        event: String,
        /// The data.
        data: Value,
    },
}

impl WebhookEnvelope {
    /// Types the event. A known event whose data lacks its id is `Err` with the reason.
    pub fn event(&self) -> Result<WebhookEvent, serde_json::Error> {
        self.clone().into_event()
    }

    /// Like [`WebhookEnvelope::event`], without copying the data.
    pub fn into_event(self) -> Result<WebhookEvent, serde_json::Error> {
        match self.event.as_str() {
            "execution.started" | "execution.completed" | "execution.failed" | "grant.revoked" => {
                let mut tagged = serde_json::Map::with_capacity(2);
                tagged.insert("event".to_owned(), Value::String(self.event));
                tagged.insert("data".to_owned(), self.data);
                serde_json::from_value(Value::Object(tagged))
            }
            _ => Ok(WebhookEvent::Unknown { event: self.event, data: self.data }),
        }
    }

    /// The id the event is about: `data.grant_id` for `grant.revoked`, else
    /// `data.execution_id`, else `data.grant_id`.
    pub fn subject_id(&self) -> Option<&str> {
        // A revocation is about its grant even when its data also names an execution:
        // keyed by that execution, two revocations of different grants would be one delivery.
        if self.event == "grant.revoked" {
            return self.data.get("grant_id").and_then(Value::as_str);
        }
        self.data.get("execution_id").or_else(|| self.data.get("grant_id")).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(json: &str) -> WebhookEnvelope {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn typed_events() {
        let e = env(
            r#"{"event":"execution.completed","timestamp":"2025-01-01T00:00:00+00:00","data":{"execution_id":"e1","agent_id":"a1","status":"completed","outputs":{"x":[1]}}}"#,
        );
        match e.event().unwrap() {
            WebhookEvent::ExecutionCompleted { execution_id, outputs, .. } => {
                assert_eq!(execution_id.as_str(), "e1");
                assert_eq!(outputs["x"][0], 1);
            }
            other => panic!("{other:?}"),
        }
        let e = env(
            r#"{"event":"grant.revoked","timestamp":"t","data":{"grant_id":"g1","credential_id":"c1","provider":"google"}}"#,
        );
        assert!(matches!(e.event().unwrap(), WebhookEvent::GrantRevoked { .. }));
        assert_eq!(e.subject_id(), Some("g1"));
    }

    /// Checklist 59: unknown events are kept, not errors.
    #[test]
    fn item59_unknown_event_kept() {
        let e = env(r#"{"event":"agent.updated","timestamp":"t","data":{"k":1}}"#);
        assert_eq!(
            e.event().unwrap(),
            WebhookEvent::Unknown { event: "agent.updated".into(), data: serde_json::json!({"k":1}) }
        );
    }
}
