//! Typed AutoGPT Platform protocol, in both of its contracts: OAuth 2 + PKCE, the Connect popup
//! or the setup wizard, the External API (v1 executions or v2 runs), webhooks.
//!
//! Everything an application says to the AutoGPT Platform, and everything it must check about
//! what comes back, without any web framework: a Rust program can depend on this crate alone.
//! Two wire contracts: the **guide** profile (`shared/spec/autogpt-contract.md`, the design of
//! an unmerged pull request: the modules at the top of the table) and the **live** profile
//! (`shared/spec/platform-live-contract.md`, what AutoGPT ships: [`live`]). [`platform`] and
//! `client::Platform` are the one seam over what both do. The security checklist items each
//! test demonstrates are cited in the test names (`item25_...`), as are issue 11's items 6
//! (path ids) and 7 (no secrets in parse errors).
//!
//! # Map
//!
//! | module | owns | wasm32 |
//! |---|---|---|
//! | [`secret`] | secret newtypes: redacted `Debug`, no `Display`, `.secret()` accessor | yes |
//! | [`ids`], [`scope`], [`origin`] | typed ids and [`ids::path_segment`], scopes, origins and URLs | yes |
//! | [`pkce`], [`random`] | PKCE S256, `state` and `nonce` from the CSPRNG | yes |
//! | [`authorize`] | guide authorization URL, callback query parsing (shared by both profiles) | yes |
//! | [`connect`] | guide Connect popup URL and the pure popup-message validator | yes |
//! | [`types`] | guide JSON bodies: tokens (also the profile-neutral token type), executions, grants, webhooks | yes |
//! | [`webhook`] | guide webhook signature/freshness verification, canonical JSON | yes |
//! | [`live`] | live profile: permissions, authorize URL, JSON token bodies, setup wizard, External API v2 models, errors and request builders, JSON Schema input forms | yes |
//! | [`platform`] | profile-neutral views: `Identity`, `ConnectedCredential`, `RunSnapshot`, `Profile` | yes |
//! | [`error`] | structured parse errors (never body bytes), body summaries, OAuth error codes | yes |
//! | `client` (feature `client`) | reqwest transport, guide OAuth and External API clients, `client::live` (live OAuth and v2 clients), `client::Platform` (the seam) | no |
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
//! # Example (live profile)
//!
//! ```
//! use autogpt::ids::{ClientId, Provider};
//! use autogpt::live::api::{Run, RunStatus};
//! use autogpt::live::schema::{JsonSchema, check_form, input_fields};
//! use autogpt::live::wizard::{WizardCallback, WizardProvider, parse_wizard_callback, setup_wizard_url};
//! use autogpt::live::{Permission, authorize};
//! use autogpt::origin::{PlatformUrl, RedirectUri};
//! use autogpt::random::State;
//!
//! let platform = PlatformUrl::parse("https://platform.agpt.co")?;
//! let client_id = ClientId::new("agpt_client_1");
//! let redirect = RedirectUri::new("https://app.example/api/autogpt/callback")?;
//!
//! // 1. Sign-in: the browser goes to the platform's consent page.
//! let pending = authorize::start_authorization(&platform, &client_id, &redirect,
//!                                              &[Permission::Identity, Permission::RunAgent]);
//! assert!(pending.url.as_str().starts_with("https://platform.agpt.co/auth/authorize?"));
//!
//! // 2. Connect GitHub through the setup wizard, then read its redirect back.
//! let back = RedirectUri::new("https://app.example/api/autogpt/integrations/callback")?;
//! let github = WizardProvider::new(Provider::new("github"), None)?;
//! let wizard = setup_wizard_url(&platform, &client_id, &[github], &back, &State::new("s1"));
//! assert!(wizard.as_str().contains("providers=W3sicHJvdmlkZXIiOiJnaXRodWIifV0%3D"));
//! assert_eq!(parse_wizard_callback("success=true&state=s1"), WizardCallback::Success { state: Some(State::new("s1")) });
//!
//! // 3. An agent's form from its input schema, and the run's `inputs` from the filled form.
//! let schema = JsonSchema::parse(br#"{"properties":{"topic":{"type":"string"},"n":{"type":"integer"}},"required":["topic"]}"#)?;
//! let inputs = check_form(&input_fields(&schema), [("topic", "Rust"), ("n", "3")])?;
//! assert_eq!(serde_json::Value::Object(inputs), serde_json::json!({"topic": "Rust", "n": 3}));
//!
//! // 4. A finished run: outputs are lists; a completed run can still have failed blocks.
//! let run: Run = serde_json::from_str(r#"{"id":"r1","graph_id":"g1","status":"COMPLETED",
//!     "outputs":{"answer":["42"]},
//!     "node_executions":[{"node_id":"n1","status":"FAILED","outputs":{"error":["timeout"]}}]}"#)?;
//! assert!(run.status.is_final() && run.status == RunStatus::Completed);
//! assert_eq!(run.last_output("answer"), Some(&serde_json::json!("42")));
//! assert_eq!(run.block_errors()[0].message, "timeout");
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
//! - the live platform's token endpoint takes JSON bodies only (a form body is a 422) and
//!   answers `{"detail": "Invalid grant: …"}`, neither of which oauth2 speaks;
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
