//! The signed-in account as pages show it: the caller's record (read once per request by
//! [`crate::Visitor`]) and small summaries from storage only (fast, no platform call).

use crate::storage::ConnectionRecord;
use crate::{Context, ServiceError};

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
pub async fn summary(ctx: &Context, account: Option<ConnectionRecord>) -> Result<Option<Summary>, ServiceError> {
    let Some(account) = account else { return Ok(None) };
    let grants = ctx.storage.grants().list_active(&account.id).await.map_err(ServiceError::storage)?.len();
    let executions = ctx.storage.executions().count(&account.id).await.map_err(ServiceError::storage)?;
    Ok(Some(Summary { account, grants, executions }))
}
