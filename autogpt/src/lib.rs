//! Typed AutoGPT Platform protocol: OAuth 2 + PKCE, Connect popup, External API, webhooks.
//!
//! Everything an application says to the AutoGPT Platform, and everything it must check about
//! what comes back, without any web framework: a Rust program can depend on this crate alone.
//! The wire contract is `shared/spec/autogpt-contract.md`; the security checklist items each
//! test demonstrates are cited in the test names (`item25_...`).
//!
//! # Map
//!
//! | module | owns | wasm32 |
//! |---|---|---|
//! | [`secret`] | secret newtypes: redacted `Debug`, no `Display`, `.secret()` accessor | yes |
//! | [`ids`], [`scope`], [`origin`] | typed ids, validated scopes, origins and URLs | yes |
//! | [`pkce`], [`random`] | PKCE S256, `state` and `nonce` from the CSPRNG | yes |
//! | [`authorize`] | authorization URL, callback query parsing | yes |
//! | [`connect`] | Connect popup URL and the pure popup-message validator | yes |
//! | [`types`] | JSON bodies: tokens, executions, grants, webhook events | yes |
//! | [`webhook`] | webhook signature/freshness verification, canonical JSON | yes |
//! | [`error`] | parse errors keeping the raw body, OAuth error codes | yes |
//! | `client` (feature `client`) | reqwest transport, OAuth client, External API client | no |
//!
//! # Example
//!
//! ```
//! use autogpt::authorize::start_authorization;
//! use autogpt::connect::{ConnectDecision, connect_url, validate_connect_message};
//! use autogpt::ids::{ClientId, Provider};
//! use autogpt::origin::{Origin, PlatformUrl, RedirectUri};
//! use autogpt::random::Nonce;
//! use autogpt::scope::Scope;
//!
//! let platform = PlatformUrl::parse("https://platform.agpt.co")?;
//! let client_id = ClientId::new("agpt_client_1");
//!
//! // 1. OAuth: send the user to `pending.url`; keep state and verifier in the server session.
//! let redirect = RedirectUri::new("https://app.example/oauth/callback")?;
//! let pending = start_authorization(&platform, &client_id, &redirect,
//!                                   &[Scope::OPENID, Scope::AGENTS_EXECUTE]);
//! assert!(pending.url.as_str().contains("code_challenge_method=S256"));
//!
//! // 2. Connect popup: open the URL, then judge every `message` event.
//! let nonce = Nonce::generate();
//! let app = Origin::parse("https://app.example")?;
//! let popup = connect_url(&platform, &Provider::new("google"), &client_id,
//!                         &[Scope::GOOGLE_GMAIL_READONLY], &nonce, &app);
//! assert!(popup.as_str().starts_with("https://platform.agpt.co/connect/google?"));
//! let data = serde_json::json!({"type": "autogpt_connect_result", "success": true,
//!                               "nonce": nonce.as_str(), "grant_id": "g1"});
//! match validate_connect_message("https://platform.agpt.co", &data, &platform.origin(), &nonce) {
//!     ConnectDecision::Success { grant_id, .. } => assert_eq!(grant_id.as_str(), "g1"),
//!     other => panic!("{other:?}"),
//! }
//!
//! // 3. Webhooks: verify the raw body against current and previous secrets.
//! use autogpt::secret::WebhookSecret;
//! use autogpt::webhook::{SIGNATURE_HEADER, WebhookVerifier, sign_raw};
//! let secret = WebhookSecret::new("whsec");
//! let body = br#"{"event":"grant.revoked","timestamp":"2025-01-01T00:00:00Z","data":{"grant_id":"g1"}}"#;
//! let mut headers = http::HeaderMap::new();
//! headers.insert(SIGNATURE_HEADER, sign_raw(&secret, body).parse()?);
//! let now = time::macros::datetime!(2025-01-01 00:01:00 UTC);
//! let verified = WebhookVerifier::new(vec![secret]).verify(body, &headers, now)?;
//! assert_eq!(verified.idempotency_key.as_str(), "grant.revoked:g1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Why not the `oauth2` crate
//!
//! This crate follows oauth2-rs's type design (one newtype per protocol value, secrets that
//! print `[redacted]`, a PKCE verifier that is not `Clone`, requests and responses as plain
//! `http` types with the transport injected) but does not depend on it:
//! - its token error type reads only the top-level RFC 6749 shape; the platform nests errors
//!   as `{"detail":{"error":...}}` (checklist 27), which oauth2 would report as a parse error;
//! - its errors drop the response headers, so a 429's `Retry-After` would be lost;
//! - the platform's later API sends `access_token_expires_at` instead of `expires_in`, and we
//!   need an absolute `expires_at` either way: a custom token type regardless;
//! - the server-side authorization request with `X-API-Key`, and classifying its answer
//!   (consent page, login redirect or meta refresh, redirect with code/error), is out of its
//!   scope, as are the Connect popup and webhooks;
//! - the pure half must build for wasm32; PKCE S256 is one SHA-256 plus base64url (pinned by
//!   the RFC 7636 appendix B vector), not worth oauth2's dependency tree (chrono, rand...).
//!
//! The cost is a small token client of our own, pinned by literal fixtures and stub-server
//! tests (checklist 23, 25, 26, 27).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod authorize;
pub mod connect;
pub mod error;
pub mod ids;
pub mod live;
pub mod origin;
pub mod pkce;
pub mod platform;
pub mod random;
pub mod scope;
pub mod secret;
pub mod types;
pub mod webhook;

#[cfg(feature = "client")]
pub mod client;
