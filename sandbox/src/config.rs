//! Configuration: the typed `Config` the library is started with, and the CLI/env parser for the
//! binary (the only place that reads the environment).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use clap::builder::BoolishValueParser;
use serde::{Deserialize, Serialize};

/// Switches that reproduce the real platform's known deviations from its documentation.
/// All off by default: the sandbox serves the documented behaviour.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Quirks {
    /// `GET /executions/{id}` answers `QUEUED|RUNNING|COMPLETED|FAILED|TERMINATED`.
    pub upper_case_statuses: bool,
    /// Token endpoint errors nested as `{"detail":{"error","error_description"}}`.
    pub nested_token_errors: bool,
    /// Webhook HMAC over Python `json.dumps(sort_keys=True, separators=(",",":"))`, body sent as
    /// httpx would send it (`json.dumps` defaults), instead of HMAC over the raw body.
    pub canonical_json_signatures: bool,
    /// Webhooks are sent without `X-Webhook-Signature`.
    pub unsigned_webhooks: bool,
    /// Only `/external-api/v1` exists; `/api/external/v1` answers 404.
    pub platform_api_path_only: bool,
    /// `/oauth/authorize` without identity answers 200 with a meta refresh to the login page.
    pub login_meta_refresh: bool,
    /// Authorization responses carry `iss` (and discovery advertises it).
    pub iss_parameter: bool,
}

/// Everything the sandbox is started with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address; port 0 picks a free port (tests).
    pub addr: SocketAddr,
    /// Public base URL (`scheme://host:port`). `None` = `http://{bound addr}`; port 0 (e.g.
    /// `http://localhost:0`) is replaced by the bound port.
    pub public_url: Option<String>,
    /// Extra client origins: each adds the origin and `{origin}/api/autogpt/callback` to `dev-client`.
    pub extra_client_origins: Vec<String>,
    /// Extra exact redirect URIs for `dev-client`.
    pub extra_redirect_uris: Vec<String>,
    pub quirks: Quirks,
    /// Access-token lifetime (documented 3600 s).
    pub access_token_ttl: Duration,
    /// Refresh-token lifetime.
    pub refresh_token_ttl: Duration,
    /// Multiplies every execution-engine delay and webhook retry delay (1.0 = real time).
    pub time_factor: f64,
    /// Token-endpoint requests allowed per client per minute (documented 20).
    pub token_rate_limit: u32,
    /// Optional JSON snapshot: loaded at start when present, saved at shutdown.
    pub data_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8006)),
            public_url: None,
            extra_client_origins: Vec::new(),
            extra_redirect_uris: Vec::new(),
            quirks: Quirks::default(),
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            time_factor: 1.0,
            token_rate_limit: 20,
            data_file: None,
        }
    }
}

impl Config {
    /// A config for in-process tests: port 0, fast clock.
    pub fn for_tests() -> Self {
        Self { addr: SocketAddr::from(([127, 0, 0, 1], 0)), time_factor: 0.02, ..Self::default() }
    }
}

/// Command line of the `sandbox` binary; every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(name = "sandbox", about = "Local stand-in for the AutoGPT Platform")]
pub struct Cli {
    /// Listen address.
    #[arg(long, env = "SANDBOX_ADDR", default_value = "127.0.0.1:8006")]
    pub addr: SocketAddr,
    /// Public base URL (default `http://{addr}`), e.g. `http://localhost:8006`.
    #[arg(long, env = "SANDBOX_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Extra client origin (repeatable or comma-separated): adds origin + `{origin}/api/autogpt/callback`.
    #[arg(long = "client-origin", env = "SANDBOX_CLIENT_ORIGINS", value_delimiter = ',')]
    pub client_origins: Vec<String>,
    /// Extra exact redirect URI for dev-client (repeatable or comma-separated).
    #[arg(long = "redirect-uri", env = "SANDBOX_REDIRECT_URIS", value_delimiter = ',')]
    pub redirect_uris: Vec<String>,
    /// Access-token lifetime in seconds.
    #[arg(long, env = "SANDBOX_ACCESS_TOKEN_TTL", default_value_t = 3600)]
    pub access_token_ttl: u64,
    /// Refresh-token lifetime in seconds.
    #[arg(long, env = "SANDBOX_REFRESH_TOKEN_TTL", default_value_t = 2_592_000)]
    pub refresh_token_ttl: u64,
    /// Clock factor for executions and webhook retries (0.1 = ten times faster).
    #[arg(long, env = "SANDBOX_TIME_FACTOR", default_value_t = 1.0)]
    pub time_factor: f64,
    /// Token-endpoint requests per client per minute.
    #[arg(long, env = "SANDBOX_TOKEN_RATE_LIMIT", default_value_t = 20)]
    pub token_rate_limit: u32,
    /// JSON data file (loaded if present, saved at shutdown).
    #[arg(long, env = "SANDBOX_DATA_FILE")]
    pub data_file: Option<PathBuf>,
    /// Quirk: upper-case execution statuses.
    #[arg(long, env = "SANDBOX_QUIRK_UPPER_CASE_STATUSES", value_parser = BoolishValueParser::new())]
    pub quirk_upper_case_statuses: bool,
    /// Quirk: token errors nested under `detail`.
    #[arg(long, env = "SANDBOX_QUIRK_NESTED_TOKEN_ERRORS", value_parser = BoolishValueParser::new())]
    pub quirk_nested_token_errors: bool,
    /// Quirk: canonical-JSON webhook signatures (Python json.dumps form).
    #[arg(long, env = "SANDBOX_QUIRK_CANONICAL_SIGNATURES", value_parser = BoolishValueParser::new())]
    pub quirk_canonical_signatures: bool,
    /// Quirk: webhooks without a signature header.
    #[arg(long, env = "SANDBOX_QUIRK_UNSIGNED_WEBHOOKS", value_parser = BoolishValueParser::new())]
    pub quirk_unsigned_webhooks: bool,
    /// Quirk: External API only under `/external-api/v1`.
    #[arg(long, env = "SANDBOX_QUIRK_PLATFORM_API_PATH", value_parser = BoolishValueParser::new())]
    pub quirk_platform_api_path: bool,
    /// Quirk: "needs login" answered 200 with a meta refresh.
    #[arg(long, env = "SANDBOX_QUIRK_LOGIN_META_REFRESH", value_parser = BoolishValueParser::new())]
    pub quirk_login_meta_refresh: bool,
    /// Quirk: `iss` in authorization responses.
    #[arg(long, env = "SANDBOX_QUIRK_ISS", value_parser = BoolishValueParser::new())]
    pub quirk_iss: bool,
}

impl Cli {
    pub fn into_config(self) -> Config {
        Config {
            addr: self.addr,
            public_url: self.public_url,
            extra_client_origins: self.client_origins,
            extra_redirect_uris: self.redirect_uris,
            quirks: Quirks {
                upper_case_statuses: self.quirk_upper_case_statuses,
                nested_token_errors: self.quirk_nested_token_errors,
                canonical_json_signatures: self.quirk_canonical_signatures,
                unsigned_webhooks: self.quirk_unsigned_webhooks,
                platform_api_path_only: self.quirk_platform_api_path,
                login_meta_refresh: self.quirk_login_meta_refresh,
                iss_parameter: self.quirk_iss,
            },
            access_token_ttl: Duration::from_secs(self.access_token_ttl),
            refresh_token_ttl: Duration::from_secs(self.refresh_token_ttl),
            time_factor: self.time_factor,
            token_rate_limit: self.token_rate_limit,
            data_file: self.data_file,
        }
    }
}
