//! Test harness: the sandbox platform and the server, both in-process on
//! 127.0.0.1:0 with a fresh SQLite database each (checklist 66, 67).
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use server::middleware::RateLimits;
use server::{AppState, Application, config::Settings};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A running server (and its platform).
pub struct TestApp {
    /// `http://127.0.0.1:PORT` of the app.
    pub url: String,
    /// The sandbox platform.
    pub platform: sandbox::Running,
    /// The app's state (services).
    pub state: AppState,
    /// The database URL the app uses.
    pub database_url: String,
    _task: tokio::task::JoinHandle<()>,
}

/// A fresh SQLite URL under the temp directory.
pub fn temp_sqlite() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("agc-test-{}-{n}.db", std::process::id()));
    format!("sqlite://{}", path.display())
}

/// Starts the sandbox and the app with default limits.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(RateLimits::default(), temp_sqlite(), sandbox::Config::for_tests()).await
}

/// Starts the sandbox (with `platform` settings) and the app against `database_url`.
pub async fn spawn_app_with(limits: RateLimits, database_url: String, platform: sandbox::Config) -> TestApp {
    // Bind the app first so the sandbox can register its exact origin.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let app_url = format!("http://{addr}");
    let mut platform = platform;
    platform.extra_client_origins.push(app_url.clone());
    let platform = sandbox::spawn(platform).await.expect("sandbox starts");

    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).unwrap();
    let env: HashMap<String, String> = [
        ("LEPTOS_SITE_ADDR", addr.to_string()),
        ("APP_URL", app_url.clone()),
        ("AUTOGPT_URL", platform.base_url().to_owned()),
        ("DATABASE_URL", database_url.clone()),
        ("APP_SECRET", "test-secret-test-secret-test-secret".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_sources(&file, &env).expect("test settings");
    let app = Application::build_with_limits(settings, limits).await.expect("app starts");
    let bound = app.local_addr().unwrap();
    assert!(bound.ip().is_loopback());
    let state = app.state().clone();
    let task = tokio::spawn(async move {
        app.run_until_stopped().await.expect("server runs");
    });
    TestApp { url: app_url, platform, state, database_url, _task: task }
}
