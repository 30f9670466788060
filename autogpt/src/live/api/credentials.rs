//! The user's integration credentials (contract §3.4, §4.10, §4.16): `CredentialInfo`, the
//! per-agent `CredentialRequirement`, and the reference a run passes in `credentials_inputs`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::de::null_default;
use super::page::Page;
use crate::error::ParseError;
use crate::ids::{CredentialId, Provider, Timestamp};
use crate::scope::ProviderScope;

/// A credential's `type` (lower case on the wire).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CredentialType {
    /// `api_key`
    ApiKey,
    /// `oauth2`
    OAuth2,
    /// `user_password`
    UserPassword,
    /// `host_scoped`
    HostScoped,
    /// Another value, kept verbatim.
    Other(String),
}

impl CredentialType {
    /// Reads a type (case-insensitively).
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "api_key" => Self::ApiKey,
            "oauth2" => Self::OAuth2,
            "user_password" => Self::UserPassword,
            "host_scoped" => Self::HostScoped,
            _ => Self::Other(s.to_owned()),
        }
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::ApiKey => "api_key",
            Self::OAuth2 => "oauth2",
            Self::UserPassword => "user_password",
            Self::HostScoped => "host_scoped",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for CredentialType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CredentialType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CredentialType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// One of the user's credentials (no secret in it).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CredentialInfo {
    /// Pass as `credentials_inputs.<field>.id`.
    pub id: CredentialId,
    /// `api_key`, `oauth2`, ...
    #[serde(rename = "type")]
    pub kind: CredentialType,
    /// `github`, `google`, ...
    pub provider: Provider,
    /// User-assigned title; how the user tells two credentials apart.
    #[serde(default)]
    pub title: Option<String>,
    /// The account name (OAuth2 only).
    #[serde(default)]
    pub username: Option<String>,
    /// Granted provider scopes (OAuth2 only; empty otherwise).
    #[serde(default, deserialize_with = "null_default")]
    pub scopes: Vec<ProviderScope>,
    /// OAuth2: refresh-token expiry; API key: key expiry.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Platform-provided; cannot be deleted.
    #[serde(default, deserialize_with = "null_default")]
    pub is_managed: bool,
}

impl CredentialInfo {
    /// The reference a run passes for this credential.
    pub fn as_input(&self) -> CredentialsInput {
        CredentialsInput {
            id: self.id.clone(),
            provider: self.provider.clone(),
            kind: self.kind.clone(),
            title: self.title.clone(),
        }
    }

    /// True when it holds every scope in `required`.
    pub fn has_scopes(&self, required: &[ProviderScope]) -> bool {
        required.iter().all(|r| self.scopes.contains(r))
    }
}

/// `credentials_inputs.<field>` of a run: which credential fills a credentials field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsInput {
    /// The credential.
    pub id: CredentialId,
    /// Its provider.
    pub provider: Provider,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: CredentialType,
    /// Its title (optional on the way in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// One (field, provider) pair an agent needs (`GET /library/agents/{id}/credentials`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CredentialRequirement {
    /// Key to use in `credentials_inputs`. A field accepting several providers appears once
    /// per provider.
    pub field_name: String,
    /// The provider.
    pub provider: Provider,
    /// Accepted credential types.
    #[serde(default, deserialize_with = "null_default")]
    pub supported_types: Vec<CredentialType>,
    /// Scopes an OAuth2 credential must have.
    #[serde(default, deserialize_with = "null_default")]
    pub required_scopes: Vec<ProviderScope>,
    /// **All** the user's credentials of that provider, not filtered by type or scopes.
    #[serde(default, deserialize_with = "null_default")]
    pub matching_credentials: Vec<CredentialInfo>,
}

impl CredentialRequirement {
    /// The matching credentials that also have an accepted type and the required scopes.
    pub fn usable_credentials(&self) -> impl Iterator<Item = &CredentialInfo> + '_ {
        self.matching_credentials.iter().filter(|c| {
            (self.supported_types.is_empty() || self.supported_types.contains(&c.kind))
                && (c.kind != CredentialType::OAuth2 || c.has_scopes(&self.required_scopes))
        })
    }
}

#[derive(Deserialize)]
struct CredentialsList {
    #[serde(default)]
    items: Option<Vec<CredentialInfo>>,
    #[serde(default)]
    credentials: Option<Vec<CredentialInfo>>,
    #[serde(default)]
    next_cursor: Option<super::ids::Cursor>,
    #[serde(default)]
    total_count: Option<u64>,
}

/// Reads `GET /integrations/credentials`: the v2 page envelope, or the older
/// `{"credentials": […]}` (contract open question 3), which becomes a single last page.
pub fn parse_credentials_list(body: &[u8]) -> Result<Page<CredentialInfo>, ParseError> {
    let list: CredentialsList = serde_json::from_slice(body).map_err(|e| ParseError::json(&e, body))?;
    match (list.items, list.credentials) {
        (Some(items), _) => Ok(Page { items, next_cursor: list.next_cursor, total_count: list.total_count }),
        (None, Some(items)) => {
            let total = items.len() as u64;
            Ok(Page { items, next_cursor: None, total_count: Some(total) })
        }
        (None, None) => Err(ParseError::missing_field("items", body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = r#"{"id":"c1","type":"oauth2","provider":"github","title":"Work","username":"ada","scopes":["repo","read:user"],"expires_at":"2026-11-07T14:03:12Z","is_managed":false,"new_field":1}"#;

    #[test]
    fn both_list_shapes() {
        let page =
            parse_credentials_list(format!(r#"{{"items":[{INFO}],"next_cursor":"n","total_count":2}}"#).as_bytes())
                .unwrap();
        assert_eq!(page.items[0].kind, CredentialType::OAuth2);
        assert_eq!(page.next_cursor.unwrap().as_str(), "n");
        let old = parse_credentials_list(format!(r#"{{"credentials":[{INFO},{INFO}]}}"#).as_bytes()).unwrap();
        assert_eq!((old.items.len(), old.total_count, old.next_cursor), (2, Some(2), None));
        let e = parse_credentials_list(b"{}").unwrap_err();
        assert_eq!(e.field(), Some("items"));
    }

    #[test]
    fn requirement_filters_usable() {
        let req: CredentialRequirement = serde_json::from_str(&format!(
            r#"{{"field_name":"github_credentials","provider":"github","supported_types":["oauth2"],"required_scopes":["repo"],"matching_credentials":[{INFO},{{"id":"c2","type":"api_key","provider":"github","title":null,"username":null,"scopes":[],"expires_at":null,"is_managed":false}}]}}"#
        ))
        .unwrap();
        let usable: Vec<_> = req.usable_credentials().map(|c| c.id.as_str()).collect();
        assert_eq!(usable, ["c1"]);
        let input = serde_json::to_string(&req.matching_credentials[1].as_input()).unwrap();
        assert_eq!(input, r#"{"id":"c2","provider":"github","type":"api_key"}"#);
    }
}
