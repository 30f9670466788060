//! Wire types of the platform's JSON bodies (contract §2, §4, §5), tolerant where it varies.

mod execution;
mod grants;
mod tokens;
mod webhook;

pub use execution::{CancelResponse, ExecuteRequest, ExecuteResponse, ExecutionResult, ExecutionStatus};
pub use grants::{Capabilities, CapabilityGrant, Grant, MessageResponse};
pub use tokens::{DEFAULT_EXPIRY_SKEW_SECS, TokenResponse, UserInfo};
pub use webhook::{WebhookEnvelope, WebhookEvent};
