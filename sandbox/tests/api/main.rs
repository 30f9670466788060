//! HTTP-level integration tests of the sandbox, started in-process on 127.0.0.1:0.
//! Checklist numbers (security-checklist.md) appear in test names.

mod admin;
mod connect;
mod discovery;
mod external;
mod live_admin;
mod live_oauth;
mod live_pages;
mod live_reviews;
mod live_runs;
mod live_support;
mod live_v2;
mod live_wizard;
mod login;
mod oauth_authorize;
mod oauth_token;
mod support;
mod webhooks;
