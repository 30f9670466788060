//! Human-in-the-loop reviews: `GET /runs/reviews` (`READ_RUN_REVIEW`) and
//! `POST /runs/{run_id}/reviews` (`WRITE_RUN_REVIEW`) with the error cases of
//! `review/service.py`. Every waiting review of the run must be answered in one request (Q9:
//! 400 otherwise, unless `reviews_allow_partial`); once none waits the run resumes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::Error;
use crate::live::engine;
use crate::live::model::{ReviewStatus, RunStatus};
use crate::live::v2::auth::Principal;
use crate::live::v2::paging::{self, Kind};
use crate::live::v2::query::Query;
use crate::live::v2::runs::not_found;
use crate::live::v2::{ts, views};
use crate::live::validation::{Fields, error};
use crate::state::{AppState, now_ms};

const MAX_MESSAGE_CHARS: usize = 2000;

/// `GET /runs/reviews?run_id=&status=&limit=&cursor=`, oldest request first.
pub async fn list(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, Error> {
    p.require(&["READ_RUN_REVIEW"])?;
    let mut q = Query::parse(raw.as_deref());
    let limit = q.limit();
    let status = q.enums("status", &["WAITING", "APPROVED", "REJECTED"], ReviewStatus::parse).pop();
    let run_id = q.get("run_id").map(str::to_owned);
    let cursor = q.get("cursor").map(str::to_owned);
    q.finish("GET", uri.path())?;
    let offset = paging::decode(Kind::Reviews, cursor.as_deref())?;
    let ts = ts(&state);
    let items: Vec<Value> = state
        .db()
        .live
        .reviews
        .iter()
        .filter(|r| r.user_id == p.user.id)
        .filter(|r| run_id.as_deref().is_none_or(|id| r.run_id == id))
        .filter(|r| status.is_none_or(|s| r.status == s))
        .map(|r| views::review(r, ts))
        .collect();
    Ok(Json(paging::page(Kind::Reviews, items, offset, limit)))
}

/// One decision of the request body.
struct Decision {
    node_exec_id: String,
    approved: bool,
    edited_payload: Option<Value>,
    message: Option<String>,
}

fn parse_decisions(headers: &HeaderMap, body: &[u8], path: &str) -> Result<Vec<Decision>, Error> {
    let mut f = Fields::parse(headers, body);
    let items = match f.raw("reviews") {
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            f.errors.push(error("list_type", json!(["body", "reviews"]), "Input should be a valid list"));
            Vec::new()
        }
        None => {
            // Reported by `string_list`'s missing check.
            let _ = f.string_list("reviews");
            Vec::new()
        }
    };
    let mut decisions = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let loc = |k: &str| json!(["body", "reviews", i, k]);
        let Some(obj) = item.as_object() else {
            f.errors.push(error(
                "model_attributes_type",
                json!(["body", "reviews", i]),
                "Input should be a valid dictionary or object to extract fields from",
            ));
            continue;
        };
        let node_exec_id = match obj.get("node_exec_id") {
            Some(Value::String(s)) => s.clone(),
            None => {
                f.errors.push(error("missing", loc("node_exec_id"), "Field required"));
                String::new()
            }
            Some(_) => {
                f.errors.push(error("string_type", loc("node_exec_id"), "Input should be a valid string"));
                String::new()
            }
        };
        let approved = match obj.get("approved") {
            Some(Value::Bool(b)) => *b,
            None => {
                f.errors.push(error("missing", loc("approved"), "Field required"));
                false
            }
            Some(_) => {
                f.errors.push(error("bool_type", loc("approved"), "Input should be a valid boolean"));
                false
            }
        };
        let message = match obj.get("message") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() <= MAX_MESSAGE_CHARS => Some(s.clone()),
            Some(Value::String(_)) => {
                let mut e = error("string_too_long", loc("message"), "String should have at most 2000 characters");
                e["ctx"] = json!({"max_length": MAX_MESSAGE_CHARS});
                f.errors.push(e);
                None
            }
            Some(_) => {
                f.errors.push(error("string_type", loc("message"), "Input should be a valid string"));
                None
            }
        };
        if let Some(v) = obj.get("auto_approve_future")
            && !v.is_boolean()
        {
            f.errors.push(error("bool_type", loc("auto_approve_future"), "Input should be a valid boolean"));
        }
        let edited_payload = obj.get("edited_payload").filter(|v| !v.is_null()).cloned();
        decisions.push(Decision { node_exec_id, approved, edited_payload, message });
    }
    f.check_v2("POST", path)?;
    Ok(decisions)
}

/// `POST /runs/{run_id}/reviews` → `202 {"run_id","approved_count","rejected_count"}`.
pub async fn submit(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(run_id): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    p.require(&["WRITE_RUN_REVIEW"])?;
    let decisions = parse_decisions(&headers, &body, uri.path())?;
    if decisions.is_empty() {
        return Err(Error::v2(StatusCode::BAD_REQUEST, "At least one review must be provided"));
    }
    let allow_partial = state.live_settings().reviews_allow_partial;
    let (approved_count, rejected_count, resume) = {
        let mut guard = state.db();
        let db = &mut *guard;
        let Some(run) = db.live.runs.iter_mut().find(|r| r.id == run_id && r.user_id == p.user.id) else {
            return Err(not_found(&run_id));
        };
        let mine = |id: &str| db.live.reviews.iter().find(|r| r.node_exec_id == id && r.user_id == p.user.id);
        let unknown: Vec<&str> =
            decisions.iter().map(|d| d.node_exec_id.as_str()).filter(|id| mine(id).is_none()).collect();
        if !unknown.is_empty() {
            return Err(Error::v2(StatusCode::NOT_FOUND, format!("Review(s) not found: {}", unknown.join(", "))));
        }
        if decisions.iter().any(|d| mine(&d.node_exec_id).is_some_and(|r| r.run_id != run_id)) {
            return Err(Error::v2(StatusCode::NOT_FOUND, format!("Review(s) not found for run {run_id}")));
        }
        if !matches!(run.status, RunStatus::Review | RunStatus::Incomplete) {
            return Err(Error::v2(
                StatusCode::CONFLICT,
                format!("Cannot process reviews while execution status is {}", run.status.as_str()),
            ));
        }
        let answered: Vec<&str> = decisions
            .iter()
            .map(|d| d.node_exec_id.as_str())
            .filter(|id| mine(id).is_some_and(|r| r.status != ReviewStatus::Waiting))
            .collect();
        if !answered.is_empty() {
            return Err(Error::v2(
                StatusCode::CONFLICT,
                format!("Review(s) already processed: {}", answered.join(", ")),
            ));
        }
        let left_out: Vec<&str> = db
            .live
            .reviews
            .iter()
            .filter(|r| r.run_id == run_id && r.status == ReviewStatus::Waiting)
            .map(|r| r.node_exec_id.as_str())
            .filter(|id| !decisions.iter().any(|d| d.node_exec_id == *id))
            .collect();
        if !left_out.is_empty() && !allow_partial {
            return Err(Error::v2(
                StatusCode::BAD_REQUEST,
                format!(
                    "All waiting reviews of the run must be answered in one request. Missing: {}",
                    left_out.join(", ")
                ),
            ));
        }
        let now = now_ms();
        let (mut approved_count, mut rejected_count) = (0, 0);
        for d in &decisions {
            let Some(r) = db.live.reviews.iter_mut().find(|r| r.node_exec_id == d.node_exec_id) else { continue };
            r.reviewed_at_ms = Some(now);
            r.reviewer_comment = d.message.clone();
            if d.approved {
                approved_count += 1;
                r.status = ReviewStatus::Approved;
                // The edited payload counts only where the review is editable.
                let edited = if r.editable { d.edited_payload.clone() } else { None };
                r.approved_payload = Some(edited.unwrap_or_else(|| r.payload.clone()));
            } else {
                rejected_count += 1;
                r.status = ReviewStatus::Rejected;
            }
        }
        let still_waiting = db.live.reviews.iter().any(|r| r.run_id == run_id && r.status == ReviewStatus::Waiting);
        if !still_waiting {
            engine::reviews_answered(run, &mut db.live.reviews);
        }
        (approved_count, rejected_count, !still_waiting)
    };
    if resume {
        engine::resume(&state, run_id.clone());
    }
    let body = json!({"run_id": run_id, "approved_count": approved_count, "rejected_count": rejected_count});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}
