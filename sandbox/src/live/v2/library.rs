//! Library agents (`READ_LIBRARY`): the list (oldest first, empty schemas), one agent (full
//! schemas), and its credential requirements (`READ_INTEGRATIONS`).

use axum::Json;
use axum::extract::{Extension, OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::Value;

use crate::error::Error;
use crate::live::agents::{self, Agent};
use crate::live::v2::auth::Principal;
use crate::live::v2::paging::{self, Kind};
use crate::live::v2::query::Query;
use crate::live::v2::{ts, views};
use crate::state::AppState;
use crate::state::model::Credential;

pub fn find(id: &str) -> Result<&'static Agent, Error> {
    agents::find(id).ok_or_else(|| Error::v2(StatusCode::NOT_FOUND, format!("Agent #{id} not found")))
}

/// `GET /library/agents?published=&favorite=&limit=&cursor=`
pub async fn list(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, Error> {
    p.require(&["READ_LIBRARY"])?;
    let mut q = Query::parse(raw.as_deref());
    let limit = q.limit();
    let published = q.bool("published");
    let favorite = q.bool("favorite");
    let cursor = q.get("cursor").map(str::to_owned);
    q.finish("GET", uri.path())?;
    let offset = paging::decode(Kind::LibraryAgents, cursor.as_deref())?;
    let ts = ts(&state);
    let items: Vec<Value> = agents::all()
        .iter()
        .filter(|a| published.is_none_or(|want| a.is_published == want))
        .filter(|a| favorite.is_none_or(|want| a.is_favorite == want))
        .map(|a| views::library_agent(a, &p.user.id, false, ts))
        .collect();
    Ok(Json(paging::page(Kind::LibraryAgents, items, offset, limit)))
}

/// `GET /library/agents/{agent_id}`
pub async fn get(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<views::InWireOrder>, Error> {
    p.require(&["READ_LIBRARY"])?;
    let agent = find(&id)?;
    Ok(Json(views::InWireOrder(views::library_agent(agent, &p.user.id, true, ts(&state)))))
}

/// `GET /library/agents/{agent_id}/credentials`: one item per credentials field, with all the
/// user's credentials of that provider (not filtered by type or scopes).
pub async fn credentials(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, Error> {
    p.require(&["READ_INTEGRATIONS"])?;
    let mut q = Query::parse(raw.as_deref());
    let limit = q.limit();
    let cursor = q.get("cursor").map(str::to_owned);
    q.finish("GET", uri.path())?;
    let agent = find(&id)?;
    let offset = paging::decode(Kind::CredentialRequirements, cursor.as_deref())?;
    let db = state.db();
    let mine: Vec<&Credential> = db.credentials.iter().filter(|c| c.user_id == p.user.id).collect();
    let items: Vec<Value> = agent.credentials.iter().map(|f| views::requirement(f, &mine)).collect();
    Ok(Json(paging::page(Kind::CredentialRequirements, items, offset, limit)))
}
