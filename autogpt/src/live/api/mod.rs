//! External API v2 (contract §4), base `{backend}/external-api/v2`: typed models, the error
//! envelope, rate-limit headers, pagination, and pure request builders and response parsers.
//! The HTTP client over them is `client::live::LiveApiClient` (feature `client`).
//!
//! | module | owns |
//! |---|---|
//! | `auth` | [`Credential`]: Bearer access token or `X-API-Key` |
//! | `ids` | run, library agent, graph, review, team... ids; [`Cursor`]; [`IdempotencyKey`] |
//! | `request` | [`ApiRequest`] builders per endpoint, [`parse_response`], [`ApiResponse`] |
//! | `error` | [`ErrorCode`] (every §4.4 code), [`ApiErrorBody`], [`ResponseError`] |
//! | `rate_limit` | [`RateLimit`] from `X-RateLimit-*` and `Retry-After` |
//! | `page` | [`Page`], [`PageRequest`], [`PageLimit`] |
//! | `me`, `library`, `credentials`, `runs`, `reviews` | the resources |
//!
//! Models ignore unknown fields and read enums case-insensitively, keeping unknown values.

mod auth;
mod credentials;
mod de;
mod error;
mod ids;
mod library;
mod me;
mod page;
mod rate_limit;
mod request;
mod reviews;
mod runs;

pub use auth::Credential;
pub use credentials::{
    CredentialInfo, CredentialRequirement, CredentialType, CredentialsInput, parse_credentials_list,
};
pub use de::Outputs;
pub use error::{ApiErrorBody, ErrorCode, ResponseError};
pub use ids::{
    Cursor, FolderId, GraphId, IdempotencyKey, InvalidIdempotencyKey, LibraryAgentId, MAX_IDEMPOTENCY_KEY_LEN, NodeId,
    OrganizationId, PresetId, ReviewId, RunId, TeamId,
};
pub use library::{LibraryAgent, LibraryAgentsQuery, TriggerSetupInfo};
pub use me::{CallerCredential, Me, Organization, Team};
pub use page::{InvalidPageLimit, Page, PageLimit, PageRequest};
pub use rate_limit::RateLimit;
pub(crate) use rate_limit::retry_after;
pub use request::{
    ApiRequest, ApiResponse, RequestError, V2_BASE, parse_credentials_response, parse_response, parse_response_with,
};
pub use reviews::{MAX_REVIEW_MESSAGE_CHARS, Review, ReviewDecision, ReviewStatus, ReviewsQuery, ReviewsSubmitted};
pub use runs::{BlockError, NodeExecution, Run, RunRequest, RunStatus, RunsQuery};
