//! Server half of the server functions (feature `ssr`): the services' context and caller
//! from the request, the error mapping with its HTTP status, and the page-data calls.

pub(crate) mod runs;
mod views;

pub(crate) use views::ToView;

use backend::{Access, Caller, Context, Read, ServiceError, Visitor};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use super::{AccountGrants, AccountHistory, AppError, HomeSummary, SessionStatus};

/// The services, from the server function's context.
fn context() -> Result<Context, AppError> {
    use_context::<Context>().ok_or_else(|| {
        tracing::error!("the services' Context is missing from the server function context");
        AppError::from(ServiceError::Internal)
    })
}

/// The signed-in caller with the `Origin` rule of `A` (403 / 401 otherwise), through the same
/// extractor the plain routes use.
pub(crate) async fn caller<A: Access>() -> Result<(Context, Caller<A>), AppError> {
    let ctx = context()?;
    let caller = extract::<Caller<A>>(&ctx).await?;
    Ok((ctx, caller))
}

/// Any visitor (no sign-in needed).
async fn visitor() -> Result<(Context, Visitor<Read>), AppError> {
    let ctx = context()?;
    let visitor = extract::<Visitor<Read>>(&ctx).await?;
    Ok((ctx, visitor))
}

async fn extract<T>(ctx: &Context) -> Result<T, AppError>
where
    T: axum::extract::FromRequestParts<Context, Rejection = ServiceError>,
{
    let extracted = leptos_axum::extract_with_state::<Result<T, ServiceError>, Context>(ctx).await.map_err(|e| {
        tracing::error!(error = %e, "request parts missing from the server function context");
        AppError::from(ServiceError::Internal)
    })?;
    respond(extracted.map_err(AppError::from))
}

/// A service's answer as the browser sees it: the view, or the error with its status.
pub(crate) fn answer<T: ToView>(result: Result<T, ServiceError>) -> Result<T::View, AppError> {
    respond(result.map(ToView::to_view).map_err(AppError::from))
}

/// Sets the HTTP status of a failed server function to the error's status.
fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result
        && let Some(options) = use_context::<ResponseOptions>()
    {
        options.set_status(
            axum::http::StatusCode::from_u16(e.status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    result
}

/// Page data never fails the page: a problem is logged and the page renders as signed out.
fn or_signed_out<T: Default>(result: Result<T, ServiceError>) -> T {
    result.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "page data unavailable; rendering as signed out");
        T::default()
    })
}

pub(crate) async fn current_session() -> Result<Option<SessionStatus>, AppError> {
    let (_, visitor) = visitor().await?;
    Ok(visitor.account.to_view())
}

pub(crate) async fn home_summary() -> Result<HomeSummary, AppError> {
    let (ctx, visitor) = visitor().await?;
    let summary = backend::services::session::summary(&ctx, visitor.account).await;
    Ok(or_signed_out(summary.map(|s| s.map(ToView::to_view).unwrap_or_default())))
}

pub(crate) async fn account_grants() -> Result<AccountGrants, AppError> {
    let (ctx, visitor) = visitor().await?;
    let data = async {
        let Some(account) = visitor.account else { return Ok(AccountGrants::default()) };
        let grants = backend::services::connect::stored(&ctx, &account.id).await?;
        Ok(AccountGrants { session: Some(account.to_view()), grants: grants.to_view() })
    };
    Ok(or_signed_out(data.await))
}

pub(crate) async fn account_history() -> Result<AccountHistory, AppError> {
    let (ctx, visitor) = visitor().await?;
    let data = async {
        let Some(account) = visitor.account else { return Ok(AccountHistory::default()) };
        let executions = if ctx.platform.as_live().is_some() {
            backend::services::library::history(&ctx, &account.id).await?.to_view()
        } else {
            backend::services::agents::history(&ctx, &account.id).await?.to_view()
        };
        Ok(AccountHistory { session: Some(account.to_view()), executions })
    };
    Ok(or_signed_out(data.await))
}
