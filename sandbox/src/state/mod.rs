//! Shared state: the in-memory database behind one mutex, runtime settings, and small helpers
//! (random ids, clocks). The mutex is never held across an `.await`.

pub mod model;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::config::{Config, Quirks};
use crate::live::model::LiveDb;
use crate::live::settings::LiveSettings;
use model::*;

/// All records. Serialisable as the optional data-file snapshot.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Db {
    pub clients: Vec<Client>,
    pub users: Vec<User>,
    pub credentials: Vec<Credential>,
    pub sessions: Vec<Session>,
    pub consent_requests: Vec<ConsentRequest>,
    pub codes: Vec<AuthCode>,
    pub tokens: Vec<Token>,
    pub consents: Vec<Consent>,
    pub grants: Vec<Grant>,
    pub connect_requests: Vec<ConnectRequest>,
    /// Connect nonces already used, with their expiry (one hour).
    pub used_nonces: BTreeMap<String, i64>,
    pub executions: Vec<Execution>,
    pub deliveries: Vec<Delivery>,
    /// (user_id, client_id) → webhook URLs seen on executions, most recent first.
    pub webhook_urls: Vec<(String, String, Vec<String>)>,
    /// The live profile's records (OAuth apps, opaque tokens, runs, reviews...).
    pub live: LiveDb,
}

impl Db {
    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
    pub fn session_user(&self, session_id: &str) -> Option<&User> {
        let s = self.sessions.iter().find(|s| s.id == session_id)?;
        self.user(&s.user_id)
    }
    pub fn remember_webhook_url(&mut self, user_id: &str, client_id: &str, url: &str) {
        if let Some(entry) = self.webhook_urls.iter_mut().find(|(u, c, _)| u == user_id && c == client_id) {
            entry.2.retain(|x| x != url);
            entry.2.insert(0, url.to_owned());
        } else {
            self.webhook_urls.push((user_id.into(), client_id.into(), vec![url.into()]));
        }
    }
    pub fn latest_webhook_url(&self, user_id: &str, client_id: &str) -> Option<String> {
        self.webhook_urls
            .iter()
            .find(|(u, c, _)| u == user_id && c == client_id)
            .and_then(|(_, _, urls)| urls.first().cloned())
    }
}

/// Settings that the admin API may change at run time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub quirks: Quirks,
    pub time_factor: f64,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub token_rate_limit: u32,
    /// The live profile's switches (`/__admin/live/settings`).
    pub live: LiveSettings,
}

impl Settings {
    /// The settings a fresh start (or `POST /__admin/reset`) begins with.
    pub fn from_config(config: &Config) -> Self {
        Self {
            quirks: config.quirks.clone(),
            time_factor: config.time_factor,
            access_token_ttl_secs: config.access_token_ttl.as_secs(),
            refresh_token_ttl_secs: config.refresh_token_ttl.as_secs(),
            token_rate_limit: config.token_rate_limit,
            live: config.live.clone(),
        }
    }
}

/// A fault injected on a route by the admin API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    pub id: String,
    /// Path pattern: `*` matches any run of characters (so a trailing `*` is a prefix match).
    pub route: String,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub drop: bool,
    /// Requests still to affect (ignored when `until_cleared`).
    pub remaining: u32,
    /// Affects every matching request until `DELETE /__admin/faults`.
    #[serde(default)]
    pub until_cleared: bool,
    /// Only on this listener: `guide`, `live_api` or `live_pages` (all when absent).
    #[serde(default)]
    pub origin: Option<String>,
}

/// The public base URLs of the three listeners.
#[derive(Debug, Clone)]
pub struct Urls {
    /// The guide contract's origin (`public_url`).
    pub guide: String,
    /// The live backend: `/api/oauth/*`, `/external-api/v2`.
    pub live_api: String,
    /// The live browser pages: `/login`, `/auth/authorize`, the setup wizard.
    pub live_pages: String,
}

pub struct Inner {
    pub config: Config,
    pub public_url: String,
    pub live_api_url: String,
    pub live_pages_url: String,
    pub db: Mutex<Db>,
    pub settings: Mutex<Settings>,
    pub faults: Mutex<Vec<Fault>>,
    pub rate: Mutex<HashMap<String, VecDeque<Instant>>>,
    pub live_rate: Mutex<RateCounters>,
    pub http: reqwest::Client,
}

/// Live fixed-window counters: (user id, limiter) → (window index, count).
pub type RateCounters = HashMap<(String, &'static str), (u64, u32)>;

/// Cheap-to-clone handle to everything.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Lock a mutex, recovering from poisoning (a panicked request must not wedge the sandbox).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AppState {
    pub fn new(config: Config, urls: Urls, db: Db) -> Result<Self, reqwest::Error> {
        let settings = Settings::from_config(&config);
        // Built once: redirects are never followed for webhooks, and every call has a timeout.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent("AutoGPT-Webhook/1.0")
            .build()?;
        Ok(Self(Arc::new(Inner {
            config,
            public_url: urls.guide,
            live_api_url: urls.live_api,
            live_pages_url: urls.live_pages,
            db: Mutex::new(db),
            settings: Mutex::new(settings),
            faults: Mutex::new(Vec::new()),
            rate: Mutex::new(HashMap::new()),
            live_rate: Mutex::new(HashMap::new()),
            http,
        })))
    }

    /// The live switches.
    pub fn live_settings(&self) -> LiveSettings {
        lock(&self.settings).live.clone()
    }

    /// The three listeners' origins (the admin API's own origins).
    pub fn own_origins(&self) -> [&str; 3] {
        [&self.public_url, &self.live_api_url, &self.live_pages_url]
    }

    pub fn db(&self) -> MutexGuard<'_, Db> {
        lock(&self.db)
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub fn quirks(&self) -> Quirks {
        lock(&self.settings).quirks.clone()
    }

    /// A nominal duration scaled by the clock factor.
    pub fn scaled(&self, nominal: Duration) -> Duration {
        let f = lock(&self.settings).time_factor;
        let f = if f.is_finite() && f >= 0.0 { f } else { 1.0 };
        nominal.mul_f64(f)
    }

    /// The platform's own origin (`scheme://host[:port]`).
    pub fn origin(&self) -> &str {
        &self.public_url
    }
}

/// 32 random bytes, base64url: tokens, codes, session ids.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A random UUID (version 4 layout) for ids that clients display.
pub fn random_uuid() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Now as ISO-8601 UTC (RFC 3339).
pub fn now_iso() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
