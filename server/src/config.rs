//! Configuration: one typed [`Settings`], read once at start from `Leptos.toml`
//! (or its embedded copy), `.env` and the environment. Only this module reads
//! the environment. Every problem is reported, one line each, before start-up.

use std::{collections::HashMap, fmt, net::SocketAddr, path::PathBuf, time::Duration};

use app::UiConfig;
use std::num::NonZeroU32;

use crate::middleware::{Quota, RateLimits};
use autogpt::ids::{ClientId, Provider};
use autogpt::live::{BackendUrl, Permission};
use autogpt::origin::{Origin, PlatformUrl, RedirectUri, WebhookUrl};
use autogpt::platform::Profile;
use autogpt::scope::ProviderScope;
use autogpt::scope::Scope;
use autogpt::secret::{ClientSecret, WebhookSecret};
use autogpt::webhook::DEFAULT_FRESHNESS_WINDOW;
use backend::storage::SqliteSync;
use backend::{AppSecret, BackendSettings, ConnectProvider, LiveSettings, TokenBudget, UpkeepSettings};
use serde::Deserialize;

/// The repository's `Leptos.toml`, compiled in so the binary runs anywhere.
const EMBEDDED_FILE: &str = include_str!("../../Leptos.toml");

/// Everything the server needs to run, typed and validated once: whatever holds a
/// `Settings` can use every value without checking it again.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Socket address to listen on (`LEPTOS_SITE_ADDR`, `[site] addr`).
    pub listen: SocketAddr,
    /// Where the built site (JS, WASM, CSS, assets) is.
    pub site: SiteSettings,
    /// What the pages offer.
    pub ui: UiConfig,
    /// Per-IP budgets (`RATE_LIMIT_CALLBACK`, `RATE_LIMIT_SERVER_FNS`, `RATE_LIMIT_WEBHOOK`,
    /// each `PER_SECOND/BURST`).
    pub rate_limits: RateLimits,
    /// What the services need: origins, platform, client, secrets, database, upkeep.
    pub backend: BackendSettings,
}

/// Development defaults that match the sandbox's seed (PRODUCT.md §6); refused in production.
const DEV_CLIENT_ID: &str = "dev-client";
const DEV_CLIENT_SECRET: &str = "dev-client-secret";
/// The sandbox's live-profile app (PRODUCT.md §9); refused in production too.
const DEV_LIVE_CLIENT_ID: &str = "agpt_client_dev";
const DEV_LIVE_CLIENT_SECRET: &str = "agpt_secret_dev";
const DEV_WEBHOOK_SECRET: &str = "whsec_dev";
const DEV_DATABASE_URL: &str = "sqlite://data/app.db";
const DEV_SECRET_FILE: &str = "data/app-secret";
/// Shortest webhook secret accepted in production (256 bits).
const MIN_PRODUCTION_WEBHOOK_SECRET: usize = 32;
/// A session's absolute lifetime unless `SESSION_MAX_AGE_DAYS` says otherwise.
const DEFAULT_SESSION_MAX_AGE: Duration = Duration::from_secs(30 * 86_400);

/// Location and names of the built front end.
#[derive(Clone, Debug)]
pub struct SiteSettings {
    /// File stem of the JS/WASM/CSS bundle.
    pub output_name: String,
    /// Directory served as the site root.
    pub root: PathBuf,
    /// Sub-directory of `root` holding the bundle.
    pub pkg_dir: String,
}

impl SiteSettings {
    /// Where pages link the site's stylesheet (cargo-leptos writes `<pkg_dir>/<output_name>.css`).
    pub fn stylesheet(&self) -> String {
        format!("/{}/{}.css", self.pkg_dir, self.output_name)
    }
}

/// All configuration problems found, one per line.
#[derive(Debug, PartialEq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.0 {
            writeln!(f, "- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct File {
    site: FileSite,
    app: FileApp,
    autogpt: FileAutoGpt,
    #[serde(default)]
    providers: Vec<app::ProviderConfig>,
    #[serde(default)]
    agents: Vec<app::AgentConfig>,
    #[serde(default)]
    upkeep: FileUpkeep,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileUpkeep {
    every_secs: u64,
    stale_after_secs: u64,
}

impl Default for FileUpkeep {
    fn default() -> Self {
        let d = UpkeepSettings::default();
        Self { every_secs: d.every.as_secs(), stale_after_secs: d.stale_after_secs.unsigned_abs() }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileSite {
    output_name: String,
    root: String,
    pkg_dir: String,
    addr: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileApp {
    public_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileAutoGpt {
    url: String,
    api_base: String,
    scopes: Vec<String>,
    live: FileLive,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileLive {
    url: String,
    api_url: String,
    scopes: Vec<String>,
}

impl Settings {
    /// Reads `.env` (if present), the settings file and the environment.
    pub fn load() -> Result<Self, ConfigErrors> {
        // A missing .env is normal; a malformed one is reported like any other problem.
        let dotenv_problem = match dotenvy::dotenv() {
            Ok(_) => None,
            Err(e) if e.not_found() => None,
            Err(e) => Some(format!(".env: {e}")),
        };
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = match env.get("APP_CONFIG") {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| ConfigErrors(vec![format!("APP_CONFIG={path}: cannot read: {e}")]))?,
            None => std::fs::read_to_string("Leptos.toml").unwrap_or_else(|_| EMBEDDED_FILE.to_owned()),
        };
        let mut result = Self::from_sources(&file, &env);
        if let (Some(problem), Err(ConfigErrors(problems))) = (dotenv_problem, &mut result) {
            problems.insert(0, problem);
        }
        result
    }

    /// Builds settings from a settings file's text and environment variables.
    pub fn from_sources(file: &str, env: &HashMap<String, String>) -> Result<Self, ConfigErrors> {
        let file: File = toml::from_str(file).map_err(|e| ConfigErrors(vec![format!("settings file: {e}")]))?;
        let mut problems = Vec::new();
        let var = |name: &str, default: &str| env.get(name).cloned().unwrap_or_else(|| default.to_owned());

        let addr = var("LEPTOS_SITE_ADDR", &file.site.addr);
        let listen = addr
            .parse::<SocketAddr>()
            .map_err(|_| problems.push(format!("LEPTOS_SITE_ADDR: `{addr}` is not an address like 127.0.0.1:3000")))
            .ok();
        let app_origin = parse_origin("APP_URL", &var("APP_URL", &file.app.public_url), &mut problems);
        let profile = match Profile::parse(&var("AUTOGPT_PROFILE", "guide")) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("AUTOGPT_PROFILE: {e}"));
                Profile::Guide
            }
        };
        let (default_url, default_client, default_secret) = match profile {
            Profile::Guide => (file.autogpt.url.as_str(), DEV_CLIENT_ID, DEV_CLIENT_SECRET),
            Profile::Live => (file.autogpt.live.url.as_str(), DEV_LIVE_CLIENT_ID, DEV_LIVE_CLIENT_SECRET),
        };
        let platform = parse_origin("AUTOGPT_URL", &var("AUTOGPT_URL", default_url), &mut problems)
            .map(|origin| PlatformUrl::parse(origin.as_str()).expect("an http(s) origin is a platform URL"));
        let api_base = var("AUTOGPT_API_BASE", &file.autogpt.api_base);
        if !api_base.starts_with('/') || api_base.ends_with('/') {
            problems.push(format!("AUTOGPT_API_BASE: `{api_base}` must start with `/` and not end with one"));
        }
        let sign_in_scopes = scopes("autogpt.scopes", &file.autogpt.scopes, &mut problems);
        let providers: Vec<ConnectProvider> = file
            .providers
            .iter()
            .map(|p| ConnectProvider {
                id: Provider::new(p.id.clone()),
                scopes: scopes(&format!("providers.{}.scopes", p.id), &p.scopes, &mut problems),
                live_scopes: p
                    .live_scopes
                    .iter()
                    .filter_map(|v| {
                        ProviderScope::new(v.clone())
                            .map_err(|e| problems.push(format!("providers.{}.live-scopes: {e}", p.id)))
                            .ok()
                    })
                    .collect(),
            })
            .collect();
        let upkeep = UpkeepSettings {
            every: Duration::from_secs(file.upkeep.every_secs.max(1)),
            stale_after_secs: i64::try_from(file.upkeep.stale_after_secs).unwrap_or(i64::MAX),
        };

        // Production-grade settings follow from the URL, not only from `APP_ENV` (issue 11
        // item 9): a public https origin gets `Secure` `__Host-` cookies, HSTS and the refusals
        // below whatever `APP_ENV` says.
        let production = env.get("APP_ENV").is_some_and(|v| v.eq_ignore_ascii_case("production"))
            || app_origin.as_ref().is_some_and(|o| o.as_str().starts_with("https://"));
        let client_id = var("AUTOGPT_CLIENT_ID", default_client);
        let client_secret = var("AUTOGPT_CLIENT_SECRET", default_secret);
        let webhook_secrets: Vec<String> = var("AUTOGPT_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if webhook_secrets.is_empty() {
            problems.push("AUTOGPT_WEBHOOK_SECRET: at least one secret is needed to accept webhooks".into());
        }
        let database_url = var("DATABASE_URL", DEV_DATABASE_URL);
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            problems.push("DATABASE_URL: must start with sqlite:// or postgres://".into());
        }
        let app_secret = match env.get("APP_SECRET") {
            Some(s) => AppSecret::new(s.as_bytes().to_vec())
                .map_err(|_| problems.push("APP_SECRET: must be at least 32 characters of random key material".into()))
                .ok(),
            None if production => {
                problems.push("APP_SECRET: required in production (32+ random characters)".into());
                None
            }
            None => match dev_secret(&var("APP_SECRET_FILE", DEV_SECRET_FILE)) {
                Ok(secret) => Some(secret),
                Err(e) => {
                    problems.push(format!("APP_SECRET_FILE: {e}"));
                    None
                }
            },
        };
        if production {
            if app_origin.as_ref().is_some_and(|o| !o.as_str().starts_with("https://")) {
                problems.push("APP_URL: must be https in production".into());
            }
            if client_id == DEV_CLIENT_ID || client_id == DEV_LIVE_CLIENT_ID {
                problems.push("AUTOGPT_CLIENT_ID: the development client id is refused in production".into());
            }
            if client_secret == DEV_CLIENT_SECRET || client_secret == DEV_LIVE_CLIENT_SECRET {
                problems.push("AUTOGPT_CLIENT_SECRET: the development default is refused in production".into());
            }
            if webhook_secrets.iter().any(|s| s == DEV_WEBHOOK_SECRET) {
                problems.push("AUTOGPT_WEBHOOK_SECRET: the development default is refused in production".into());
            } else if webhook_secrets.iter().any(|s| s.len() < MIN_PRODUCTION_WEBHOOK_SECRET) {
                problems.push(format!(
                    "AUTOGPT_WEBHOOK_SECRET: each secret must be at least {MIN_PRODUCTION_WEBHOOK_SECRET} bytes in production"
                ));
            }
            if platform.as_ref().is_some_and(|p| !p.as_str().starts_with("https://")) {
                problems.push("AUTOGPT_URL: must be https in production".into());
            }
        }
        let session_max_age = match env.get("SESSION_MAX_AGE_DAYS") {
            None => DEFAULT_SESSION_MAX_AGE,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(days @ 1..=3650) => Duration::from_secs(days * 86_400),
                _ => {
                    problems.push(format!("SESSION_MAX_AGE_DAYS: `{v}` must be a number of days from 1 to 3650"));
                    DEFAULT_SESSION_MAX_AGE
                }
            },
        };
        let token_budget = {
            let defaults = TokenBudget::default();
            let mut per_minute = |name: &str, default: NonZeroU32| match env.get(name) {
                None => default,
                Some(v) => v.trim().parse::<NonZeroU32>().unwrap_or_else(|_| {
                    problems.push(format!("{name}: `{v}` must be a number of refreshes per minute above 0"));
                    default
                }),
            };
            TokenBudget {
                global_per_minute: per_minute("TOKEN_REFRESHES_PER_MINUTE", defaults.global_per_minute),
                per_connection_per_minute: per_minute(
                    "TOKEN_REFRESHES_PER_CONNECTION_PER_MINUTE",
                    defaults.per_connection_per_minute,
                ),
            }
        };
        let live = match profile {
            Profile::Guide => None,
            Profile::Live => {
                let api = var("AUTOGPT_API_URL", &file.autogpt.live.api_url);
                let api = parse_origin("AUTOGPT_API_URL", &api, &mut problems)
                    .map(|o| BackendUrl::parse(o.as_str()).expect("an http(s) origin is a backend URL"));
                if production && api.as_ref().is_some_and(|a| !a.as_str().starts_with("https://")) {
                    problems.push("AUTOGPT_API_URL: must be https in production".into());
                }
                let permissions: Vec<Permission> = file
                    .autogpt
                    .live
                    .scopes
                    .iter()
                    .filter_map(|v| match Permission::parse(v) {
                        Ok(Permission::Unknown(_)) | Err(_) => {
                            problems.push(format!("autogpt.live.scopes: `{v}` is not an AutoGPT permission"));
                            None
                        }
                        Ok(p) => Some(p),
                    })
                    .collect();
                let integrations = app_origin.as_ref().and_then(|app| {
                    let default = format!("{app}/api/autogpt/integrations/callback");
                    RedirectUri::new(var("AUTOGPT_INTEGRATIONS_REDIRECT_URI", &default))
                        .map_err(|e| problems.push(format!("AUTOGPT_INTEGRATIONS_REDIRECT_URI: {e}")))
                        .ok()
                });
                match (api, integrations) {
                    (Some(api), Some(integrations_redirect_uri)) => {
                        Some(LiveSettings { api, permissions, integrations_redirect_uri })
                    }
                    _ => None,
                }
            }
        };
        let sqlite_sync = match env.get("SQLITE_SYNCHRONOUS").map(|v| v.to_ascii_lowercase()) {
            None => SqliteSync::Normal,
            Some(v) if v == "normal" => SqliteSync::Normal,
            Some(v) if v == "full" => SqliteSync::Full,
            Some(v) => {
                problems.push(format!("SQLITE_SYNCHRONOUS: `{v}` must be normal or full"));
                SqliteSync::Normal
            }
        };
        let instance_id = env.get("INSTANCE_ID").cloned().unwrap_or_else(|| default_instance_id(env, listen));
        let defaults = RateLimits::default();
        let mut quota = |name: &str, default: Quota| match env.get(name) {
            None => default,
            Some(v) => parse_quota(v).unwrap_or_else(|| {
                problems.push(format!("{name}: `{v}` must be PER_SECOND/BURST with both above 0, e.g. 200/1000"));
                default
            }),
        };
        let rate_limits = RateLimits {
            callback: quota("RATE_LIMIT_CALLBACK", defaults.callback),
            server_fns: quota("RATE_LIMIT_SERVER_FNS", defaults.server_fns),
            webhook: quota("RATE_LIMIT_WEBHOOK", defaults.webhook),
        };
        let (redirect_uri, webhook_url) = match &app_origin {
            Some(app) => {
                let default = format!("{app}/api/autogpt/callback");
                let redirect_uri = RedirectUri::new(var("AUTOGPT_REDIRECT_URI", &default))
                    .map_err(|e| problems.push(format!("AUTOGPT_REDIRECT_URI: {e}")))
                    .ok();
                let webhook_url = WebhookUrl::new(format!("{app}/api/autogpt/webhook"))
                    .map_err(|e| problems.push(format!("APP_URL: no webhook URL can be built from it: {e}")))
                    .ok();
                (redirect_uri, webhook_url)
            }
            None => (None, None),
        };

        match (listen, app_origin, platform, redirect_uri, app_secret) {
            (Some(listen), Some(app_origin), Some(platform), Some(redirect_uri), Some(app_secret))
                if problems.is_empty() && (profile == Profile::Guide || live.is_some()) =>
            {
                Ok(Self {
                    listen,
                    site: SiteSettings {
                        output_name: var("LEPTOS_OUTPUT_NAME", &file.site.output_name),
                        root: PathBuf::from(var("LEPTOS_SITE_ROOT", &file.site.root)),
                        pkg_dir: var("LEPTOS_SITE_PKG_DIR", &file.site.pkg_dir),
                    },
                    ui: UiConfig { providers: file.providers, agents: file.agents, live: profile == Profile::Live },
                    rate_limits,
                    backend: BackendSettings {
                        app_origin,
                        platform,
                        api_base,
                        client_id: ClientId::new(client_id),
                        client_secret: ClientSecret::new(client_secret),
                        redirect_uri,
                        sign_in_scopes,
                        webhook_url,
                        webhook_secrets: webhook_secrets.into_iter().map(WebhookSecret::new).collect(),
                        webhook_window: DEFAULT_FRESHNESS_WINDOW,
                        providers,
                        database_url,
                        app_secret,
                        production,
                        upkeep,
                        instance_id,
                        session_max_age,
                        token_budget,
                        profile,
                        live,
                        sqlite_sync,
                    },
                })
            }
            _ => Err(ConfigErrors(problems)),
        }
    }
}

/// Scopes from the settings file; each invalid one is a problem naming `key`.
fn scopes(key: &str, values: &[String], problems: &mut Vec<String>) -> Vec<Scope> {
    values.iter().filter_map(|v| Scope::new(v.clone()).map_err(|e| problems.push(format!("{key}: {e}"))).ok()).collect()
}

/// This instance's name when `INSTANCE_ID` is unset: host and port, which stay the same when
/// the process restarts (so it can take back its webhook leases), or a random name for port 0.
fn default_instance_id(env: &HashMap<String, String>, listen: Option<SocketAddr>) -> String {
    let host = env
        .get("HOSTNAME")
        .cloned()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_owned()))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    match listen.map(|a| a.port()) {
        Some(port) if port != 0 => format!("{host}:{port}"),
        _ => {
            let mut bytes = [0u8; 8];
            let _ = getrandom::getrandom(&mut bytes);
            format!("{host}:{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
        }
    }
}

/// `PER_SECOND/BURST`, both non-zero.
fn parse_quota(value: &str) -> Option<Quota> {
    let (rate, burst) = value.split_once('/')?;
    Some(Quota::new(rate.trim().parse::<NonZeroU32>().ok()?, burst.trim().parse::<NonZeroU32>().ok()?))
}

/// Development only: the key material kept in `path`, created with 32 random bytes (hex)
/// on first start so sessions and stored tokens survive restarts.
fn dev_secret(path: &str) -> Result<AppSecret, String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let text = text.trim();
        return AppSecret::new(text.as_bytes().to_vec()).map_err(|_| format!("{path} holds fewer than 32 characters"));
    }
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, &text).map_err(|e| format!("cannot write {path}: {e}"))?;
    AppSecret::new(text.into_bytes()).map_err(|e| e.to_string())
}

/// Parses an origin: `http(s)://host[:port]` with nothing after it.
fn parse_origin(name: &str, value: &str, problems: &mut Vec<String>) -> Option<Origin> {
    Origin::parse(value)
        .map_err(|_| problems.push(format!("{name}: `{value}` must be an origin like http://127.0.0.1:3000 (no path)")))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        env.entry("APP_SECRET".into()).or_insert_with(|| "x".repeat(32));
        env
    }

    #[test]
    fn production_refuses_every_insecure_default_by_name() {
        let mut vars = env(&[("APP_ENV", "production"), ("APP_URL", "http://app.test")]);
        vars.remove("APP_SECRET");
        let errors = Settings::from_sources(EMBEDDED_FILE, &vars).expect_err("insecure");
        let text = errors.to_string();
        for name in ["APP_SECRET", "APP_URL", "AUTOGPT_CLIENT_ID", "AUTOGPT_CLIENT_SECRET", "AUTOGPT_WEBHOOK_SECRET"] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }

    #[test]
    fn item9_an_https_app_url_means_production_whatever_app_env_says() {
        // Without APP_ENV: the https URL alone refuses every development default, by name.
        let mut vars = env(&[("APP_URL", "https://app.test"), ("AUTOGPT_URL", "http://platform.test")]);
        vars.remove("APP_SECRET");
        let text = Settings::from_sources(EMBEDDED_FILE, &vars).expect_err("insecure").to_string();
        for name in
            ["APP_SECRET", "AUTOGPT_CLIENT_ID", "AUTOGPT_CLIENT_SECRET", "AUTOGPT_WEBHOOK_SECRET", "AUTOGPT_URL"]
        {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
        // A short webhook secret is refused too; with everything right it starts, hardened.
        let good = [
            ("APP_URL", "https://app.test"),
            ("AUTOGPT_URL", "https://platform.test"),
            ("AUTOGPT_CLIENT_ID", "agpt_client_real"),
            ("AUTOGPT_CLIENT_SECRET", "agpt_secret_real"),
            ("AUTOGPT_WEBHOOK_SECRET", "short"),
        ];
        let text = Settings::from_sources(EMBEDDED_FILE, &env(&good)).expect_err("short secret").to_string();
        assert!(text.contains("AUTOGPT_WEBHOOK_SECRET: each secret must be at least 32 bytes"), "{text}");
        let mut good = good.to_vec();
        good[4] = ("AUTOGPT_WEBHOOK_SECRET", "whsec_0123456789abcdef0123456789abcdef");
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&good)).expect("production settings");
        assert!(s.backend.production);
        // http stays development unless APP_ENV says otherwise.
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[])).unwrap();
        assert!(!s.backend.production);
    }

    #[test]
    fn item3_sessions_have_an_absolute_lifetime() {
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[])).unwrap();
        assert_eq!(s.backend.session_max_age, Duration::from_secs(30 * 86_400));
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[("SESSION_MAX_AGE_DAYS", "2")])).unwrap();
        assert_eq!(s.backend.session_max_age, Duration::from_secs(2 * 86_400));
        let errors = Settings::from_sources(EMBEDDED_FILE, &env(&[("SESSION_MAX_AGE_DAYS", "0")])).unwrap_err();
        assert!(errors.to_string().contains("SESSION_MAX_AGE_DAYS"), "{errors}");
    }

    #[test]
    fn rate_limits_are_configurable_and_checked() {
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[("RATE_LIMIT_WEBHOOK", "5000/20000")])).unwrap();
        assert_eq!(s.rate_limits.webhook.per_second().get(), 5000);
        assert_eq!(s.rate_limits.webhook.burst().get(), 20000);
        assert_eq!(s.rate_limits.callback, RateLimits::default().callback);
        let errors = Settings::from_sources(EMBEDDED_FILE, &env(&[("RATE_LIMIT_CALLBACK", "0/10")])).unwrap_err();
        assert!(errors.to_string().contains("RATE_LIMIT_CALLBACK"), "{errors}");
    }

    #[test]
    fn webhook_secrets_are_a_comma_separated_list() {
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[("AUTOGPT_WEBHOOK_SECRET", "new, old")])).unwrap();
        assert_eq!(s.backend.webhook_secrets.len(), 2);
        assert_eq!(s.backend.redirect_uri.as_str(), "http://127.0.0.1:3000/api/autogpt/callback");
    }

    #[test]
    fn item37_settings_debug_shows_no_secret() {
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[("APP_SECRET", "super-secret-key-material-0123456789")]))
            .unwrap();
        let debug = format!("{s:?}");
        for secret in ["super-secret-key-material", "dev-client-secret", "whsec_dev"] {
            assert!(!debug.contains(secret), "{secret} leaked");
        }
    }

    #[test]
    fn embedded_file_gives_sandbox_defaults() {
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[])).expect("defaults are valid");
        assert_eq!(s.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(s.backend.app_origin.as_str(), "http://127.0.0.1:3000");
        assert_eq!(s.backend.platform.as_str(), "http://127.0.0.1:8006");
        assert_eq!(s.site.output_name, "autogpt-connect");
        assert_eq!(s.ui.providers.len(), 3);
        assert!(s.ui.agents.iter().any(|a| a.id == "echo-agent"));
    }

    #[test]
    fn a_bad_scope_in_the_settings_file_fails_at_start_and_names_its_key() {
        let file = EMBEDDED_FILE.replace("\"github:repo.read\"", "\"github repo\"");
        let errors = Settings::from_sources(&file, &env(&[])).expect_err("a scope with a space");
        assert_eq!(errors.0.len(), 1, "{errors}");
        assert!(errors.0[0].starts_with("providers.github.scopes: invalid scope \"github repo\""), "{errors}");
        let file = EMBEDDED_FILE.replace("\"agents:execute\"", "\"agents execute\"");
        let errors = Settings::from_sources(&file, &env(&[])).expect_err("a sign-in scope with a space");
        assert!(errors.0[0].starts_with("autogpt.scopes: "), "{errors}");
    }

    #[test]
    fn upkeep_timings_come_from_the_settings_file() {
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[])).unwrap();
        assert_eq!(s.backend.upkeep, UpkeepSettings::default());
        let file = EMBEDDED_FILE.replace("every-secs = 15", "every-secs = 5");
        let s = Settings::from_sources(&file, &env(&[])).unwrap();
        assert_eq!(s.backend.upkeep.every, Duration::from_secs(5));
        assert_eq!(s.backend.providers[0].scopes[0].as_str(), "google:gmail.readonly");
    }

    #[test]
    fn the_live_profile_defaults_to_the_sandboxs_live_origins() {
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[("AUTOGPT_PROFILE", "live")])).unwrap();
        assert_eq!(s.backend.profile, Profile::Live);
        assert_eq!(s.backend.platform.as_str(), "http://127.0.0.1:8107");
        assert_eq!(s.backend.client_id.as_str(), "agpt_client_dev");
        let live = s.backend.live.as_ref().unwrap();
        assert_eq!(live.api.as_str(), "http://127.0.0.1:8106");
        assert_eq!(live.integrations_redirect_uri.as_str(), "http://127.0.0.1:3000/api/autogpt/integrations/callback");
        assert!(live.permissions.contains(&Permission::RunAgent));
        assert_eq!(s.backend.providers[1].live_scopes.len(), 2);
        // The guide profile stays the default.
        let s = Settings::from_sources(EMBEDDED_FILE, &env(&[])).unwrap();
        assert!(s.backend.live.is_none() && s.backend.profile == Profile::Guide);
        let errors = Settings::from_sources(EMBEDDED_FILE, &env(&[("AUTOGPT_PROFILE", "cloud")])).unwrap_err();
        assert!(errors.to_string().contains("AUTOGPT_PROFILE"), "{errors}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = Settings::from_sources(
            EMBEDDED_FILE,
            &env(&[("LEPTOS_SITE_ADDR", "127.0.0.1:0"), ("AUTOGPT_URL", "http://localhost:9000")]),
        )
        .expect("valid");
        assert_eq!(s.listen.port(), 0);
        assert_eq!(s.backend.platform.as_str(), "http://localhost:9000");
    }

    #[test]
    fn every_problem_is_reported_once() {
        let errors = Settings::from_sources(
            EMBEDDED_FILE,
            &env(&[("LEPTOS_SITE_ADDR", "nowhere"), ("APP_URL", "ftp://x"), ("AUTOGPT_URL", "http://h/path")]),
        )
        .expect_err("three problems");
        assert_eq!(errors.0.len(), 3, "{errors}");
        assert!(errors.0[0].starts_with("LEPTOS_SITE_ADDR"));
        assert!(errors.0[1].starts_with("APP_URL"));
        assert!(errors.0[2].starts_with("AUTOGPT_URL"));
    }
}
