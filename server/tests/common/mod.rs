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

    let (state, task) = start_server(addr, &app_url, platform.base_url(), &database_url, limits).await;
    TestApp { url: app_url, platform, state, database_url, _task: task }
}

/// Builds and runs an app listening on `addr` whose public URL is `app_url`.
async fn start_server(
    addr: std::net::SocketAddr,
    app_url: &str,
    platform_url: &str,
    database_url: &str,
    limits: RateLimits,
) -> (AppState, tokio::task::JoinHandle<()>) {
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).unwrap();
    let env: HashMap<String, String> = [
        ("LEPTOS_SITE_ADDR", addr.to_string()),
        ("APP_URL", app_url.to_owned()),
        ("AUTOGPT_URL", platform_url.to_owned()),
        ("DATABASE_URL", database_url.to_owned()),
        ("APP_SECRET", "test-secret-test-secret-test-secret".to_owned()),
        ("LEPTOS_SITE_ROOT", site_root()),
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
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (state, task) =
        start_server(addr, &first.url, first.platform.base_url(), &first.database_url, RateLimits::default()).await;
    Replica { url: format!("http://{addr}"), state, _task: task }
}

/// Default PostgreSQL for tests (trust auth); `TEST_DATABASE_URL` overrides.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh PostgreSQL schema for one test, dropped on drop (also when the test panics).
/// `url` puts every pooled connection's `search_path` on it, so tests never share rows.
pub struct PgSchema {
    /// Database URL for the app.
    pub url: String,
    admin_url: String,
    schema: String,
}

impl PgSchema {
    /// Creates the schema; PostgreSQL being unreachable FAILS the test, naming the URL.
    pub fn create() -> Self {
        let admin_url = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let schema = format!("flows_{}_{n}_{nanos}", std::process::id());
        pg_simple_query(&admin_url, &format!("CREATE SCHEMA {schema}")).unwrap_or_else(|e| {
            panic!("PostgreSQL tests need a database at {admin_url} (set TEST_DATABASE_URL to override): {e}")
        });
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options[search_path]={schema}");
        Self { url, admin_url, schema }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let _ = pg_simple_query(&self.admin_url, &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

/// Runs one statement over the PostgreSQL wire protocol (v3, simple query; trust or
/// cleartext-password auth): enough to create and drop test schemas without a driver.
fn pg_simple_query(url: &str, sql: &str) -> Result<(), String> {
    use std::io::{Read, Write};
    let url = url::Url::parse(url).map_err(|e| e.to_string())?;
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port().unwrap_or(5432);
    let user = if url.username().is_empty() { "postgres".to_owned() } else { url.username().to_owned() };
    let database = url.path().trim_start_matches('/').to_owned();
    let mut stream = std::net::TcpStream::connect((host.as_str(), port)).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut startup = Vec::new();
    startup.extend_from_slice(&196_608u32.to_be_bytes());
    for (k, v) in [("user", user.as_str()), ("database", database.as_str())] {
        startup.extend_from_slice(k.as_bytes());
        startup.push(0);
        startup.extend_from_slice(v.as_bytes());
        startup.push(0);
    }
    startup.push(0);
    let mut msg = ((startup.len() + 4) as u32).to_be_bytes().to_vec();
    msg.extend_from_slice(&startup);
    stream.write_all(&msg).map_err(|e| e.to_string())?;
    let read_message = |stream: &mut std::net::TcpStream| -> Result<(u8, Vec<u8>), String> {
        let mut head = [0u8; 5];
        stream.read_exact(&mut head).map_err(|e| e.to_string())?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len.saturating_sub(4)];
        stream.read_exact(&mut body).map_err(|e| e.to_string())?;
        Ok((head[0], body))
    };
    let error_text = |body: &[u8]| String::from_utf8_lossy(body).replace('\0', " ");
    loop {
        let (kind, body) = read_message(&mut stream)?;
        match kind {
            b'R' if body[..4] == [0, 0, 0, 0] => {}
            b'R' if body[..4] == [0, 0, 0, 3] => {
                let password = url.password().unwrap_or_default();
                let mut p = vec![b'p'];
                p.extend_from_slice(&((password.len() + 5) as u32).to_be_bytes());
                p.extend_from_slice(password.as_bytes());
                p.push(0);
                stream.write_all(&p).map_err(|e| e.to_string())?;
            }
            b'R' => return Err("unsupported authentication method (use trust or password auth)".into()),
            b'E' => return Err(error_text(&body)),
            b'Z' => break,
            _ => {}
        }
    }
    let mut q = vec![b'Q'];
    q.extend_from_slice(&((sql.len() + 5) as u32).to_be_bytes());
    q.extend_from_slice(sql.as_bytes());
    q.push(0);
    stream.write_all(&q).map_err(|e| e.to_string())?;
    let mut failure = None;
    loop {
        let (kind, body) = read_message(&mut stream)?;
        match kind {
            b'E' => failure = Some(error_text(&body)),
            b'Z' => break,
            _ => {}
        }
    }
    let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);
    failure.map_or(Ok(()), Err)
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
