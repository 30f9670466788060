//! Test harness: the sandbox platform and the server, both in-process on 127.0.0.1:0 (the
//! app's listener is bound once and handed to `Application::build_on`, so there is no port
//! race), with a fresh database each (checklist 66, 67).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use server::middleware::RateLimits;
use server::{AppState, Application, config::Settings};
use tokio::net::TcpListener;

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

/// A fresh SQLite URL under cargo's scratch directory for integration tests.
pub fn temp_sqlite() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("agc-{}-{n}.db", std::process::id()));
    format!("sqlite://{}", path.display())
}

/// Starts the sandbox and the app with default limits on a fresh SQLite file.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(RateLimits::default(), temp_sqlite(), sandbox::Config::for_tests()).await
}

/// Starts the sandbox (with `platform` settings) and the app against `database_url`.
pub async fn spawn_app_with(limits: RateLimits, database_url: String, platform: sandbox::Config) -> TestApp {
    spawn_app_tuned(database_url, platform, move |settings| settings.rate_limits = limits).await
}

/// The app on the sandbox's live origins (`AUTOGPT_PROFILE=live`), on a fresh SQLite file.
pub async fn spawn_live_app() -> TestApp {
    spawn_live_app_with(|_| {}).await
}

/// [`spawn_live_app`] with the sandbox's configuration tuned first.
pub async fn spawn_live_app_with(tune: impl FnOnce(&mut sandbox::Config)) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_url = format!("http://{}", listener.local_addr().unwrap());
    let mut platform = sandbox::Config::for_tests();
    tune(&mut platform);
    platform.extra_client_origins.push(app_url.clone());
    let platform = sandbox::spawn(platform).await.expect("sandbox starts");
    let database_url = temp_sqlite();
    let env = [
        ("AUTOGPT_PROFILE", "live"),
        ("AUTOGPT_URL", platform.live_pages_url()),
        ("AUTOGPT_API_URL", platform.live_api_url()),
    ];
    let settings = test_settings(&app_url, platform.live_pages_url(), &database_url, &env);
    let (state, task) = start_server(listener, settings).await;
    TestApp { url: app_url, platform, state, database_url, _task: task }
}

/// [`spawn_app_with`], with `tune` applied to the app's settings before it starts.
pub async fn spawn_app_tuned(
    database_url: String,
    platform: sandbox::Config,
    tune: impl FnOnce(&mut Settings),
) -> TestApp {
    // Bind the app first so the sandbox can register its exact origin.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app_url = format!("http://{}", listener.local_addr().unwrap());
    let mut platform = platform;
    platform.extra_client_origins.push(app_url.clone());
    let platform = sandbox::spawn(platform).await.expect("sandbox starts");
    let mut settings = test_settings(&app_url, platform.base_url(), &database_url, &[]);
    tune(&mut settings);
    let (state, task) = start_server(listener, settings).await;
    TestApp { url: app_url, platform, state, database_url, _task: task }
}

/// The settings a test app runs with (`env` overrides on top of the defaults).
pub fn test_settings(app_url: &str, platform_url: &str, database_url: &str, env: &[(&str, &str)]) -> Settings {
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).unwrap();
    let mut vars: HashMap<String, String> = [
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_owned()),
        ("APP_URL", app_url.to_owned()),
        ("AUTOGPT_URL", platform_url.to_owned()),
        ("DATABASE_URL", database_url.to_owned()),
        ("APP_SECRET", "test-secret-test-secret-test-secret".to_owned()),
        ("LEPTOS_SITE_ROOT", site_root()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    Settings::from_sources(&file, &vars).expect("test settings")
}

/// Builds and runs an app with `settings` on `listener`.
async fn start_server(listener: TcpListener, settings: Settings) -> (AppState, tokio::task::JoinHandle<()>) {
    assert!(listener.local_addr().unwrap().ip().is_loopback());
    let app = Application::build_on(settings, listener).await.expect("app starts");
    let state = app.state().clone();
    let task = tokio::spawn(async move {
        app.run_until_stopped().await.expect("server runs");
    });
    (state, task)
}

/// A second server on the same database and platform, with the same public URL (two
/// replicas behind one load balancer), reachable directly at its own `url`.
pub struct Replica {
    /// `http://127.0.0.1:PORT` of this replica.
    pub url: String,
    /// Its state.
    pub state: AppState,
    _task: tokio::task::JoinHandle<()>,
}

/// Starts another replica of `first` (same database, platform and public URL).
pub async fn spawn_replica(first: &TestApp) -> Replica {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let settings = test_settings(&first.url, first.platform.base_url(), &first.database_url, &[]);
    let (state, task) = start_server(listener, settings).await;
    Replica { url, state, _task: task }
}

/// A site root with one bundle file (`pkg/probe.js`) for the static-file tests.
fn site_root() -> String {
    static ROOT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let root = ROOT.get_or_init(|| {
        // Cargo's scratch directory for integration tests: reused, never left in /tmp.
        let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("site");
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::write(root.join("pkg/probe.js"), "export const probe = 1;\n").unwrap();
        root
    });
    root.to_string_lossy().into_owned()
}
