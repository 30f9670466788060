//! Runs (`READ_RUN`, `WRITE_RUN`): one run with outputs and node executions, the list (newest
//! first, filters), stop (`202`, or `409` once finished) and delete (`204`). Another user's run
//! is `404` as if absent.

use axum::Json;
use axum::extract::{Extension, OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::Error;
use crate::live::engine;
use crate::live::model::{Run, RunStatus};
use crate::live::v2::auth::Principal;
use crate::live::v2::paging::{self, Kind};
use crate::live::v2::query::Query;
use crate::live::v2::{ts, views};
use crate::state::AppState;

pub fn not_found(id: &str) -> Error {
    Error::v2(StatusCode::NOT_FOUND, format!("Run #{id} not found"))
}

/// The caller's run, or 404.
pub fn mine(state: &AppState, user_id: &str, id: &str) -> Result<Run, Error> {
    state.db().live.run(id).filter(|r| r.user_id == user_id).cloned().ok_or_else(|| not_found(id))
}

/// `GET /runs/{run_id}` → `AgentGraphRunDetails`.
pub async fn get(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    p.require(&["READ_RUN"])?;
    let run = mine(&state, &p.user.id, &id)?;
    Ok(Json(views::run_details(&run, ts(&state))))
}

/// `GET /runs?graph_id=&statuses=…&started_after=&started_before=&limit=&cursor=`
pub async fn list(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, Error> {
    p.require(&["READ_RUN"])?;
    let mut q = Query::parse(raw.as_deref());
    let limit = q.limit();
    let names: Vec<&str> = RunStatus::ALL.iter().map(|s| s.as_str()).collect();
    let statuses = q.enums("statuses", &names, RunStatus::parse);
    let after = q.datetime("started_after");
    let before = q.datetime("started_before");
    let graph_id = q.get("graph_id").map(str::to_owned);
    let cursor = q.get("cursor").map(str::to_owned);
    q.finish("GET", uri.path())?;
    let offset = paging::decode(Kind::Runs, cursor.as_deref())?;
    let ts = ts(&state);
    let db = state.db();
    let mut runs: Vec<&Run> = db
        .live
        .runs
        .iter()
        .filter(|r| r.user_id == p.user.id)
        .filter(|r| graph_id.as_deref().is_none_or(|g| r.graph_id == g))
        .filter(|r| statuses.is_empty() || statuses.contains(&r.status))
        .filter(|r| after.is_none_or(|a| r.created_at_ms >= a))
        .filter(|r| before.is_none_or(|b| r.created_at_ms <= b))
        .collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.seq));
    let items: Vec<Value> = runs.into_iter().map(|r| views::run(r, ts)).collect();
    Ok(Json(paging::page(Kind::Runs, items, offset, limit)))
}

/// `POST /runs/{run_id}/stop` → `202` with the run (the sandbox stops at once: `TERMINATED`).
pub async fn stop(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    p.require(&["WRITE_RUN"])?;
    let run = {
        let mut db = state.db();
        let run = db.live.run_mut(&id).filter(|r| r.user_id == p.user.id).ok_or_else(|| not_found(&id))?;
        engine::stop(run).map_err(|status| {
            Error::v2(StatusCode::CONFLICT, format!("Run #{id} has already finished ({})", status.as_str()))
        })?;
        run.clone()
    };
    Ok((StatusCode::ACCEPTED, Json(views::run(&run, ts(&state)))).into_response())
}

/// `DELETE /runs/{run_id}` → `204`; its reviews go with it and its idempotency key is released.
pub async fn delete(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    p.require(&["WRITE_RUN"])?;
    let mut db = state.db();
    let before = db.live.runs.len();
    db.live.runs.retain(|r| !(r.id == id && r.user_id == p.user.id));
    if db.live.runs.len() == before {
        return Err(not_found(&id));
    }
    // A task still executing the run finds it gone and ends.
    db.live.reviews.retain(|r| r.run_id != id);
    db.live.idempotency.retain(|k| k.run_id.as_deref() != Some(id.as_str()));
    Ok(StatusCode::NO_CONTENT)
}
