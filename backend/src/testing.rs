//! Test support, for this crate's tests and (feature `testing`) other crates' tests: a fresh
//! SQLite file or PostgreSQL schema per test, and [`both_backends!`](crate::both_backends),
//! the one way to run a test on both databases. PostgreSQL being unreachable FAILS the tests
//! (naming the URL): a suite that silently skips half its backends proves nothing.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use sqlx::{Connection as _, Executor as _};

use crate::crypto::{TokenCipher, hex};
use crate::storage::Storage;

/// Default PostgreSQL for tests (trust auth); `TEST_DATABASE_URL` overrides.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn cipher() -> TokenCipher {
    TokenCipher::new(b"test key material, 32 bytes long!").expect("test key")
}

fn random_suffix() -> String {
    hex(&rand::random::<[u8; 8]>())
}

/// A fresh database for one test, removed on drop (also when the test panics).
pub struct TestDb {
    pub storage: Storage,
    /// URL to open a second `Storage` ("another replica") on the same database.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { admin_url: String, schema: String },
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let path = std::env::temp_dir().join(format!("app-test-{}.db", random_suffix()));
        let url = format!("sqlite://{}", path.display());
        let storage = Storage::open(&url, cipher()).await.expect("open SQLite test database");
        Self { storage, url, cleanup: Cleanup::Sqlite(path) }
    }

    pub async fn postgres() -> Self {
        let admin_url = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
        let schema = format!("t_{}", random_suffix());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL tests need a database at {admin_url} (set TEST_DATABASE_URL to override): {e}")
        });
        admin.execute(format!("CREATE SCHEMA {schema}").as_str()).await.expect("create test schema");
        drop(admin.close().await);
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        // Every pooled connection gets the schema as its search path, so the migrations and
        // all queries land in it and tests never see each other's rows.
        let url = format!("{admin_url}{sep}options[search_path]={schema}");
        let storage = Storage::open(&url, cipher()).await.expect("open PostgreSQL test schema");
        Self { storage, url, cleanup: Cleanup::Postgres { admin_url, schema } }
    }

    /// A second, independent `Storage` on the same database (another replica).
    pub async fn replica(&self) -> Storage {
        Storage::open(&self.url, cipher()).await.expect("open second storage")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Postgres { admin_url, schema } => {
                // Drop cannot await, and we may be inside a runtime: use a thread with its own.
                let (url, schema) = (admin_url.clone(), schema.clone());
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                    if let Ok(rt) = rt {
                        rt.block_on(async {
                            if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                                let _ = c.execute(format!("DROP SCHEMA {schema} CASCADE").as_str()).await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// Polls `cond` until it holds, failing after 10 s (a bounded wait for a condition, not a
/// sleep for synchronisation).
pub async fn eventually<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !cond().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Generates, for each `async fn name(db: &TestDb)` in scope, a module `name` with the tests
/// `sqlite` and `postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::testing::TestDb::sqlite().await;
                super::$name(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let db = $crate::testing::TestDb::postgres().await;
                super::$name(&db).await;
            }
        }
    )*};
}

/// How many rows `table` holds (tests that prove a request wrote nothing durable).
pub async fn count_rows(storage: &Storage, table: &str) -> i64 {
    assert!(table.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "a table name");
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(storage.pool()).await.unwrap()
}

/// A row lock held by another database session (PostgreSQL), until [`RowLock::release`]:
/// whatever must update that row waits meanwhile (tests of work held up by the database).
pub struct RowLock(Option<sqlx::PgConnection>);

impl RowLock {
    /// Ends the locking transaction.
    pub async fn release(&mut self) {
        if let Some(mut conn) = self.0.take() {
            let _ = conn.execute("ROLLBACK").await;
            let _ = conn.close().await;
        }
    }
}

/// Locks the `executions` row of `execution_id` in `db` (PostgreSQL only).
pub async fn lock_execution_row(db: &TestDb, execution_id: &str) -> RowLock {
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("a second PostgreSQL connection");
    conn.execute("BEGIN").await.unwrap();
    sqlx::query("SELECT execution_id FROM executions WHERE execution_id = $1 FOR UPDATE")
        .bind(execution_id)
        .execute(&mut conn)
        .await
        .unwrap();
    RowLock(Some(conn))
}

/// Settings for a [`crate::Context`] on `database_url` that talks to nothing (tests of the
/// services that need no platform).
pub fn backend_settings(database_url: &str) -> crate::BackendSettings {
    use autogpt::ids::ClientId;
    use autogpt::origin::{Origin, PlatformUrl, RedirectUri};
    use autogpt::secret::{ClientSecret, WebhookSecret};
    crate::BackendSettings {
        app_origin: Origin::parse("http://127.0.0.1:3000").unwrap(),
        platform: PlatformUrl::parse("http://127.0.0.1:9").unwrap(),
        api_base: "/api/external/v1".to_owned(),
        client_id: ClientId::new("test-client"),
        client_secret: ClientSecret::new("test-secret"),
        redirect_uri: RedirectUri::new("http://127.0.0.1:3000/api/autogpt/callback").unwrap(),
        sign_in_scopes: Vec::new(),
        webhook_url: None,
        webhook_secrets: vec![WebhookSecret::new("whsec_test")],
        webhook_window: Duration::from_secs(600),
        providers: Vec::new(),
        database_url: database_url.to_owned(),
        app_secret: crate::AppSecret::new(b"test key material, 32 bytes long!".to_vec()).unwrap(),
        production: false,
        upkeep: crate::UpkeepSettings::default(),
        instance_id: "test-instance".to_owned(),
        session_max_age: Duration::from_secs(30 * 86_400),
        token_budget: crate::TokenBudget::default(),
        profile: autogpt::platform::Profile::Guide,
        live: None,
        sqlite_sync: crate::storage::SqliteSync::Normal,
    }
}
