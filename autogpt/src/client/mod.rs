//! Server-only HTTP clients (feature `client`): the guide's OAuth and External API clients,
//! the live profile's clients ([`live`]), and [`Platform`], the one seam over both.
//!
//! All are thin: pure request builders produce `http::Request<Vec<u8>>`, pure parsers read
//! `http::Response<Vec<u8>>`, and [`Transport`] is the one seam that moves bytes (one reqwest
//! client, redirects off, timeouts). The builders and parsers are what the golden fixtures pin.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use autogpt::client::{ApiBasePath, ExternalApiClient, OAuthClient, Transport, WaitOptions};
//! use autogpt::ids::{AgentId, ClientId};
//! use autogpt::origin::{PlatformUrl, RedirectUri};
//! use autogpt::pkce::PkceVerifier;
//! use autogpt::secret::{AuthorizationCode, ClientSecret};
//! use autogpt::types::ExecuteRequest;
//!
//! let transport = Transport::new()?; // once per process
//! let platform = PlatformUrl::parse("https://platform.agpt.co")?;
//! let oauth = OAuthClient::new(
//!     transport.clone(),
//!     platform.clone(),
//!     ClientId::new("agpt_client_1"),
//!     ClientSecret::new("from-settings"),
//!     RedirectUri::new("https://app.example/oauth/callback")?,
//! );
//! // In the callback, after checking `state` against the session:
//! let now = time::OffsetDateTime::now_utc().unix_timestamp();
//! let verifier = PkceVerifier::new("verifier-from-the-server-session-43-chars-min")?;
//! let tokens = oauth.exchange_code(&AuthorizationCode::new("code"), verifier, now).await?;
//!
//! let api = ExternalApiClient::new(transport, platform, ApiBasePath::default());
//! let request = ExecuteRequest { inputs: Default::default(), grant_ids: None, webhook_url: None };
//! let run = api.execute(&tokens.access_token, &AgentId::new("agent-1"), &request).await?;
//! let done = api
//!     .wait_for_completion(&tokens.access_token, &run.execution_id, &WaitOptions::default(), |r| {
//!         tracing_free_log(r.status.as_str())
//!     })
//!     .await?;
//! println!("{}: {:?}", done.status, done.outputs);
//! # Ok(()) }
//! # fn tracing_free_log(_: &str) {}
//! ```

mod external;
pub mod live;
mod oauth;
mod platform;
mod transport;

pub use self::external::{ApiBasePath, ApiError, ExternalApiClient, WaitOptions, execution_from_response};
pub use self::oauth::{AuthorizationOutcome, OAuthClient, OAuthClientError, RevokableToken, parse_token_response};
pub use self::platform::{GuidePlatform, LivePlatform, Platform, PlatformError, StartRun};
pub use self::transport::{Transport, TransportError, TransportSettings};
