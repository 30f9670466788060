//! Sign-in with AutoGPT (guide Steps 4–6, G9–G11): start an authorization
//! (login flow or API key), finish it at the callback, refresh, sign out.
//!
//! The `state` and PKCE verifier stay on the server, bound to the browser
//! session, single use, 10 minutes (checklist 19–22); the tokens are stored
//! encrypted and never leave the server (B1).

use autogpt::authorize::{Callback, parse_callback, start_authorization};
use autogpt::client::{AuthorizationOutcome, RevokableToken};
use autogpt::secret::ApiKey;
use tower_sessions::Session;
use url::Url;

use crate::caller::{Access, CONNECTION_KEY, Caller, Mutate, Visitor};
use crate::storage::{AuthMode, NewTransaction, Profile, TakeError};
use crate::{Context, ServiceError};

/// How starting a sign-in went.
#[derive(Debug)]
pub enum Started {
    /// Send the browser here (platform authorize or login page, or our callback).
    Redirect(Url),
    /// The platform's consent page for a valid API key: show it to the user.
    ConsentPage(String),
}

/// Why a sign-in could not start or finish. `Display` is safe to show.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The API key was refused, or the platform refused the request.
    #[error("{0}")]
    Refused(String),
    /// Missing, unknown, expired, replayed or foreign `state` (400, checklist 20, 21).
    #[error("This sign-in link is not valid any more. Please start again.")]
    BadState,
    /// The callback carried neither `code` nor `error`.
    #[error("The sign-in answer was incomplete. Please start again.")]
    BadCallback,
    /// `iss` did not match the platform (checklist 24).
    #[error("The sign-in answer came from an unexpected issuer.")]
    WrongIssuer,
    /// The user denied, or the platform reported an error.
    #[error("{0}")]
    Denied(String),
    /// Platform or storage trouble; logged, shown generically.
    #[error("Sign-in failed. Please try again.")]
    Internal,
}

/// Session key binding a transaction to this browser (checklist 20, 21). A random value in
/// the session data rather than the session id, which changes when it is cycled (item 40).
const AUTH_KEY: &str = "auth_binding";

async fn session_key(session: &Session) -> Result<String, AuthError> {
    if let Some(key) = session.get::<String>(AUTH_KEY).await.map_err(internal)? {
        return Ok(key);
    }
    let key = autogpt::random::State::generate().as_str().to_owned();
    session.insert(AUTH_KEY, &key).await.map_err(internal)?;
    Ok(key)
}

impl AuthError {
    /// The HTTP status a route answers this failure with.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::Refused(_) | Self::Denied(_) | Self::BadState | Self::BadCallback | Self::WrongIssuer => {
                http::StatusCode::BAD_REQUEST
            }
            Self::Internal => http::StatusCode::BAD_GATEWAY,
        }
    }
}

fn internal(e: impl std::fmt::Display) -> AuthError {
    tracing::error!(error = %e, "sign-in failed");
    AuthError::Internal
}

/// Keeps only same-origin relative paths; anything else becomes `/` (checklist 38).
pub fn safe_return_to(candidate: Option<&str>) -> String {
    match candidate {
        Some(p)
            if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Starts an authorization. With an API key the platform is asked server-side and its
/// consent page is returned (guide Step 4); without, the browser is sent to the platform.
pub async fn start<A: Access>(
    ctx: &Context,
    visitor: &Visitor<A>,
    mode: AuthMode,
    return_to: &str,
    api_key: Option<ApiKey>,
) -> Result<Started, AuthError> {
    let key = session_key(&visitor.session).await?;
    let pending = start_authorization(
        &ctx.config.platform,
        &ctx.config.client_id,
        ctx.oauth.redirect_uri(),
        &ctx.config.sign_in_scopes,
    );
    let tx = NewTransaction {
        state: &pending.state,
        session_key: &key,
        verifier: pending.verifier,
        return_to,
        mode,
        redirect_uri: ctx.oauth.redirect_uri(),
    };
    ctx.storage.transactions().insert(tx, ctx.now()).await.map_err(internal)?;
    let Some(api_key) = api_key else {
        return Ok(Started::Redirect(pending.url));
    };
    match ctx.oauth.request_authorization(&pending.url, Some(&api_key)).await {
        Ok(AuthorizationOutcome::ConsentPage { html }) => Ok(Started::ConsentPage(html)),
        // The key was not accepted: fall back to the browser login flow (guide Step 4).
        Ok(AuthorizationOutcome::NeedsLogin { .. }) => Ok(Started::Redirect(pending.url)),
        // Consent was given before: the platform redirected to our callback with a code.
        Ok(AuthorizationOutcome::Redirect(callback)) => Ok(Started::Redirect(callback_url(ctx, &callback))),
        Ok(AuthorizationOutcome::Rejected { status, body }) => {
            tracing::warn!(%status, body = %body.chars().take(200).collect::<String>(), "authorize refused");
            Err(AuthError::Refused("AutoGPT refused the authorization request.".into()))
        }
        Err(e) => Err(internal(e)),
    }
}

/// Rebuilds the callback URL the platform redirected to, so the browser finishes there
/// (the code is bound to the state, which is bound to this browser's session).
fn callback_url(ctx: &Context, callback: &Callback) -> Url {
    let mut url = Url::parse(ctx.oauth.redirect_uri().as_str()).expect("redirect URI is a valid URL");
    {
        let mut q = url.query_pairs_mut();
        match callback {
            Callback::Code { code, state, iss } => {
                q.append_pair("code", code.secret());
                if let Some(s) = state {
                    q.append_pair("state", s.as_str());
                }
                if let Some(i) = iss {
                    q.append_pair("iss", i);
                }
            }
            Callback::Error { error, error_description, state, .. } => {
                q.append_pair("error", error.as_str());
                if let Some(d) = error_description {
                    q.append_pair("error_description", d);
                }
                if let Some(s) = state {
                    q.append_pair("state", s.as_str());
                }
            }
        }
    }
    url
}

/// A finished sign-in.
#[derive(Debug)]
pub struct Finished {
    /// Where to go next (validated, checklist 38).
    pub return_to: String,
    /// Window or popup (then the page tells its opener and closes).
    pub mode: AuthMode,
}

/// A failed callback, with the mode to render it in when the state was known.
#[derive(Debug)]
pub struct CallbackFailure {
    /// What went wrong.
    pub error: AuthError,
    /// Window or popup, when known.
    pub mode: Option<AuthMode>,
}

/// Finishes an authorization at `GET /api/autogpt/callback` (G10).
pub async fn finish(ctx: &Context, visitor: &Visitor, query: &str) -> Result<Finished, CallbackFailure> {
    let session = &visitor.session;
    let fail = |error, mode| CallbackFailure { error, mode };
    let callback = parse_callback(query).map_err(|_| fail(AuthError::BadCallback, None))?;
    let state = callback.state().ok_or(fail(AuthError::BadState, None))?.as_str().to_owned();
    let key = session.get::<String>(AUTH_KEY).await.ok().flatten().unwrap_or_default();
    // Consumed whatever happens next, so a replay gets 400 (checklist 20, 22).
    let tx = ctx.storage.transactions().take(&state, &key, ctx.now()).await.map_err(|e| match e {
        TakeError::Storage(e) => fail(internal(e), None),
        other => {
            tracing::info!(reason = %other, "callback state refused");
            fail(AuthError::BadState, None)
        }
    })?;
    let mode = Some(tx.mode);
    let (code, iss) = match callback {
        Callback::Error { error, error_description, .. } => {
            let text = error_description.unwrap_or_else(|| error.as_str().to_owned());
            let text = if error.as_str() == "access_denied" { format!("Access denied: {text}") } else { text };
            return Err(fail(AuthError::Denied(text), mode));
        }
        Callback::Code { code, iss, .. } => (code, iss),
    };
    // Checklist 24: `iss` must be exactly the platform's issuer, and present when advertised.
    if !super::issuer::iss_acceptable(&ctx.issuer.policy().await, iss.as_deref()) {
        return Err(fail(AuthError::WrongIssuer, mode));
    }
    let tokens = ctx.oauth.exchange_code(&code, tx.verifier, ctx.now()).await.map_err(|e| {
        tracing::warn!(error = %e, "code exchange failed");
        fail(AuthError::Denied("AutoGPT did not accept the sign-in. Please try again.".into()), mode)
    })?;
    let user = ctx.oauth.userinfo(&tokens.access_token).await.map_err(|e| fail(internal(e), mode))?;
    let profile = Profile { user_sub: user.sub, email: user.email, name: user.name };
    let connection = ctx.tokens.store_initial(&profile, &tokens).await.map_err(|e| fail(internal(e), mode))?;
    // A new identity gets a new session id (checklist 40).
    session.cycle_id().await.map_err(|e| fail(internal(e), mode))?;
    session.insert(CONNECTION_KEY, connection.as_str()).await.map_err(|e| fail(internal(e), mode))?;
    Ok(Finished { return_to: safe_return_to(Some(&tx.return_to)), mode: tx.mode })
}

/// Refreshes the caller's tokens now (G11); answers the new access-token expiry, never a
/// token.
pub async fn refresh(ctx: &Context, caller: &Caller<Mutate>) -> Result<Option<i64>, ServiceError> {
    ctx.tokens.force_refresh(&caller.connection).await.map_err(super::platform::token_error)
}

/// Signs out: forgets the tokens first, then revokes the refresh token at the platform,
/// best effort (checklist 34), and ends the session.
pub async fn logout(ctx: &Context, visitor: &Visitor<Mutate>) {
    if let Some(connection) = &visitor.connection {
        match ctx.tokens.forget(connection).await {
            Ok(Some(refresh)) => {
                if let Err(e) = ctx.oauth.revoke(RevokableToken::Refresh(&refresh)).await {
                    tracing::warn!(error = %e, "revocation failed; local tokens are deleted anyway");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "could not delete tokens at sign-out"),
        }
    }
    if let Err(e) = visitor.session.flush().await {
        tracing::error!(error = %e, "could not end the session");
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn item38_return_to_accepts_only_same_origin_paths() {
        assert_eq!(safe_return_to(Some("/agents?x=1")), "/agents?x=1");
        for bad in ["//evil.test", "/\\evil.test", "https://evil.test", "javascript:alert(1)", "agents", "/a\nb", ""] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/");
    }
}
