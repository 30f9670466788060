//! The **live** profile: the API the AutoGPT Platform actually ships
//! (`shared/spec/platform-live-contract.md`), beside the guide's contract (the rest of this
//! crate). Pure: everything here builds for wasm32; the HTTP clients over it are
//! `client::live` (feature `client`).
//!
//! | module | owns | contract |
//! |---|---|---|
//! | [`Permission`] | the 25 `APIKeyPermission` scopes | §2.2 |
//! | [`authorize`] | `{platform}/auth/authorize` URL (PKCE S256, CSPRNG state), callback | §2.3 |
//! | [`token`] | JSON token/introspect/revoke bodies, [`LiveTokenResponse`] (ISO expiries) | §2.6–2.8 |
//! | [`oauth_error`] | [`LiveOAuthError`] (`{"detail"}`, 422, 500, proxies) and the answer parsers | §2.10 |
//! | [`wizard`] | setup-wizard URL (Base64 `providers`) and callback | §3 |
//! | [`api`] | External API v2: models, errors, rate limits, paging, request builders | §4 |
//! | [`schema`] | form fields from an agent's `input_schema`, and the form check | §4.9 |
//! | [`validation`] | pydantic validation entries (`loc`), shared by both error shapes | §2.10, §4.4 |
//! | [`BackendUrl`] | the backend origin (`/api/oauth`, `/external-api/v2`) | §1 |
//!
//! Two origins: the browser pages live on the platform URL ([`crate::origin::PlatformUrl`]),
//! the APIs on the backend URL ([`BackendUrl`]); the types keep them apart.

pub mod api;
pub mod authorize;
pub mod oauth_error;
mod permission;
pub mod schema;
pub mod token;
mod url;
pub mod validation;
pub mod wizard;

pub use self::oauth_error::LiveOAuthError;
pub use self::permission::{InvalidPermission, Permission, UnknownPermission};
pub use self::token::{LiveOAuthApp, LiveTokenResponse};
pub use self::url::BackendUrl;
