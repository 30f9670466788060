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

/// The event stream of the signed-in user (401 without a session). It ends when the session
/// does: after announcing a sign-out (in any of the user's sessions), or at the session's
/// absolute lifetime (issue 11 item 3).
pub async fn events(State(state): State<AppState>, caller: Caller) -> Response {
    let max_age = i64::try_from(state.ctx.config.session_max_age.as_secs()).unwrap_or(i64::MAX);
    let left = caller.signed_in_at.saturating_add(max_age).saturating_sub(state.ctx.now()).max(0);
    let session_over = tokio::time::sleep(Duration::from_secs(left.unsigned_abs()));
    let stream = state
        .ctx
        .events
        .subscribe_connection(caller.connection)
        .map(LiveEvent::from)
        // Pass the sign-out on, then stop at once (a `None` right behind it ends the stream).
        .flat_map(|live| {
            let end = matches!(live, LiveEvent::SignedOut).then_some(None);
            futures::stream::iter(std::iter::once(Some(live)).chain(end))
        })
        .take_while(|live| std::future::ready(live.is_some()))
        .filter_map(std::future::ready)
        .map(|live| Ok::<_, Infallible>(Event::default().event(live.name()).data(live.data_json())))
        .take_until(session_over);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}
