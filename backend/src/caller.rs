//! Who is calling: the browser session (an opaque cookie, B1), the connection it is signed in
//! with, and the `Origin` rule of state-changing calls (checklist 42, 43).
//!
//! [`Caller`] and [`Visitor`] are axum extractors, used the same way by plain routes (as
//! handler arguments) and by server functions (through `leptos_axum::extract_with_state`).
//! The access kind is part of the type, so a handler cannot forget the `Origin` check.

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, request::Parts};
use tower_sessions::Session;

use crate::{ConnectionId, Context, ServiceError};

/// Session key holding the signed-in connection's id (the only thing a session knows).
pub const CONNECTION_KEY: &str = "connection_id";

/// What a call may do, checked before the handler runs.
pub trait Access: Send + Sync + 'static {
    /// True when the call changes state and so must come from our own origin.
    const MUTATES: bool;
}

/// A call that only reads.
pub struct Read;
/// A call that changes state (needs a same-origin `Origin`, checklist 42).
pub struct Mutate;

impl Access for Read {
    const MUTATES: bool = false;
}
impl Access for Mutate {
    const MUTATES: bool = true;
}

/// A signed-in caller: 403 for a foreign `Origin` on [`Mutate`], 401 without a session.
pub struct Caller<A: Access = Read> {
    /// The browser session.
    pub session: Session,
    /// The signed-in connection.
    pub connection: ConnectionId,
    access: PhantomData<A>,
}

/// Any visitor, signed in or not (sign-in routes, pages); the same `Origin` rule.
pub struct Visitor<A: Access = Read> {
    /// The browser session.
    pub session: Session,
    /// The signed-in connection, if any.
    pub connection: Option<ConnectionId>,
    access: PhantomData<A>,
}

impl<A: Access> Caller<A> {
    /// A caller for tests and internal use, with the checks already done.
    pub fn new(session: Session, connection: ConnectionId) -> Self {
        Self { session, connection, access: PhantomData }
    }
}

impl<S, A> FromRequestParts<S> for Visitor<A>
where
    Context: FromRef<S>,
    S: Send + Sync,
    A: Access,
{
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ServiceError> {
        if A::MUTATES {
            check_origin(&parts.headers, Context::from_ref(state).config.app_origin.as_str())?;
        }
        let session = Session::from_request_parts(parts, state).await.map_err(|(_, message)| {
            tracing::error!(message, "session layer missing");
            ServiceError::Internal
        })?;
        let connection = signed_in(&session).await;
        Ok(Self { session, connection, access: PhantomData })
    }
}

impl<S, A> FromRequestParts<S> for Caller<A>
where
    Context: FromRef<S>,
    S: Send + Sync,
    A: Access,
{
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ServiceError> {
        let Visitor { session, connection, .. } = Visitor::<A>::from_request_parts(parts, state).await?;
        let connection = connection.ok_or(ServiceError::Unauthorized)?;
        Ok(Self { session, connection, access: PhantomData })
    }
}

/// The connection a session is signed in with, if any.
pub async fn signed_in(session: &Session) -> Option<ConnectionId> {
    session.get::<String>(CONNECTION_KEY).await.ok().flatten().map(ConnectionId::new)
}

/// Rejects a request whose `Origin` is missing or not exactly `app_origin` (checklist 42).
/// Browsers send `Origin` on every POST, so a missing one is not a browser on our page.
pub fn check_origin(headers: &HeaderMap, app_origin: &str) -> Result<(), ServiceError> {
    match headers.get(ORIGIN).map(|v| v.as_bytes()) {
        Some(origin) if origin == app_origin.as_bytes() => Ok(()),
        _ => Err(ServiceError::Forbidden),
    }
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
            assert_eq!(check_origin(&headers(bad), app), Err(ServiceError::Forbidden), "{bad:?}");
        }
    }
}
