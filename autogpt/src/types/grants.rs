//! External API grant and capability bodies.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ClientId, CredentialId, GrantId, Provider, Timestamp, UserId};
use crate::scope::Scope;

/// One grant from `GET /grants/` or `GET /grants/{grant_id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// Grant id.
    #[serde(alias = "grant_id")]
    pub id: GrantId,
    /// Provider of the underlying credential.
    pub provider: Provider,
    /// Scopes granted to this client.
    #[serde(default)]
    pub granted_scopes: Vec<Scope>,
    /// Permissions, shape not fixed by the contract (kept as JSON).
    #[serde(default)]
    pub permissions: Value,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// Last use.
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
    /// Expiry, if any.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Underlying credential (single-grant endpoint only).
    #[serde(default)]
    pub credential_id: Option<CredentialId>,
    /// Revocation time (single-grant endpoint only).
    #[serde(default)]
    pub revoked_at: Option<Timestamp>,
}

/// One grant as listed in capabilities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapabilityGrant {
    /// Grant id.
    pub grant_id: GrantId,
    /// Provider.
    pub provider: Provider,
    /// Scopes.
    #[serde(default)]
    pub scopes: Vec<Scope>,
}

/// `GET /executions/capabilities` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The user the token belongs to.
    pub user_id: UserId,
    /// This client.
    pub client_id: ClientId,
    /// Active grants.
    #[serde(default)]
    pub grants: Vec<CapabilityGrant>,
    /// Scopes available to the client.
    #[serde(default)]
    pub available_scopes: Vec<Scope>,
}

/// `{"message": ...}` answers (credential deletion).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageResponse {
    /// Human-readable message.
    #[serde(default)]
    pub message: Option<String>,
}
