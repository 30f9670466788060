//! `GET /api/autogpt/events`: Server-Sent Events with the session's execution
//! and grant updates (B4), fed by webhook processing and polling on any
//! replica (PostgreSQL `LISTEN/NOTIFY`, or in-process on SQLite).

use std::convert::Infallible;
use std::time::Duration;

use app::api::events::LiveEvent;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use backend::Caller;
use futures::StreamExt;

use crate::AppState;

/// The event stream of the signed-in user (401 without a session).
pub async fn events(State(state): State<AppState>, caller: Caller) -> Response {
    let stream = state.ctx.events.subscribe_connection(caller.connection).map(|event| {
        let live = LiveEvent::from(event);
        Ok::<_, Infallible>(Event::default().event(live.name()).data(live.data_json()))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}
