//! HTTP clients of the **live** profile (`platform-live-contract.md`): the OAuth client for
//! `{backend}/api/oauth/*` and the External API v2 client. Both are thin over the pure
//! builders and parsers of [`crate::live`] and the shared [`super::Transport`] (one reqwest
//! client, redirects never followed).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use autogpt::client::Transport;
//! use autogpt::client::live::{LiveApiClient, LiveOAuthClient};
//! use autogpt::ids::ClientId;
//! use autogpt::live::api::{Credential, IdempotencyKey, LibraryAgentsQuery, RunRequest};
//! use autogpt::live::{BackendUrl, LiveOAuthApp, Permission};
//! use autogpt::origin::{PlatformUrl, RedirectUri};
//! use autogpt::secret::ClientSecret;
//!
//! let transport = Transport::new()?;
//! let platform = PlatformUrl::parse("https://platform.agpt.co")?;
//! let backend = BackendUrl::parse("https://backend.agpt.co")?;
//! let app = LiveOAuthApp {
//!     client_id: ClientId::new("agpt_client_1"),
//!     client_secret: ClientSecret::new("from-settings"),
//!     redirect_uri: RedirectUri::new("https://app.example/api/autogpt/callback")?,
//! };
//! let oauth = LiveOAuthClient::new(transport.clone(), platform, backend.clone(), app);
//! let pending = oauth.start_authorization(&[Permission::Identity, Permission::ReadLibrary, Permission::RunAgent]);
//! // ... redirect to pending.url, then in the callback:
//! # let code = autogpt::secret::AuthorizationCode::new("c");
//! let tokens = oauth.exchange_code(&code, pending.verifier).await?;
//!
//! let api = LiveApiClient::new(transport, backend);
//! let me = Credential::Bearer(tokens.access_token);
//! let agents = api.all_library_agents(&me, &LibraryAgentsQuery::default(), 10).await?;
//! let agent = api.library_agent(&me, &agents.items[0].id).await?.value;
//! let key = IdempotencyKey::generate(); // once per user action, reused on retries
//! let run = api.start_run(&me, &agent.id, &RunRequest::default(), Some(&key)).await?;
//! println!("{} is {}", run.value.id, run.value.status);
//! # Ok(()) }
//! ```

mod api;
mod oauth;
mod pages;

pub use self::api::{LiveApiClient, LiveApiError};
pub use self::oauth::{LiveOAuthClient, LiveOAuthClientError};
pub use self::pages::{Collected, DEFAULT_MAX_PAGES, collect_pages};
