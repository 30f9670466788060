//! Sign-in with AutoGPT (guide Steps 4–6, G9–G11): start an authorization (login flow or API
//! key), finish it at the callback, refresh, sign out.
//!
//! Starting writes nothing durable: the `state` and PKCE verifier ride in a sealed cookie
//! ([`transaction`]), single use, 10 minutes (checklist 19–22). A session row exists only
//! once a sign-in completes; the tokens are stored encrypted and never leave the server (B1).
//! Signing out ends every session of the user ([`crate::caller`]).

mod transaction;

pub use transaction::{AuthMode, TRANSACTION_TTL_SECS, TakenTransaction, Transactions};

use autogpt::authorize::{Callback, parse_callback};
use autogpt::client::{AuthorizationOutcome, RevokableToken};
use autogpt::live::api::Credential;
use autogpt::platform::Profile;
use autogpt::secret::ApiKey;
use url::Url;

use crate::caller::{Caller, Mutate, Visitor, sign_in};
use crate::storage::Profile as StoredProfile;
use crate::{AppEvent, Context, ServiceError};

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

/// A started sign-in: where the browser goes next, and the transaction cookie to set.
#[derive(Debug)]
pub struct SignInStarted {
    /// The next step.
    pub next: Started,
    /// The sealed transaction cookie's new value.
    pub transaction_cookie: String,
}

/// Starts an authorization. With an API key the platform is asked server-side and its
/// consent page is returned (guide Step 4); without, the browser is sent to the platform.
/// `transaction_cookie` is the browser's current cookie (its other pending sign-ins).
pub async fn start(
    ctx: &Context,
    transaction_cookie: Option<&str>,
    mode: AuthMode,
    return_to: &str,
    api_key: Option<ApiKey>,
) -> Result<SignInStarted, AuthError> {
    // The guide's `/oauth/authorize` or the live `{platform}/auth/authorize`, PKCE S256 either way.
    let pending = ctx.platform.start_sign_in();
    let mut transactions = Transactions::open(&ctx.sign_in_seal, transaction_cookie, ctx.now());
    transactions.push(&pending.state, pending.verifier, return_to, mode, ctx.oauth.redirect_uri(), ctx.now());
    let transaction_cookie = transactions.seal(&ctx.sign_in_seal).expect("one transaction was just added");
    let next = match api_key {
        None => Started::Redirect(pending.url),
        Some(api_key) => match ctx.oauth.request_authorization(&pending.url, Some(&api_key)).await {
            Ok(AuthorizationOutcome::ConsentPage { html }) => Started::ConsentPage(html),
            // The key was not accepted: fall back to the browser login flow (guide Step 4).
            Ok(AuthorizationOutcome::NeedsLogin { .. }) => Started::Redirect(pending.url),
            // Consent was given before: the platform redirected to our callback with a code.
            Ok(AuthorizationOutcome::Redirect(callback)) => Started::Redirect(callback_url(ctx, &callback)),
            Ok(AuthorizationOutcome::Rejected { status, body }) => {
                tracing::warn!(%status, body_len = body.len(), "authorize refused");
                return Err(AuthError::Refused("AutoGPT refused the authorization request.".into()));
            }
            Err(e) => return Err(internal(e)),
        },
    };
    Ok(SignInStarted { next, transaction_cookie })
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

/// The live profile's API-key sign-in (L2): the key is checked with `GET /me`, then kept,
/// sealed, as the user's credential (sent as `X-API-Key`; it never reaches the browser or a
/// log), and this session is signed in at once. The platform has no API-key OAuth variant.
pub async fn sign_in_with_api_key(ctx: &Context, visitor: &Visitor<Mutate>, key: ApiKey) -> Result<(), AuthError> {
    let Some(live) = ctx.platform.as_live() else {
        return Err(AuthError::Refused("API keys sign in through the platform's consent page here.".into()));
    };
    let me = match live.api.me(&Credential::ApiKey(key.clone())).await {
        Ok(me) => me.value,
        Err(e) if e.is_unauthorized() => {
            return Err(AuthError::Refused("AutoGPT did not accept this API key.".into()));
        }
        Err(e) => return Err(internal(e)),
    };
    // What the key may do is what `/me` reports; kept like granted scopes (checklist 39).
    let scopes = me.scopes.iter().filter_map(|p| autogpt::scope::Scope::new(p.as_str()).ok()).collect();
    let identity = autogpt::platform::Identity::from(me);
    let profile = StoredProfile { user_sub: identity.user_id, email: identity.email, name: identity.name };
    let connection = ctx.tokens.store_api_key(&profile, &key, scopes).await.map_err(internal)?;
    let account = ctx.storage.connections().get(&connection).await.map_err(internal)?.ok_or(AuthError::Internal)?;
    visitor.session.cycle_id().await.map_err(internal)?;
    sign_in(&visitor.session, &account, ctx.now()).await.map_err(|_| AuthError::Internal)
}

/// What the callback leaves in the transaction cookie: the other pending sign-ins, or
/// nothing (clear it).
pub type RemainingTransactions = Option<String>;

/// Finishes an authorization at `GET /api/autogpt/callback` (G10). The transaction is taken
/// out of this browser's cookie whatever happens next, and its `state` is recorded as
/// consumed, so a replay gets 400 (checklist 20, 22).
pub async fn finish(
    ctx: &Context,
    visitor: &Visitor,
    query: &str,
    transaction_cookie: Option<&str>,
) -> (Result<Finished, CallbackFailure>, RemainingTransactions) {
    let mut transactions = Transactions::open(&ctx.sign_in_seal, transaction_cookie, ctx.now());
    let result = finish_with(ctx, visitor, query, &mut transactions).await;
    (result, transactions.seal(&ctx.sign_in_seal))
}

async fn finish_with(
    ctx: &Context,
    visitor: &Visitor,
    query: &str,
    transactions: &mut Transactions,
) -> Result<Finished, CallbackFailure> {
    let fail = |error, mode| CallbackFailure { error, mode };
    let callback = parse_callback(query).map_err(|_| fail(AuthError::BadCallback, None))?;
    let state = callback.state().ok_or(fail(AuthError::BadState, None))?.as_str().to_owned();
    // Unknown, expired or another browser's: 400 and no token request (checklist 21).
    let Some(tx) = transactions.take(&state) else {
        tracing::info!("callback state refused: no such transaction in this browser");
        return Err(fail(AuthError::BadState, None));
    };
    match ctx.storage.consumed_states().consume(&state, tx.expires_at).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!("callback state refused: replayed");
            return Err(fail(AuthError::BadState, None));
        }
        Err(e) => return Err(fail(internal(e), None)),
    }
    let mode = Some(tx.mode);
    let (code, iss) = match callback {
        Callback::Error { error, error_description, .. } => {
            let text = error_description.unwrap_or_else(|| error.as_str().to_owned());
            let text = if error.as_str() == "access_denied" { format!("Access denied: {text}") } else { text };
            return Err(fail(AuthError::Denied(text), mode));
        }
        Callback::Code { code, iss, .. } => (code, iss),
    };
    // Checklist 24: `iss` must be exactly the platform's issuer, and present when advertised
    // (the guide's discovery; the live platform has none and sends no `iss`).
    if ctx.config.profile == Profile::Guide
        && !super::issuer::iss_acceptable(&ctx.issuer.policy().await, iss.as_deref())
    {
        return Err(fail(AuthError::WrongIssuer, mode));
    }
    let tokens = ctx.platform.exchange_code(&code, tx.verifier, ctx.now()).await.map_err(|e| {
        tracing::warn!(error = %e, "code exchange failed");
        fail(AuthError::Denied("AutoGPT did not accept the sign-in. Please try again.".into()), mode)
    })?;
    // Guide: userinfo; live: `GET /me` (there is no OIDC).
    let user = ctx.platform.identity(&Credential::Bearer(tokens.access_token.clone())).await;
    let user = user.map_err(|e| fail(internal(e), mode))?;
    let profile = StoredProfile { user_sub: user.user_id, email: user.email, name: user.name };
    let connection = ctx.tokens.store_initial(&profile, &tokens).await.map_err(|e| fail(internal(e), mode))?;
    let account = ctx.storage.connections().get(&connection).await.map_err(|e| fail(internal(e), mode))?;
    let account = account.ok_or_else(|| fail(AuthError::Internal, mode))?;
    // A new identity gets a new session id (checklist 40); only now is a session stored.
    visitor.session.cycle_id().await.map_err(|e| fail(internal(e), mode))?;
    sign_in(&visitor.session, &account, ctx.now()).await.map_err(|_| fail(AuthError::Internal, mode))?;
    Ok(Finished { return_to: safe_return_to(Some(&tx.return_to)), mode: tx.mode })
}

/// `POST /api/autogpt/refresh` (G11): makes sure the caller's access token is fresh and
/// answers its expiry, never a token. No platform call while it is fresh, one shared call for
/// concurrent callers when it is not, and within the refresh budget (issue 11 item 2).
pub async fn refresh(ctx: &Context, caller: &Caller<Mutate>) -> Result<Option<i64>, ServiceError> {
    ctx.tokens.ensure_fresh(&caller.connection).await.map_err(super::platform::token_error)
}

/// Signs out: forgets the tokens and ends every session of the user first, then revokes the
/// refresh token at the platform, best effort (checklist 34), and ends this session. Open
/// event streams of the user's other sessions are told to end.
pub async fn logout(ctx: &Context, visitor: &Visitor<Mutate>) {
    if let Some(connection) = visitor.connection() {
        match ctx.tokens.forget(connection).await {
            Ok(Some(refresh)) => {
                if let Err(e) = ctx.platform.revoke(RevokableToken::Refresh(&refresh)).await {
                    tracing::warn!(error = %e, "revocation failed; local tokens are deleted anyway");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "could not delete tokens at sign-out"),
        }
        if let Err(e) = ctx.events.publish(connection, AppEvent::SignedOut).await {
            tracing::warn!(error = %e, "could not announce the sign-out to open event streams");
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
