//! [`Context`]: every service's shared state (storage, tokens, platform clients, events),
//! built once at start from typed, already validated [`BackendSettings`] and shared by `Arc`.

use std::sync::Arc;
use std::time::Duration;

use autogpt::client::live::{LiveApiClient, LiveOAuthClient};
use autogpt::client::{ApiBasePath, ExternalApiClient, GuidePlatform, LivePlatform, OAuthClient, Platform, Transport};
use autogpt::ids::{ClientId, Provider};
use autogpt::live::{BackendUrl, LiveOAuthApp, Permission};
use autogpt::origin::{Origin, PlatformUrl, RedirectUri, WebhookUrl};
use autogpt::platform::Profile;
use autogpt::scope::ProviderScope;
use autogpt::scope::Scope;
use autogpt::secret::{ClientSecret, WebhookSecret};
use autogpt::webhook::WebhookVerifier;

use crate::crypto::AppSecret;
use crate::refresher::PlatformRefresher;
use crate::services::issuer::IssuerCache;
use crate::{Clock, EventBus, Storage, SystemClock, TokenCipher, TokenManager};

/// A provider the Connect popup may ask for, with the scopes its card requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectProvider {
    /// Provider id as the platform names it (`google`).
    pub id: Provider,
    /// Integration scopes requested (guide profile).
    pub scopes: Vec<Scope>,
    /// The provider's own scopes the setup wizard asks for (live profile).
    pub live_scopes: Vec<ProviderScope>,
}

/// What only the live profile needs.
#[derive(Clone, Debug)]
pub struct LiveSettings {
    /// The platform's backend: `/api/oauth/*` and External API v2.
    pub api: BackendUrl,
    /// Permissions requested at sign-in.
    pub permissions: Vec<Permission>,
    /// Where the setup wizard returns (registered with the platform).
    pub integrations_redirect_uri: RedirectUri,
}

/// When the background upkeep runs and what it considers stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpkeepSettings {
    /// Loop period.
    pub every: Duration,
    /// An execution not updated for this long is polled (checklist 64).
    pub stale_after_secs: i64,
}

impl Default for UpkeepSettings {
    fn default() -> Self {
        Self { every: Duration::from_secs(15), stale_after_secs: 30 }
    }
}

/// Everything the services need, typed and validated by the server's configuration.
#[derive(Clone, Debug)]
pub struct BackendSettings {
    /// This app's public origin: popup `redirect_origin` and the `Origin` mutating calls need.
    pub app_origin: Origin,
    /// The platform.
    pub platform: PlatformUrl,
    /// External API path prefix.
    pub api_base: String,
    /// Our OAuth client.
    pub client_id: ClientId,
    /// Its secret.
    pub client_secret: ClientSecret,
    /// Our callback, byte-identical in the authorization and token requests (checklist 23).
    pub redirect_uri: RedirectUri,
    /// Scopes requested at sign-in (checklist 39).
    pub sign_in_scopes: Vec<Scope>,
    /// Where the platform sends execution webhooks.
    pub webhook_url: Option<WebhookUrl>,
    /// Webhook secrets, current first (rotation, checklist 53).
    pub webhook_secrets: Vec<WebhookSecret>,
    /// Freshness window of webhook timestamps (checklist 55); inbox retention derives from it.
    pub webhook_window: Duration,
    /// Connectable providers.
    pub providers: Vec<ConnectProvider>,
    /// `DATABASE_URL`.
    pub database_url: String,
    /// Key material for token encryption.
    pub app_secret: AppSecret,
    /// True in production: cookies are `Secure` with a `__Host-` name.
    pub production: bool,
    /// Background upkeep.
    pub upkeep: UpkeepSettings,
    /// This instance's name, stable across restarts (it owns webhook leases; a restarted
    /// instance releases what its previous incarnation held).
    pub instance_id: String,
    /// A session's absolute lifetime, whatever its activity (checklist 40's companion).
    pub session_max_age: Duration,
    /// Budgets for platform token calls.
    pub token_budget: crate::tokens::TokenBudget,
    /// Which contract the platform speaks.
    pub profile: Profile,
    /// The live profile's settings (`Some` exactly when `profile` is live).
    pub live: Option<LiveSettings>,
    /// How durable a SQLite commit is (`SQLITE_SYNCHRONOUS`).
    pub sqlite_sync: crate::storage::SqliteSync,
}

/// The settings a service reads at run time (the secrets stay inside the clients).
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// This app's public origin.
    pub app_origin: Origin,
    /// The platform.
    pub platform: PlatformUrl,
    /// Our client id.
    pub client_id: ClientId,
    /// Scopes requested at sign-in.
    pub sign_in_scopes: Vec<Scope>,
    /// Where the platform sends execution webhooks.
    pub webhook_url: Option<WebhookUrl>,
    /// Webhook freshness window.
    pub webhook_window: Duration,
    /// Connectable providers.
    pub providers: Vec<ConnectProvider>,
    /// Production cookies.
    pub production: bool,
    /// Background upkeep.
    pub upkeep: UpkeepSettings,
    /// A session's absolute lifetime.
    pub session_max_age: Duration,
    /// Which contract the platform speaks.
    pub profile: Profile,
    /// Where the setup wizard returns (live profile).
    pub integrations_redirect_uri: Option<RedirectUri>,
}

/// Batches of stored webhook deliveries waiting for the processor.
const PROCESSING_QUEUE: usize = 64;

/// Why the services could not be built: only I/O (the settings were validated before).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The database could not be opened, migrated or listened to.
    #[error("storage: {0}")]
    Storage(#[from] crate::StorageError),
    /// The HTTP client could not be built (TLS roots).
    #[error("HTTP client: {0}")]
    Transport(#[from] autogpt::client::TransportError),
}

/// Shared services. Cheap to clone.
#[derive(Clone)]
pub struct Context(Arc<Inner>);

/// The services inside a [`Context`].
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
    pub issuer: IssuerCache,
    /// This instance's name (owner of webhook leases).
    pub instance: String,
    /// Seals the sign-in transaction cookie (a key of its own, derived from `APP_SECRET`).
    pub sign_in_seal: crate::crypto::Sealer,
    /// The platform, in whichever contract it speaks (sign-in, identity, credentials, runs).
    pub platform: Platform,
    /// The live Connect attempts' nonces, from their `state`.
    pub connect_nonces: crate::crypto::NonceDeriver,
    /// The webhook inbox's group-commit writer.
    pub intake: crate::intake::Intake,
    /// The live runs this instance watches (one poller each, L5).
    pub watching: crate::services::watcher::Watching,
}

impl Context {
    /// Opens storage and the event bus and builds the platform clients.
    pub async fn build(settings: BackendSettings) -> Result<Self, BuildError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// [`Context::build`] with another clock (tests).
    pub async fn build_with_clock(settings: BackendSettings, clock: Arc<dyn Clock>) -> Result<Self, BuildError> {
        let cipher = TokenCipher::from_secret(&settings.app_secret);
        let storage = Storage::open_with(&settings.database_url, cipher, settings.sqlite_sync).await?;
        let events = EventBus::start(&storage).await?;
        let transport = Transport::new()?;
        let oauth = OAuthClient::new(
            transport.clone(),
            settings.platform.clone(),
            settings.client_id.clone(),
            settings.client_secret.clone(),
            settings.redirect_uri.clone(),
        );
        let api =
            ExternalApiClient::new(transport.clone(), settings.platform.clone(), ApiBasePath::new(&settings.api_base));
        let platform = match &settings.live {
            None => Platform::Guide(GuidePlatform {
                oauth: oauth.clone(),
                api: api.clone(),
                scopes: settings.sign_in_scopes.clone(),
            }),
            Some(live) => Platform::Live(LivePlatform {
                oauth: LiveOAuthClient::new(
                    transport.clone(),
                    settings.platform.clone(),
                    live.api.clone(),
                    LiveOAuthApp {
                        client_id: settings.client_id.clone(),
                        client_secret: settings.client_secret.clone(),
                        redirect_uri: settings.redirect_uri.clone(),
                    },
                ),
                api: LiveApiClient::new(transport.clone(), live.api.clone()),
                permissions: live.permissions.clone(),
            }),
        };
        let issuer = IssuerCache::new(transport, settings.platform.clone());
        let tokens = TokenManager::with_config(
            storage.clone(),
            PlatformRefresher::new(platform.clone(), clock.clone()),
            clock.clone(),
            crate::TokenManagerConfig { budget: settings.token_budget, ..Default::default() },
        );
        let sign_in_seal = crate::crypto::Sealer::new(&settings.app_secret, crate::crypto::Purpose::SignInTransaction);
        let webhooks = WebhookVerifier::new(settings.webhook_secrets).with_freshness_window(settings.webhook_window);
        let (stored, to_process) = tokio::sync::mpsc::channel(PROCESSING_QUEUE);
        let intake = crate::intake::Intake::start(storage.clone(), settings.instance_id.clone(), stored);
        let ctx = Self(Arc::new(Inner {
            config: ServiceConfig {
                app_origin: settings.app_origin,
                platform: settings.platform,
                client_id: settings.client_id,
                sign_in_scopes: settings.sign_in_scopes,
                webhook_url: settings.webhook_url,
                webhook_window: settings.webhook_window,
                providers: settings.providers,
                production: settings.production,
                upkeep: settings.upkeep,
                session_max_age: settings.session_max_age,
                profile: settings.profile,
                integrations_redirect_uri: settings.live.as_ref().map(|l| l.integrations_redirect_uri.clone()),
            },
            storage,
            tokens,
            oauth,
            api,
            events,
            webhooks,
            clock,
            issuer,
            instance: settings.instance_id,
            sign_in_seal,
            platform,
            connect_nonces: crate::crypto::NonceDeriver::new(&settings.app_secret),
            intake,
            watching: Default::default(),
        }));
        // Off the request path; it holds the services weakly, so it ends with them.
        let backlog = ctx.intake.backlog();
        tokio::spawn(crate::services::webhooks::process_stored(Arc::downgrade(&ctx.0), to_process, backlog));
        Ok(ctx)
    }

    /// The services again from a weak handle (background tasks that must not keep them alive).
    pub(crate) fn from_weak(inner: &std::sync::Weak<Inner>) -> Option<Self> {
        inner.upgrade().map(Self)
    }

    /// Now, unix seconds.
    pub fn now(&self) -> i64 {
        self.0.clock.now()
    }
}

impl std::ops::Deref for Context {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
