//! Who is calling: the session (an opaque cookie, B1), the connection it is
//! signed in with, and the `Origin` check of mutating calls (checklist 42, 43).

use axum::http::{HeaderMap, StatusCode, header::ORIGIN};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

use super::AppContext;
use crate::api::AppError;
use crate::server::ConnectionId;

/// Session key holding the signed-in connection's id (the only thing a session knows).
pub const CONNECTION_KEY: &str = "connection_id";

/// A server function's caller.
pub struct Caller {
    /// Shared services.
    pub ctx: AppContext,
    /// The browser session.
    pub session: Session,
    /// The signed-in connection.
    pub connection: ConnectionId,
}

/// Whether a call changes state (needs a same-origin `Origin`, checklist 42).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only.
    Read,
    /// Changes state.
    Mutate,
}

/// The services, from the server function's context.
pub fn context() -> Result<AppContext, AppError> {
    use_context::<AppContext>().ok_or_else(|| {
        tracing::error!("AppContext missing from the server function context");
        AppError::Internal
    })
}

/// Checks `Origin` (mutating calls) and the session; answers 403 or 401 otherwise.
pub async fn caller(access: Access) -> Result<Caller, AppError> {
    respond(caller_inner(access).await)
}

async fn caller_inner(access: Access) -> Result<Caller, AppError> {
    let ctx = context()?;
    if access == Access::Mutate {
        let headers: HeaderMap = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
        check_origin(&headers, ctx.config.app_origin.as_str())?;
    }
    let session: Session = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    let connection = signed_in(&session).await.ok_or(AppError::Unauthorized)?;
    Ok(Caller { ctx, session, connection })
}

/// The connection a session is signed in with, if any.
pub async fn signed_in(session: &Session) -> Option<ConnectionId> {
    session.get::<String>(CONNECTION_KEY).await.ok().flatten().map(ConnectionId::new)
}

/// The signed-in user as the browser may see it, or `None` (never tokens, checklist 35).
pub async fn status() -> Result<Option<crate::api::SessionStatus>, AppError> {
    let ctx = context()?;
    let session: Session = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    respond(describe(&ctx, &session).await)
}

/// Session, grants and executions for rendering a page (storage only). Errors are logged
/// and rendered as "not signed in" rather than failing the whole page.
pub async fn overview() -> Result<crate::api::Overview, AppError> {
    let ctx = context()?;
    let session: Session = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    let Some(status) = describe(&ctx, &session).await.unwrap_or(None) else {
        return Ok(crate::api::Overview::default());
    };
    let Some(id) = signed_in(&session).await else { return Ok(crate::api::Overview::default()) };
    let grants = ctx.storage.grants().list_active(&id).await.unwrap_or_default();
    let executions = super::agents::history(&ctx, &id).await.unwrap_or_default();
    Ok(crate::api::Overview {
        session: Some(status),
        grants: grants.iter().map(super::connect::view).collect(),
        executions,
    })
}

/// Reads the session's connection from storage.
pub async fn describe(ctx: &AppContext, session: &Session) -> Result<Option<crate::api::SessionStatus>, AppError> {
    let Some(id) = signed_in(session).await else { return Ok(None) };
    let record = ctx.storage.connections().get(&id).await.map_err(|e| {
        tracing::error!(error = %e, "storage failed");
        AppError::Internal
    })?;
    Ok(record.map(|r| crate::api::SessionStatus {
        email: r.profile.email.unwrap_or_default(),
        name: r.profile.name.unwrap_or_default(),
        scopes: r.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        reconnect_required: r.status == crate::server::ConnectionStatus::ReconnectRequired || !r.has_tokens,
        access_expires_at: r.access_expires_at,
    }))
}

/// Rejects a request whose `Origin` is missing or not exactly `app_origin` (checklist 42).
/// Browsers send `Origin` on every POST, so a missing one is not a browser on our page.
pub fn check_origin(headers: &HeaderMap, app_origin: &str) -> Result<(), AppError> {
    match headers.get(ORIGIN).map(|v| v.as_bytes()) {
        Some(origin) if origin == app_origin.as_bytes() => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// Sets the HTTP status of a failed server function to the error's status.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result
        && let Some(options) = use_context::<ResponseOptions>()
    {
        options.set_status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(o) = origin {
            h.insert(ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn item42_only_the_exact_app_origin_passes() {
        let app = "http://127.0.0.1:3000";
        assert_eq!(check_origin(&headers(Some(app)), app), Ok(()));
        for bad in [
            None,
            Some("http://127.0.0.1:3001"),
            Some("https://127.0.0.1:3000"),
            Some("null"),
            Some("http://127.0.0.1:3000.evil.test"),
        ] {
            assert_eq!(check_origin(&headers(bad), app), Err(AppError::Forbidden), "{bad:?}");
        }
    }
}
