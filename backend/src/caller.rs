//! Who is calling: the browser session (an opaque cookie, B1), the connection it is signed in
//! with, and the same-origin rule of state-changing calls (checklist 42, 43; issue 11 item 1).
//!
//! [`Caller`] and [`Visitor`] are axum extractors, used the same way by plain routes (as
//! handler arguments) and by server functions (through `leptos_axum::extract_with_state`).
//! The access kind is part of the type, so a handler cannot forget the `Origin` check.
//!
//! A session is signed in only while its connection agrees: it remembers the connection's
//! session epoch when it signed in, and sign-out moves the connection to the next epoch, which
//! ends every session of that user at once and for good (signing in again starts a new epoch).
//! A session also ends at its absolute lifetime, however active it is.

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::ORIGIN;
use axum::http::{HeaderMap, request::Parts};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::storage::ConnectionRecord;
use crate::{ConnectionId, Context, ServiceError};

/// Session key of [`SignedIn`] (the only thing a session knows).
pub const SIGNED_IN_KEY: &str = "signed_in";

/// What a signed-in session remembers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// The connection.
    pub connection_id: String,
    /// The connection's session epoch at sign-in.
    pub epoch: i64,
    /// When it signed in (unix seconds), for the absolute lifetime.
    pub signed_in_at: i64,
}

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

/// A signed-in caller: 403 for a cross-site request on [`Mutate`], 401 without a session.
pub struct Caller<A: Access = Read> {
    /// The browser session.
    pub session: Session,
    /// The signed-in connection.
    pub connection: ConnectionId,
    /// Its record as read for this request (no tokens).
    pub account: ConnectionRecord,
    /// When this session signed in (unix seconds); it ends at that plus the absolute lifetime.
    pub signed_in_at: i64,
    access: PhantomData<A>,
}

/// Any visitor, signed in or not (sign-in routes, pages); the same `Origin` rule.
pub struct Visitor<A: Access = Read> {
    /// The browser session.
    pub session: Session,
    /// The signed-in account, if any (read for this request).
    pub account: Option<ConnectionRecord>,
    signed_in_at: i64,
    access: PhantomData<A>,
}

impl<A: Access> Visitor<A> {
    /// The signed-in connection, if any.
    pub fn connection(&self) -> Option<&ConnectionId> {
        self.account.as_ref().map(|a| &a.id)
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
        let ctx = Context::from_ref(state);
        if A::MUTATES {
            check_same_origin(&parts.headers, ctx.config.app_origin.as_str())?;
        }
        let session = Session::from_request_parts(parts, state).await.map_err(|(_, message)| {
            tracing::error!(message, "session layer missing");
            ServiceError::Internal
        })?;
        let (account, signed_in_at) = match account(&ctx, &session).await? {
            Some((account, at)) => (Some(account), at),
            None => (None, 0),
        };
        Ok(Self { session, account, signed_in_at, access: PhantomData })
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
        let Visitor { session, account, signed_in_at, .. } = Visitor::<A>::from_request_parts(parts, state).await?;
        let account = account.ok_or(ServiceError::Unauthorized)?;
        Ok(Self { session, connection: account.id.clone(), account, signed_in_at, access: PhantomData })
    }
}

/// Only the same-origin rule (issue 11 item 1), for a state-changing route that needs no
/// session (the API-key sign-in form).
pub struct SameOrigin;

impl<S> FromRequestParts<S> for SameOrigin
where
    Context: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ServiceError> {
        check_same_origin(&parts.headers, Context::from_ref(state).config.app_origin.as_str())?;
        Ok(Self)
    }
}

/// The account a session is signed in with: `None` without a sign-in, and for a session that
/// ended (its epoch passed by a sign-out, its absolute lifetime over, its connection gone),
/// which is then deleted so its cookie stops being sent.
async fn account(ctx: &Context, session: &Session) -> Result<Option<(ConnectionRecord, i64)>, ServiceError> {
    let Some(signed_in) = session.get::<SignedIn>(SIGNED_IN_KEY).await.ok().flatten() else { return Ok(None) };
    let record = ctx.storage.connections().get(&ConnectionId::new(signed_in.connection_id)).await;
    let record = record.map_err(ServiceError::storage)?;
    let max_age = i64::try_from(ctx.config.session_max_age.as_secs()).unwrap_or(i64::MAX);
    match record {
        Some(r) if r.session_epoch == signed_in.epoch && ctx.now() - signed_in.signed_in_at < max_age => {
            Ok(Some((r, signed_in.signed_in_at)))
        }
        _ => {
            if let Err(e) = session.flush().await {
                tracing::warn!(error = %e, "could not delete an ended session");
            }
            Ok(None)
        }
    }
}

/// Remembers in `session` that it is signed in to `account` from now on.
pub async fn sign_in(session: &Session, account: &ConnectionRecord, now: i64) -> Result<(), ServiceError> {
    let value =
        SignedIn { connection_id: account.id.as_str().to_owned(), epoch: account.session_epoch, signed_in_at: now };
    session.insert(SIGNED_IN_KEY, value).await.map_err(|e| {
        tracing::error!(error = %e, "could not store the session");
        ServiceError::Internal
    })
}

/// The same-origin rule of state-changing requests (issue 11 item 1, checklist 42): `Origin`
/// exactly `app_origin`, or — when a browser sends no `Origin` — `Sec-Fetch-Site:
/// same-origin`. Anything else (another site, `null`, neither header) is refused, before any
/// cookie is set or anything stored.
pub fn check_same_origin(headers: &HeaderMap, app_origin: &str) -> Result<(), ServiceError> {
    match headers.get(ORIGIN).map(|v| v.as_bytes()) {
        Some(origin) if origin == app_origin.as_bytes() => Ok(()),
        Some(_) => Err(ServiceError::Forbidden),
        None => match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
            Some(b"same-origin") => Ok(()),
            _ => Err(ServiceError::Forbidden),
        },
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
        assert_eq!(check_same_origin(&headers(Some(app)), app), Ok(()));
        for bad in [
            None,
            Some("http://127.0.0.1:3001"),
            Some("https://127.0.0.1:3000"),
            Some("null"),
            Some("http://127.0.0.1:3000.evil.test"),
        ] {
            assert_eq!(check_same_origin(&headers(bad), app), Err(ServiceError::Forbidden), "{bad:?}");
        }
    }

    #[test]
    fn item1_without_origin_only_a_same_origin_fetch_passes() {
        let app = "http://127.0.0.1:3000";
        let fetch = |site: &str| {
            let mut h = HeaderMap::new();
            h.insert("sec-fetch-site", site.parse().unwrap());
            h
        };
        assert_eq!(check_same_origin(&fetch("same-origin"), app), Ok(()));
        for site in ["cross-site", "same-site", "none", ""] {
            assert_eq!(check_same_origin(&fetch(site), app), Err(ServiceError::Forbidden), "{site}");
        }
        // A foreign Origin is not rescued by a same-origin claim.
        let mut both = fetch("same-origin");
        both.insert(ORIGIN, "http://evil.test".parse().unwrap());
        assert_eq!(check_same_origin(&both, app), Err(ServiceError::Forbidden));
    }
}
