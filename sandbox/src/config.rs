//! Configuration: the typed `Config` the library is started with, and the CLI/env parser for the
//! binary (the only place that reads the environment).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use clap::builder::BoolishValueParser;
use serde::{Deserialize, Serialize};

use crate::live::settings::{ConsentMode, LiveSettings};

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
    /// Listen address of the live backend (`/api/oauth/*`, `/external-api/v2`).
    pub live_api_addr: SocketAddr,
    /// Listen address of the live browser pages (`/login`, `/auth/authorize`, the wizard).
    pub live_pages_addr: SocketAddr,
    /// Public base URL of the live backend (default `http://{live_api_addr}`; port 0 = bound port).
    pub live_api_public_url: Option<String>,
    /// Public base URL of the live pages (default `http://{live_pages_addr}`; port 0 = bound port).
    pub live_pages_public_url: Option<String>,
    /// The live profile's switches at start (and after `POST /__admin/reset`).
    pub live: LiveSettings,
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
            live_api_addr: SocketAddr::from(([127, 0, 0, 1], 8106)),
            live_pages_addr: SocketAddr::from(([127, 0, 0, 1], 8107)),
            live_api_public_url: None,
            live_pages_public_url: None,
            live: LiveSettings::default(),
        }
    }
}

impl Config {
    /// A config for in-process tests: all three listeners on 127.0.0.1 port 0, fast clock.
    pub fn for_tests() -> Self {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Self { addr: any, live_api_addr: any, live_pages_addr: any, time_factor: 0.02, ..Self::default() }
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
    /// Live profile: listen address of the backend (`/api/oauth/*`, `/external-api/v2`).
    #[arg(long, env = "SANDBOX_LIVE_API_ADDR", default_value = "127.0.0.1:8106")]
    pub live_api_addr: SocketAddr,
    /// Live profile: listen address of the browser pages (login, consent, setup wizard).
    #[arg(long, env = "SANDBOX_LIVE_PAGES_ADDR", default_value = "127.0.0.1:8107")]
    pub live_pages_addr: SocketAddr,
    /// Live profile: public URL of the backend (default `http://{live-api-addr}`).
    #[arg(long, env = "SANDBOX_LIVE_API_PUBLIC_URL")]
    pub live_api_public_url: Option<String>,
    /// Live profile: public URL of the pages (default `http://{live-pages-addr}`).
    #[arg(long, env = "SANDBOX_LIVE_PAGES_PUBLIC_URL")]
    pub live_pages_public_url: Option<String>,
    /// Live profile: requests per user per window.
    #[arg(long, env = "SANDBOX_LIVE_RATE_LIMIT", default_value_t = 200)]
    pub live_rate_limit: u32,
    /// Live profile: run starts per user per window.
    #[arg(long, env = "SANDBOX_LIVE_RUN_RATE_LIMIT", default_value_t = 60)]
    pub live_run_rate_limit: u32,
    /// Live profile: rate-limit window in seconds (aligned to multiples since the epoch).
    #[arg(long, env = "SANDBOX_LIVE_RATE_WINDOW", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub live_rate_window: u64,
    /// Live profile: every run start answers 402.
    #[arg(long, env = "SANDBOX_LIVE_PAYMENT_REQUIRED", value_parser = BoolishValueParser::new())]
    pub live_payment_required: bool,
    /// Live profile: consent card and wizard shown, or answered at once.
    #[arg(long, env = "SANDBOX_LIVE_CONSENT_MODE", value_enum, default_value = "interactive")]
    pub live_consent_mode: ConsentMode,
    /// Live profile, Q1: app info as redirect-hardening variant B.
    #[arg(long, env = "SANDBOX_LIVE_APP_INFO_VARIANT_B", value_parser = BoolishValueParser::new())]
    pub live_app_info_variant_b: bool,
    /// Live profile, Q3: credentials list as the older `{"credentials":[...]}`.
    #[arg(long, env = "SANDBOX_LIVE_LEGACY_CREDENTIALS_LIST", value_parser = BoolishValueParser::new())]
    pub live_legacy_credentials_list: bool,
    /// Live profile, Q7: timestamps without fractional seconds.
    #[arg(long, env = "SANDBOX_LIVE_TIMESTAMPS_WITHOUT_FRACTION", value_parser = BoolishValueParser::new())]
    pub live_timestamps_without_fraction: bool,
    /// Live profile, Q9: reviews may be answered a few at a time.
    #[arg(long, env = "SANDBOX_LIVE_REVIEWS_ALLOW_PARTIAL", value_parser = BoolishValueParser::new())]
    pub live_reviews_allow_partial: bool,
    /// Live profile, Q14: a started run reads INCOMPLETE in the 202 body.
    #[arg(long, env = "SANDBOX_LIVE_RUN_START_INCOMPLETE", value_parser = BoolishValueParser::new())]
    pub live_run_start_incomplete: bool,
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
            live_api_addr: self.live_api_addr,
            live_pages_addr: self.live_pages_addr,
            live_api_public_url: self.live_api_public_url,
            live_pages_public_url: self.live_pages_public_url,
            live: LiveSettings {
                rate_limit: self.live_rate_limit,
                run_rate_limit: self.live_run_rate_limit,
                rate_window_secs: self.live_rate_window,
                payment_required: self.live_payment_required,
                consent_mode: self.live_consent_mode,
                app_info_variant_b: self.live_app_info_variant_b,
                legacy_credentials_list: self.live_legacy_credentials_list,
                timestamps_without_fraction: self.live_timestamps_without_fraction,
                reviews_allow_partial: self.live_reviews_allow_partial,
                run_start_incomplete: self.live_run_start_incomplete,
                ..LiveSettings::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_defaults_bind_the_three_documented_ports() {
        let c = Cli::parse_from(["sandbox"]).into_config();
        assert_eq!(c.addr.port(), 8006);
        assert_eq!(c.live_api_addr.port(), 8106);
        assert_eq!(c.live_pages_addr.port(), 8107);
        assert_eq!(c.live, LiveSettings::default());
        let c =
            Cli::parse_from(["sandbox", "--live-consent-mode", "auto-approve", "--live-rate-limit", "5"]).into_config();
        assert_eq!((c.live.consent_mode, c.live.rate_limit), (ConsentMode::AutoApprove, 5));
    }
}
