//! The signed-in account as pages show it: read from storage only (fast, no platform call).

use crate::storage::ConnectionRecord;
use crate::{ConnectionId, Context, ServiceError};

/// The visitor's account, or `None` when the session is not signed in (or its connection is
/// gone). Never holds a token (checklist 35).
pub async fn account(
    ctx: &Context,
    connection: Option<&ConnectionId>,
) -> Result<Option<ConnectionRecord>, ServiceError> {
    let Some(id) = connection else { return Ok(None) };
    ctx.storage.connections().get(id).await.map_err(ServiceError::storage)
}

/// What the landing page shows about a signed-in account.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The account.
    pub account: ConnectionRecord,
    /// Active grants.
    pub grants: usize,
    /// Executions started from this app.
    pub executions: i64,
}

/// The landing page's summary (two small queries), or `None` when not signed in.
pub async fn summary(ctx: &Context, connection: Option<&ConnectionId>) -> Result<Option<Summary>, ServiceError> {
    let Some(account) = account(ctx, connection).await? else { return Ok(None) };
    let grants = ctx.storage.grants().list_active(&account.id).await.map_err(ServiceError::storage)?.len();
    let executions = ctx.storage.executions().count(&account.id).await.map_err(ServiceError::storage)?;
    Ok(Some(Summary { account, grants, executions }))
}
