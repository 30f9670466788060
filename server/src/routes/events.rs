//! `GET /api/autogpt/events`: Server-Sent Events with the session's execution
//! and grant updates (B4), fed by webhook processing and polling on any
//! replica (PostgreSQL `LISTEN/NOTIFY`, or in-process on SQLite).

use std::convert::Infallible;
use std::time::Duration;

use app::api::{GrantView, LiveExecution};
use app::server::AppEvent;
use app::service::agents::pretty;
use app::service::session::signed_in;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tower_sessions::Session;

use crate::AppState;

/// The event stream of the signed-in user (401 without a session).
pub async fn events(State(state): State<AppState>, session: Session) -> Response {
    let Some(connection) = signed_in(&session).await else {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    };
    let stream = state.ctx.events.subscribe_connection(connection).map(|event| Ok::<_, Infallible>(to_sse(event)));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}

/// One SSE event: its name tells the page what changed; data is the view the page shows.
fn to_sse(event: AppEvent) -> Event {
    let (name, data) = match event {
        AppEvent::ExecutionUpdated { execution_id, status, outputs, error } => {
            let live = LiveExecution {
                execution_id: execution_id.as_str().to_owned(),
                status: status.as_str().to_ascii_lowercase(),
                terminal: status.is_terminal(),
                outputs: outputs.filter(|o| !o.is_null()).map(|o| pretty(&o)),
                error,
            };
            ("execution_updated", serde_json::to_string(&live))
        }
        AppEvent::GrantRevoked { grant_id, provider } => (
            "grant_revoked",
            serde_json::to_string(&GrantView {
                grant_id: grant_id.as_str().into(),
                provider: provider.as_str().into(),
                scopes: vec![],
            }),
        ),
        AppEvent::GrantAdded { grant_id, provider } => (
            "grant_added",
            serde_json::to_string(&GrantView {
                grant_id: grant_id.as_str().into(),
                provider: provider.as_str().into(),
                scopes: vec![],
            }),
        ),
    };
    Event::default().event(name).data(data.unwrap_or_else(|_| "{}".into()))
}
