//! The one place each server-side record becomes what the browser sees.

use backend::services::agents::ExecutionHistory;
use backend::services::connect::Attempt;
use backend::services::library::HistoryRun;
use backend::services::session::Summary;
use backend::storage::{ConnectionRecord, ConnectionStatus, ExecutionRecord, GrantRecord, InboxRecord};
use serde_json::Value;

use crate::api::{ExecutionView, GrantView, HomeSummary, SessionStatus, WebhookEventView};
use crate::connect_flow::PreparedAttempt;

/// A service result turned into its wire type (also through `Vec` and `Option`).
pub(crate) trait ToView {
    /// The wire type.
    type View;
    /// The conversion.
    fn to_view(self) -> Self::View;
}

impl<T: ToView> ToView for Vec<T> {
    type View = Vec<T::View>;
    fn to_view(self) -> Self::View {
        self.into_iter().map(ToView::to_view).collect()
    }
}

impl<T: ToView> ToView for Option<T> {
    type View = Option<T::View>;
    fn to_view(self) -> Self::View {
        self.map(ToView::to_view)
    }
}

/// JSON pretty-printed with two-space indentation (as the guide's `JSON.stringify(x, null, 2)`):
/// the browser shows text, so it needs no JSON parser.
pub(crate) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

impl ToView for ConnectionRecord {
    type View = SessionStatus;
    fn to_view(self) -> SessionStatus {
        SessionStatus {
            email: self.profile.email.unwrap_or_default(),
            name: self.profile.name.unwrap_or_default(),
            scopes: self.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            reconnect_required: self.status == ConnectionStatus::ReconnectRequired || !self.has_tokens,
            access_expires_at: self.access_expires_at,
        }
    }
}

impl ToView for Summary {
    type View = HomeSummary;
    fn to_view(self) -> HomeSummary {
        HomeSummary {
            session: Some(self.account.to_view()),
            grants: u64::try_from(self.grants).unwrap_or(u64::MAX),
            executions: u64::try_from(self.executions).unwrap_or(0),
        }
    }
}

impl ToView for GrantRecord {
    type View = GrantView;
    fn to_view(self) -> GrantView {
        GrantView {
            grant_id: self.grant_id.as_str().to_owned(),
            provider: self.provider.as_str().to_owned(),
            scopes: self.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        }
    }
}

impl ToView for ExecutionRecord {
    type View = ExecutionView;
    fn to_view(self) -> ExecutionView {
        ExecutionView {
            execution_id: self.execution_id.as_str().to_owned(),
            agent_id: self.agent_id.as_str().to_owned(),
            status: self.status.as_str().to_ascii_lowercase(),
            outputs: self.outputs.as_ref().filter(|o| !o.is_null()).map(pretty),
            terminal: self.is_final(),
            error: self.error,
            created_at: self.created_at,
            started: Some(super::runs::format_time(self.created_at)),
            duration: self.completed_at.map(|end| super::runs::format_duration((end - self.created_at).max(0) as f64)),
            cost: None,
            events: Vec::new(),
        }
    }
}

impl ToView for InboxRecord {
    type View = WebhookEventView;
    fn to_view(self) -> WebhookEventView {
        WebhookEventView { event: self.event, received_at: self.received_at, gave_up: self.dead_at.is_some() }
    }
}

impl ToView for ExecutionHistory {
    type View = ExecutionView;
    fn to_view(self) -> ExecutionView {
        ExecutionView { events: self.events.to_view(), ..self.record.to_view() }
    }
}

impl ToView for HistoryRun {
    type View = ExecutionView;
    fn to_view(self) -> ExecutionView {
        ExecutionView {
            execution_id: self.id,
            agent_id: self.agent,
            status: self.status.as_str().to_ascii_lowercase(),
            outputs: None,
            terminal: self.status.is_terminal(),
            error: self.error,
            created_at: self.started_at.unwrap_or_default(),
            started: self.started_at.map(super::runs::format_time),
            duration: self.duration_seconds.filter(|d| *d > 0.0).map(super::runs::format_duration),
            cost: self.cost_cents.map(super::runs::format_cost),
            events: Vec::new(),
        }
    }
}

impl ToView for Attempt {
    type View = PreparedAttempt;
    fn to_view(self) -> PreparedAttempt {
        PreparedAttempt {
            provider: self.provider.as_str().to_owned(),
            nonce: self.nonce.as_str().to_owned(),
            popup_url: self.popup_url.into(),
            platform_origin: self.platform_origin.as_str().to_owned(),
        }
    }
}

/// What the event stream sends for a bus event (the SSE route's one conversion).
impl From<backend::AppEvent> for crate::api::events::LiveEvent {
    fn from(event: backend::AppEvent) -> Self {
        use crate::api::LiveExecution;
        use crate::api::events::LiveEvent;
        use backend::AppEvent;
        let grant = |grant_id: autogpt::ids::GrantId, provider: autogpt::ids::Provider| GrantView {
            grant_id: grant_id.as_str().to_owned(),
            provider: provider.as_str().to_owned(),
            scopes: Vec::new(),
        };
        match event {
            AppEvent::ExecutionUpdated { execution_id, status, outputs, error } => {
                LiveEvent::ExecutionUpdated(LiveExecution {
                    execution_id: execution_id.as_str().to_owned(),
                    status: status.as_str().to_ascii_lowercase(),
                    terminal: status.is_terminal(),
                    outputs: outputs.filter(|o| !o.is_null()).map(|o| pretty(&o)),
                    error,
                })
            }
            AppEvent::GrantAdded { grant_id, provider } => LiveEvent::GrantAdded(grant(grant_id, provider)),
            AppEvent::GrantRevoked { grant_id, provider } => LiveEvent::GrantRevoked(grant(grant_id, provider)),
            AppEvent::SignedOut => LiveEvent::SignedOut,
        }
    }
}
