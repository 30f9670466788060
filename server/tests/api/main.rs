//! The server's HTTP tests, one binary: the production router (`server::router`, served by
//! `Application` on a listener bound once on 127.0.0.1:0, checklist 66, 67) with the sandbox
//! platform in-process, and a reqwest "browser" per cookie jar. Storage-heavy tests run on a
//! fresh SQLite file AND a fresh PostgreSQL schema through `backend::both_backends!`
//! (`TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`); PostgreSQL being
//! unreachable FAILS them.

mod app;
mod browser;
mod faults;
mod http;
mod live;
mod live_runs;
mod oauth;
mod operations;
mod pages;
mod replicas;
mod security;
mod support;
mod webhooks;
