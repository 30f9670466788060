//! The live OAuth client: authorize and setup-wizard URLs, JSON code exchange and refresh
//! against `{backend}/api/oauth/token`, introspection and revocation. Client credentials go
//! in the JSON body; no `Authorization` header; redirects are never followed (checklist
//! 25, 26).

use url::Url;

use super::super::transport::{Transport, TransportError};
use crate::authorize::PendingAuthorization;
use crate::live::oauth_error::{parse_introspection_response, parse_revoke_response, parse_token_response};
use crate::live::token::{INTROSPECT_PATH, Introspection, REVOKE_PATH, TOKEN_PATH, TokenRef, json_post};
use crate::live::wizard::{WizardProvider, setup_wizard_url};
use crate::live::{BackendUrl, LiveOAuthApp, LiveOAuthError, LiveTokenResponse, Permission, authorize};
use crate::origin::{PlatformUrl, RedirectUri};
use crate::pkce::PkceVerifier;
use crate::random::State;
use crate::secret::{AuthorizationCode, RefreshToken};

/// A failed live OAuth call.
#[derive(Debug, thiserror::Error)]
pub enum LiveOAuthClientError {
    /// The platform (or a proxy in front of it) refused or answered oddly.
    #[error(transparent)]
    OAuth(#[from] LiveOAuthError),
    /// Network failure or timeout.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl LiveOAuthClientError {
    /// `Invalid grant`: the connection needs a new sign-in; do not retry (checklist 32).
    pub fn requires_reconnect(&self) -> bool {
        matches!(self, Self::OAuth(e) if e.requires_reconnect())
    }

    /// The rotated refresh token recovered from a token answer that failed to parse: store it.
    pub fn rotated_refresh_token(&self) -> Option<&RefreshToken> {
        match self {
            Self::OAuth(e) => e.rotated_refresh_token(),
            Self::Transport(_) => None,
        }
    }
}

/// The OAuth client of one registered live application. `Debug` redacts the secret.
#[derive(Clone, Debug)]
pub struct LiveOAuthClient {
    transport: Transport,
    platform: PlatformUrl,
    backend: BackendUrl,
    app: LiveOAuthApp,
}

impl LiveOAuthClient {
    /// A client: browser pages on `platform`, token endpoints on `backend`.
    pub fn new(transport: Transport, platform: PlatformUrl, backend: BackendUrl, app: LiveOAuthApp) -> Self {
        Self { transport, platform, backend, app }
    }

    /// The registration.
    pub fn app(&self) -> &LiveOAuthApp {
        &self.app
    }

    /// The platform (pages) URL.
    pub fn platform(&self) -> &PlatformUrl {
        &self.platform
    }

    /// The backend (API) URL.
    pub fn backend(&self) -> &BackendUrl {
        &self.backend
    }

    /// A fresh authorization (state and PKCE verifier from the CSPRNG) for `permissions`.
    pub fn start_authorization(&self, permissions: &[Permission]) -> PendingAuthorization {
        authorize::start_authorization(&self.platform, &self.app.client_id, &self.app.redirect_uri, permissions)
    }

    /// The setup-wizard URL for `providers`, returning to `redirect_uri` (registered for this
    /// client, e.g. the app's integrations callback) with `state`.
    pub fn setup_wizard_url(&self, providers: &[WizardProvider], redirect_uri: &RedirectUri, state: &State) -> Url {
        setup_wizard_url(&self.platform, &self.app.client_id, providers, redirect_uri, state)
    }

    /// Exchanges a code (once, within 10 minutes). The verifier is consumed: single use.
    pub async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        verifier: PkceVerifier,
    ) -> Result<LiveTokenResponse, LiveOAuthClientError> {
        let body = self.app.code_exchange_body(code, &verifier);
        let res = self.transport.send(json_post(&self.backend, TOKEN_PATH, body)).await?;
        Ok(parse_token_response(&res)?)
    }

    /// Refreshes. The answer's refresh token replaces the one sent, which is now revoked:
    /// store it atomically, and serialise refreshes per connection (a concurrent refresh with
    /// the same token loses with `Invalid grant`).
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<LiveTokenResponse, LiveOAuthClientError> {
        let res =
            self.transport.send(json_post(&self.backend, TOKEN_PATH, self.app.refresh_body(refresh_token))).await?;
        Ok(parse_token_response(&res)?)
    }

    /// Introspects a token (`active: false` for unknown, expired or revoked ones).
    pub async fn introspect(&self, token: TokenRef<'_>) -> Result<Introspection, LiveOAuthClientError> {
        let req = json_post(&self.backend, INTROSPECT_PATH, self.app.introspect_body(token));
        Ok(parse_introspection_response(&self.transport.send(req).await?)?)
    }

    /// Revokes a token of this app. Revoking the refresh token does not revoke the access
    /// token (it expires within the hour) and vice versa.
    pub async fn revoke(&self, token: TokenRef<'_>) -> Result<(), LiveOAuthClientError> {
        let req = json_post(&self.backend, REVOKE_PATH, self.app.revoke_body(token));
        Ok(parse_revoke_response(&self.transport.send(req).await?)?)
    }
}
