//! The records the sandbox keeps (all serialisable so a JSON snapshot can hold them).

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    pub secret: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub origins: Vec<String>,
    pub webhook_hosts: Vec<String>,
    pub webhook_secret: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password: String,
    pub api_key: String,
    pub updated_at: String,
    /// IANA time zone, or the platform's literal `not-set` (live `GET /me`).
    #[serde(default = "not_set")]
    pub timezone: String,
}

fn not_set() -> String {
    "not-set".to_owned()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credential {
    pub id: String,
    pub user_id: String,
    pub provider: String,
    pub label: String,
    pub created_at: String,
    /// The provider account's user name (live `CredentialInfo.username`).
    #[serde(default)]
    pub username: Option<String>,
    /// Provider-native OAuth scopes the credential carries (live wizard and requirements).
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user_id: String,
}

/// A consent page shown for an authorization request; single use, 10 minutes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsentRequest {
    pub token: String,
    pub user_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub code_challenge: String,
    /// Set in the login flow: the approve/deny POST must carry the same session.
    pub session_id: Option<String>,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthCode {
    pub code: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub code_challenge: String,
    pub expires_at_ms: i64,
    pub used: bool,
    /// Every token issued from this code (and its refreshes) shares this family id.
    pub family: String,
    /// The `code_verifier` the exchange presented (tests check no response of the app ever
    /// showed it to the browser, checklist 19).
    #[serde(default)]
    pub verifier_presented: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub token: String,
    pub kind: TokenKind,
    pub family: String,
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub expires_at_ms: i64,
    pub revoked: bool,
    /// Refresh tokens only: already exchanged for a new pair (presenting it again is reuse).
    pub rotated: bool,
}

/// Remembered OAuth consent for (user, client).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Consent {
    pub user_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
}

/// An integration grant: one per (user, client, credential).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub credential_id: String,
    pub provider: String,
    pub scopes: Vec<String>,
    pub permissions: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A validated connect-popup request waiting for the user's decision; single use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectRequest {
    pub token: String,
    pub session_id: String,
    pub user_id: String,
    pub client_id: String,
    pub provider: String,
    pub scopes: Vec<String>,
    pub nonce: String,
    pub redirect_origin: String,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Running,
    Completed,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Execution {
    pub id: String,
    pub agent_id: String,
    pub user_id: String,
    pub client_id: String,
    pub inputs: Value,
    pub grant_ids: Vec<String>,
    pub webhook_url: Option<String>,
    pub status: Status,
    pub cancelled: bool,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub outputs: Option<Value>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub at: String,
    pub status: Option<u16>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub event: String,
    pub url: String,
    pub client_id: String,
    pub user_id: String,
    /// The exact body bytes sent (UTF-8).
    pub body: String,
    pub signature: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: Vec<Attempt>,
    pub created_at: String,
}
