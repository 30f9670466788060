//! One seam for "the platform": the operations both contracts genuinely share — sign-in,
//! identity, connected credentials, start / read / stop a run — behind one value the app
//! holds without caring which contract it speaks.
//!
//! # Why an enum, not a trait object
//!
//! `Platform` is `enum { Guide(GuidePlatform), Live(LivePlatform) }` with `async fn` methods
//! that `match` and delegate. There are exactly two contracts, known at compile time, so:
//! - `async fn` in a trait is not object-safe; `dyn Trait` would need boxed futures
//!   (`async-trait` or hand-written `Pin<Box<dyn Future + Send>>`) on every call, for no gain;
//! - a generic `App<P: PlatformApi>` would thread a type parameter through every service and
//!   server function of the app;
//! - with an enum, adding a third contract is a compile error at every `match` that must
//!   handle it, and profile-specific features stay reachable, typed, through
//!   [`Platform::as_guide`] / [`Platform::as_live`] (grants, the Connect popup and webhooks
//!   on one side; library agents, credential requirements, idempotency keys, reviews and the
//!   setup wizard on the other).
//!
//! Results are the profile-neutral types of [`crate::platform`]; failures keep the
//! contract's own error inside [`PlatformError`], with the questions the app asks of any
//! failure (`requires_reconnect`, `is_unauthorized`, `retry_after`...) answered for both.

use std::time::Duration;

use super::external::{ApiError, ExternalApiClient};
use super::live::{DEFAULT_MAX_PAGES, LiveApiClient, LiveApiError, LiveOAuthClient, LiveOAuthClientError};
use super::oauth::{OAuthClient, OAuthClientError, RevokableToken};
use crate::authorize::{PendingAuthorization, start_authorization};
use crate::ids::{AgentId, ExecutionId, Provider};
use crate::live::Permission;
use crate::live::api::{Credential, IdempotencyKey, LibraryAgentId, RunId, RunRequest};
use crate::live::token::TokenRef;
use crate::pkce::PkceVerifier;
use crate::platform::{ConnectedCredential, Identity, Profile, RunSnapshot};
use crate::scope::Scope;
use crate::secret::{AccessToken, AuthorizationCode, RefreshToken};
use crate::types::{ExecuteRequest, TokenResponse};

/// The guide contract's clients and the scopes the app signs in with.
#[derive(Clone, Debug)]
pub struct GuidePlatform {
    /// `/oauth/*`.
    pub oauth: OAuthClient,
    /// The v1 External API (executions, grants).
    pub api: ExternalApiClient,
    /// Scopes requested at sign-in.
    pub scopes: Vec<Scope>,
}

/// The live contract's clients and the permissions the app signs in with.
#[derive(Clone, Debug)]
pub struct LivePlatform {
    /// `{backend}/api/oauth/*` and the browser pages.
    pub oauth: LiveOAuthClient,
    /// External API v2.
    pub api: LiveApiClient,
    /// Permissions requested at sign-in.
    pub permissions: Vec<Permission>,
}

/// The platform the app talks to, in either contract.
#[derive(Clone, Debug)]
pub enum Platform {
    /// The integration guide's contract.
    Guide(GuidePlatform),
    /// The contract AutoGPT ships.
    Live(LivePlatform),
}

/// What to start: the request shapes differ (grants and a webhook vs credentials inputs and an
/// idempotency key), so each contract's own request is named explicitly.
#[derive(Clone, Debug)]
pub enum StartRun {
    /// `POST /executions/agents/{agent_id}/execute`.
    Guide {
        /// The agent (graph).
        agent: AgentId,
        /// Inputs, grants, webhook URL.
        request: ExecuteRequest,
    },
    /// `POST /library/agents/{agent_id}/runs`.
    Live {
        /// The library agent.
        agent: LibraryAgentId,
        /// Inputs and credentials inputs.
        request: RunRequest,
        /// Stable per user action, so a retry never starts a second paid run.
        idempotency_key: Option<IdempotencyKey>,
    },
}

impl StartRun {
    fn profile(&self) -> Profile {
        match self {
            Self::Guide { .. } => Profile::Guide,
            Self::Live { .. } => Profile::Live,
        }
    }
}

/// A failed platform operation, with the contract's own error inside.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// Guide OAuth (`/oauth/*`).
    #[error(transparent)]
    GuideOAuth(#[from] OAuthClientError),
    /// Guide External API.
    #[error(transparent)]
    GuideApi(#[from] ApiError),
    /// Live OAuth (`/api/oauth/*`).
    #[error(transparent)]
    LiveOAuth(#[from] LiveOAuthClientError),
    /// Live External API v2.
    #[error(transparent)]
    LiveApi(#[from] LiveApiError),
    /// The operation does not exist in this contract (e.g. an API key on the guide's API).
    #[error("not supported by the {profile} profile: {what}")]
    Unsupported {
        /// The platform's profile.
        profile: Profile,
        /// What was asked.
        what: &'static str,
    },
    /// A request built for the other contract.
    #[error("a {request} request sent to a {platform} platform")]
    WrongProfile {
        /// The platform's profile.
        platform: Profile,
        /// The request's profile.
        request: Profile,
    },
}

impl PlatformError {
    /// The grant is dead (`invalid_grant` / `Invalid grant: …`): mark the connection
    /// "reconnect required", delete its tokens, do not retry.
    pub fn requires_reconnect(&self) -> bool {
        match self {
            Self::GuideOAuth(e) => e.requires_reconnect(),
            Self::LiveOAuth(e) => e.requires_reconnect(),
            _ => false,
        }
    }

    /// The API refused the credential (401): refresh once, then ask to sign in again.
    pub fn is_unauthorized(&self) -> bool {
        match self {
            Self::GuideApi(e) => matches!(e, ApiError::Unauthorized { .. }),
            Self::LiveApi(e) => e.is_unauthorized(),
            _ => false,
        }
    }

    /// 404 from the API.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::GuideApi(e) => matches!(e, ApiError::NotFound { .. }),
            Self::LiveApi(e) => e.is_not_found(),
            _ => false,
        }
    }

    /// `Retry-After`, when the platform sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::GuideApi(ApiError::RateLimited { retry_after }) => *retry_after,
            Self::GuideOAuth(OAuthClientError::RateLimited { retry_after }) => *retry_after,
            Self::LiveApi(e) => e.retry_after(),
            Self::LiveOAuth(LiveOAuthClientError::OAuth(e)) => e.retry_after(),
            _ => None,
        }
    }

    /// The rotated refresh token recovered from a token answer that failed to parse.
    pub fn rotated_refresh_token(&self) -> Option<&RefreshToken> {
        match self {
            Self::GuideOAuth(e) => e.rotated_refresh_token(),
            Self::LiveOAuth(e) => e.rotated_refresh_token(),
            _ => None,
        }
    }
}

impl Platform {
    /// Which contract this is.
    pub fn profile(&self) -> Profile {
        match self {
            Self::Guide(_) => Profile::Guide,
            Self::Live(_) => Profile::Live,
        }
    }

    /// The guide clients, for what only the guide has (grants, Connect popup, webhooks).
    pub fn as_guide(&self) -> Option<&GuidePlatform> {
        match self {
            Self::Guide(g) => Some(g),
            Self::Live(_) => None,
        }
    }

    /// The live clients, for what only the live platform has (library agents, credential
    /// requirements, reviews, the setup wizard).
    pub fn as_live(&self) -> Option<&LivePlatform> {
        match self {
            Self::Live(l) => Some(l),
            Self::Guide(_) => None,
        }
    }

    /// A fresh authorization with the configured scopes: send the browser to `url`, keep
    /// `state` and `verifier` server-side.
    pub fn start_sign_in(&self) -> PendingAuthorization {
        match self {
            Self::Guide(g) => {
                start_authorization(g.oauth.platform(), g.oauth.client_id(), g.oauth.redirect_uri(), &g.scopes)
            }
            Self::Live(l) => l.oauth.start_authorization(&l.permissions),
        }
    }

    /// Exchanges the callback's code. `now` (unix seconds) anchors the guide's `expires_in`.
    pub async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        verifier: PkceVerifier,
        now: i64,
    ) -> Result<TokenResponse, PlatformError> {
        match self {
            Self::Guide(g) => Ok(g.oauth.exchange_code(code, verifier, now).await?),
            Self::Live(l) => Ok(l.oauth.exchange_code(code, verifier).await?.into_token_response()),
        }
    }

    /// Refreshes; the answer's refresh token replaces the old one in both contracts.
    pub async fn refresh(&self, refresh_token: &RefreshToken, now: i64) -> Result<TokenResponse, PlatformError> {
        match self {
            Self::Guide(g) => Ok(g.oauth.refresh(refresh_token, now).await?),
            Self::Live(l) => Ok(l.oauth.refresh(refresh_token).await?.into_token_response()),
        }
    }

    /// Revokes a token at the platform (best effort on sign-out).
    pub async fn revoke(&self, token: RevokableToken<'_>) -> Result<(), PlatformError> {
        match self {
            Self::Guide(g) => Ok(g.oauth.revoke(token).await?),
            Self::Live(l) => {
                let token = match token {
                    RevokableToken::Access(t) => TokenRef::Access(t),
                    RevokableToken::Refresh(t) => TokenRef::Refresh(t),
                };
                Ok(l.oauth.revoke(token).await?)
            }
        }
    }

    /// Who the credential belongs to: guide userinfo, live `GET /me` (which also validates
    /// an API key).
    pub async fn identity(&self, credential: &Credential) -> Result<Identity, PlatformError> {
        match self {
            Self::Guide(g) => Ok(g.oauth.userinfo(guide_token(credential)?).await?.into()),
            Self::Live(l) => Ok(l.api.me(credential).await?.value.into()),
        }
    }

    /// The user's connected third-party accounts, optionally of one provider (guide: this
    /// client's grants, filtered here; live: every page of `GET /integrations/credentials`,
    /// filtered by the platform, up to [`DEFAULT_MAX_PAGES`] pages).
    pub async fn connected_credentials(
        &self,
        credential: &Credential,
        provider: Option<&Provider>,
    ) -> Result<Vec<ConnectedCredential>, PlatformError> {
        match self {
            Self::Guide(g) => {
                let grants = g.api.grants(guide_token(credential)?).await?;
                let wanted = |p: &Provider| provider.is_none_or(|want| want.as_str().eq_ignore_ascii_case(p.as_str()));
                Ok(grants.into_iter().filter(|gr| wanted(&gr.provider)).map(Into::into).collect())
            }
            Self::Live(l) => {
                let all = l.api.all_credentials(credential, provider, DEFAULT_MAX_PAGES).await?;
                Ok(all.items.into_iter().map(Into::into).collect())
            }
        }
    }

    /// Starts a run. The request must be for this platform's contract.
    pub async fn start_run(&self, credential: &Credential, start: StartRun) -> Result<RunSnapshot, PlatformError> {
        match (self, start) {
            (Self::Guide(g), StartRun::Guide { agent, request }) => {
                let started = g.api.execute(guide_token(credential)?, &agent, &request).await?;
                Ok(RunSnapshot::from_guide_start(started))
            }
            (Self::Live(l), StartRun::Live { agent, request, idempotency_key }) => {
                let run = l.api.start_run(credential, &agent, &request, idempotency_key.as_ref()).await?;
                Ok(RunSnapshot::from_live(run.value))
            }
            (platform, start) => {
                Err(PlatformError::WrongProfile { platform: platform.profile(), request: start.profile() })
            }
        }
    }

    /// Reads a run (live: with outputs and block errors).
    pub async fn run(&self, credential: &Credential, id: &ExecutionId) -> Result<RunSnapshot, PlatformError> {
        match self {
            Self::Guide(g) => Ok(RunSnapshot::from_guide(g.api.execution(guide_token(credential)?, id).await?)),
            Self::Live(l) => Ok(RunSnapshot::from_live(l.api.run(credential, &RunId::from(id)).await?.value)),
        }
    }

    /// Stops a run and returns its state after the stop request (it may not be final yet:
    /// keep polling). Guide: cancel, then read the execution. Live: the stop answer; a run
    /// that had already finished is a 409 `conflict` error.
    pub async fn stop_run(&self, credential: &Credential, id: &ExecutionId) -> Result<RunSnapshot, PlatformError> {
        match self {
            Self::Guide(g) => {
                let token = guide_token(credential)?;
                g.api.cancel(token, id).await?;
                Ok(RunSnapshot::from_guide(g.api.execution(token, id).await?))
            }
            Self::Live(l) => Ok(RunSnapshot::from_live(l.api.stop_run(credential, &RunId::from(id)).await?.value)),
        }
    }
}

/// The guide's External API and userinfo take only OAuth access tokens.
fn guide_token(credential: &Credential) -> Result<&AccessToken, PlatformError> {
    match credential {
        Credential::Bearer(t) => Ok(t),
        Credential::ApiKey(_) => Err(PlatformError::Unsupported {
            profile: Profile::Guide,
            what: "API keys on the External API (the guide's API takes OAuth access tokens)",
        }),
    }
}
