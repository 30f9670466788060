//! [`AppContext`]: everything a request needs, built once at start and shared.

use std::sync::Arc;

use autogpt::client::{ExternalApiClient, OAuthClient};
use autogpt::ids::ClientId;
use autogpt::origin::{Origin, PlatformUrl, WebhookUrl};
use autogpt::scope::Scope;
use autogpt::webhook::WebhookVerifier;

use super::platform::PlatformRefresher;
use crate::ProviderConfig;
use crate::server::{Clock, EventBus, Storage, TokenManager};

/// Settings the services need (a validated subset of the server's settings).
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// This app's public origin: popup `redirect_origin` and the `Origin` mutating calls need.
    pub app_origin: Origin,
    /// The platform.
    pub platform: PlatformUrl,
    /// Our client id.
    pub client_id: ClientId,
    /// Scopes requested at sign-in (checklist 39).
    pub sign_in_scopes: Vec<Scope>,
    /// Where the platform sends execution webhooks.
    pub webhook_url: Option<WebhookUrl>,
    /// Connectable providers and their scopes.
    pub providers: Vec<ProviderConfig>,
    /// True in production: cookies are `Secure` with a `__Host-` name.
    pub production: bool,
}

/// Shared services. Cheap to clone.
#[derive(Clone)]
pub struct AppContext(Arc<Inner>);

/// The services inside an [`AppContext`].
pub struct Inner {
    /// Settings.
    pub config: ServiceConfig,
    /// The database.
    pub storage: Storage,
    /// Access tokens with single-flight refresh.
    pub tokens: TokenManager<PlatformRefresher>,
    /// OAuth endpoints.
    pub oauth: OAuthClient,
    /// External API.
    pub api: ExternalApiClient,
    /// Live events (in-process or across replicas).
    pub events: EventBus,
    /// Webhook signature checks.
    pub webhooks: WebhookVerifier,
    /// Time source (a manual clock in tests).
    pub clock: Arc<dyn Clock>,
    /// The platform's issuer, from discovery (checklist 24).
    pub issuer: super::issuer::IssuerCache,
}

impl AppContext {
    /// Wraps the services.
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// Now, unix seconds.
    pub fn now(&self) -> i64 {
        self.0.clock.now()
    }
}

impl std::ops::Deref for AppContext {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
