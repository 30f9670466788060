//! End-to-end flows over real sockets: the sandbox platform and the server in-process on
//! 127.0.0.1 (checklist 66, 67), a reqwest "browser" per cookie jar. Storage-heavy tests run
//! against a fresh SQLite file AND a fresh PostgreSQL schema (`TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`); PostgreSQL being unreachable FAILS them.

mod common;

/// For each `async fn name(database_url: String)` in scope, a module `name` with the tests
/// `sqlite` and `postgres`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(crate::common::temp_sqlite()).await;
            }

            #[tokio::test]
            async fn postgres() {
                let db = crate::common::PgSchema::create();
                super::$name(db.url.clone()).await;
            }
        }
    )*};
}

#[path = "flows/app.rs"]
mod app;
#[path = "flows/oauth.rs"]
mod oauth;
#[path = "flows/replicas.rs"]
mod replicas;
#[path = "flows/support.rs"]
mod support;
#[path = "flows/webhooks.rs"]
mod webhooks;
