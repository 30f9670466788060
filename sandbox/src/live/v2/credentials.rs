//! `GET /integrations/credentials[?provider=]` (`READ_INTEGRATIONS`): the user's provider
//! credentials, provider matched case-insensitively; the page envelope, or the older
//! `{"credentials":[…]}` behind the Q3 switch.

use axum::Json;
use axum::extract::{Extension, OriginalUri, RawQuery, State};
use serde_json::{Value, json};

use crate::error::Error;
use crate::live::v2::auth::Principal;
use crate::live::v2::paging::{self, Kind};
use crate::live::v2::query::Query;
use crate::live::v2::views;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, Error> {
    p.require(&["READ_INTEGRATIONS"])?;
    let mut q = Query::parse(raw.as_deref());
    let limit = q.limit();
    let provider = q.get("provider").filter(|s| !s.is_empty()).map(str::to_owned);
    let cursor = q.get("cursor").map(str::to_owned);
    q.finish("GET", uri.path())?;
    let items: Vec<Value> = state
        .db()
        .credentials
        .iter()
        .filter(|c| c.user_id == p.user.id)
        .filter(|c| provider.as_deref().is_none_or(|want| c.provider.eq_ignore_ascii_case(want)))
        .map(views::credential_info)
        .collect();
    if state.live_settings().legacy_credentials_list {
        return Ok(Json(json!({ "credentials": items })));
    }
    let offset = paging::decode(Kind::Credentials, cursor.as_deref())?;
    Ok(Json(paging::page(Kind::Credentials, items, offset, limit)))
}
