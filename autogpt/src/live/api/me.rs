//! `GET /me` (contract §4.8): who the credential acts for. There is no OIDC userinfo on the
//! live platform; this is the identity call (permission `IDENTITY`).

use serde::{Deserialize, Deserializer};

use super::ids::{OrganizationId, TeamId};
use crate::ids::UserId;
use crate::live::Permission;

/// The organization a request acts in (fixed by the credential).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Organization {
    /// Its id.
    pub id: OrganizationId,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The user's personal organization (every OAuth token acts in it).
    #[serde(default)]
    pub is_personal: bool,
}

/// A team inside the organization.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Team {
    /// Its id (send as `X-Team-Id`).
    pub id: TeamId,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// What kind of credential made the call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallerCredential {
    /// `api_key`
    ApiKey,
    /// `oauth`
    OAuth,
    /// Another value, kept verbatim.
    Other(String),
}

impl<'de> Deserialize<'de> for CallerCredential {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "api_key" => Self::ApiKey,
            "oauth" => Self::OAuth,
            _ => Self::Other(s),
        })
    }
}

/// `GET /me` answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Me {
    /// Stable user id.
    pub user_id: UserId,
    /// E-mail address.
    pub email: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// IANA time zone, or `not-set`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The organization the credential acts in.
    #[serde(default)]
    pub organization: Option<Organization>,
    /// The team (`None` = org-wide).
    #[serde(default)]
    pub team: Option<Team>,
    /// The credential's permissions.
    #[serde(default)]
    pub scopes: Vec<Permission>,
    /// API key or OAuth token.
    #[serde(default)]
    pub credential_type: Option<CallerCredential>,
}

impl Me {
    /// The time zone, unless the user never set one (`not-set`).
    pub fn time_zone(&self) -> Option<&str> {
        self.timezone.as_deref().filter(|t| *t != "not-set")
    }

    /// True when the credential carries `permission`.
    pub fn has(&self, permission: &Permission) -> bool {
        self.scopes.contains(permission)
    }
}
