//! The event stream's contract, written once for both ends: the stream's path, each live
//! event with its SSE name, the server's encoding (JSON, `ssr`) and the browser's decoder.
//!
//! The browser reads event data with its own `JSON.parse` and then field by field through
//! [`MessageData`] (no JSON parser in the bundle); a native test decodes what the server
//! encodes, so the two ends cannot drift apart.

use autogpt::connect::MessageData;

use super::{GrantView, LiveExecution};

/// Where the browser subscribes (`GET`, Server-Sent Events; 401 without a session).
pub const STREAM_PATH: &str = "/api/autogpt/events";

/// Something the page should learn without polling.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveEvent {
    /// An execution's status or outputs changed.
    ExecutionUpdated(LiveExecution),
    /// A grant was added (a Connect result confirmed, maybe in another tab). Only its id and
    /// provider travel (`scopes` is empty): the page lists a grant's scopes from the grant
    /// list, which it reads when it loads.
    GrantAdded(GrantView),
    /// A grant was revoked on the platform (id and provider, as for [`LiveEvent::GrantAdded`]).
    GrantRevoked(GrantView),
    /// The user signed out (maybe in another tab or browser): this page's session has ended,
    /// and the stream ends after this event.
    SignedOut,
}

impl LiveEvent {
    /// SSE name of [`LiveEvent::ExecutionUpdated`].
    pub const EXECUTION_UPDATED: &'static str = "execution_updated";
    /// SSE name of [`LiveEvent::GrantAdded`].
    pub const GRANT_ADDED: &'static str = "grant_added";
    /// SSE name of [`LiveEvent::GrantRevoked`].
    pub const GRANT_REVOKED: &'static str = "grant_revoked";
    /// SSE name of [`LiveEvent::SignedOut`].
    pub const SIGNED_OUT: &'static str = "signed_out";
    /// What the connect panel listens to: the grant events and the end of the session.
    pub const CONNECT_PANEL_EVENTS: [&'static str; 3] = [Self::GRANT_ADDED, Self::GRANT_REVOKED, Self::SIGNED_OUT];

    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ExecutionUpdated(_) => Self::EXECUTION_UPDATED,
            Self::GrantAdded(_) => Self::GRANT_ADDED,
            Self::GrantRevoked(_) => Self::GRANT_REVOKED,
            Self::SignedOut => Self::SIGNED_OUT,
        }
    }

    /// Reads an event from its name and its parsed JSON data; `None` for an unknown name or
    /// data that lacks a required field.
    pub fn decode(name: &str, data: &impl MessageData) -> Option<Self> {
        Self::decode_account(name, data).or_else(|| Self::decode_execution(name, data))
    }

    /// [`LiveEvent::decode`] for the account events only (grants, sign-out): what the connect
    /// panel, in the main module, listens to. Decoders are split by listener so the main
    /// module carries no execution decoding (that lives with the lazy islands that use it).
    pub fn decode_account(name: &str, data: &impl MessageData) -> Option<Self> {
        let grant = || {
            Some(GrantView { grant_id: data.text("grant_id")?, provider: data.text("provider")?, scopes: Vec::new() })
        };
        match name {
            Self::GRANT_ADDED => grant().map(Self::GrantAdded),
            Self::GRANT_REVOKED => grant().map(Self::GrantRevoked),
            Self::SIGNED_OUT => Some(Self::SignedOut),
            _ => None,
        }
    }

    /// [`LiveEvent::decode`] for execution updates only (the agent runner, the history).
    pub fn decode_execution(name: &str, data: &impl MessageData) -> Option<Self> {
        (name == Self::EXECUTION_UPDATED).then_some(())?;
        Some(Self::ExecutionUpdated(LiveExecution {
            execution_id: data.text("execution_id")?,
            status: data.text("status")?,
            terminal: data.flag("terminal")?,
            outputs: data.text("outputs"),
            error: data.text("error"),
        }))
    }

    /// The SSE `data:` field: the view as JSON.
    #[cfg(feature = "ssr")]
    pub fn data_json(&self) -> String {
        let json = match self {
            Self::ExecutionUpdated(e) => serde_json::to_string(e),
            Self::GrantAdded(g) | Self::GrantRevoked(g) => serde_json::to_string(g),
            Self::SignedOut => Ok("{}".to_owned()),
        };
        // Plain structs of strings and flags always serialize.
        json.unwrap_or_else(|_| "{}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn round_trip(event: LiveEvent) {
        let data: Value = serde_json::from_str(&event.data_json()).unwrap();
        assert_eq!(LiveEvent::decode(event.name(), &data), Some(event));
    }

    #[test]
    fn every_event_round_trips_through_the_browser_decoder() {
        let grant = GrantView { grant_id: "g-1".into(), provider: "google".into(), scopes: vec![] };
        round_trip(LiveEvent::GrantAdded(grant.clone()));
        round_trip(LiveEvent::GrantRevoked(grant));
        round_trip(LiveEvent::SignedOut);
        for (outputs, error) in [(Some("{\n  \"a\": 1\n}".to_owned()), None), (None, Some("boom".to_owned()))] {
            round_trip(LiveEvent::ExecutionUpdated(LiveExecution {
                execution_id: "e-1".into(),
                status: "completed".into(),
                terminal: true,
                outputs,
                error,
            }));
        }
    }

    #[test]
    fn unknown_names_and_incomplete_data_decode_to_nothing() {
        let data = serde_json::json!({"grant_id": "g-1"});
        assert_eq!(LiveEvent::decode("grant_added", &data), None);
        assert_eq!(LiveEvent::decode("something_else", &serde_json::json!({})), None);
    }
}
