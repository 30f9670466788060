//! OAuth and integration scopes: validated strings with the guide's names as constants, and
//! [`ProviderScope`], a third-party provider's own scope token (`repo`, `read:user`, a Google
//! scope URL) as the live platform's credentials and setup wizard carry them.
//!
//! Not a closed enum on purpose: the platform code accepts names the guide does not list
//! (`google:sheets.readonly`, `github:repos.read`...), and rejecting them would break users.
//! (The live platform's own OAuth scopes are a closed set: `live::Permission`.)

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One scope. Valid scopes are non-empty RFC 6749 `scope-token`s without a comma, because the
/// OAuth request joins scopes with spaces and the Connect popup joins them with commas.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(Cow<'static, str>);

/// A string that is not a valid scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope {0:?}: must be non-empty printable ASCII without space, comma, quote or backslash")]
pub struct InvalidScope(pub String);

macro_rules! scope_consts {
    ($($(#[$meta:meta])* $name:ident = $value:literal;)*) => {
        impl Scope {
            $($(#[$meta])* pub const $name: Scope = Scope(Cow::Borrowed($value));)*
        }
    };
}

scope_consts! {
    /// `openid`
    OPENID = "openid";
    /// `profile`
    PROFILE = "profile";
    /// `email`
    EMAIL = "email";
    /// `agents:execute`: run agents and read their executions.
    AGENTS_EXECUTE = "agents:execute";
    /// `integrations:list`: list grants.
    INTEGRATIONS_LIST = "integrations:list";
    /// `integrations:connect`: request grants through the Connect popup.
    INTEGRATIONS_CONNECT = "integrations:connect";
    /// `integrations:delete`: delete a granted credential.
    INTEGRATIONS_DELETE = "integrations:delete";
    /// `google:gmail.readonly`
    GOOGLE_GMAIL_READONLY = "google:gmail.readonly";
    /// `google:gmail.send`
    GOOGLE_GMAIL_SEND = "google:gmail.send";
    /// `google:sheets.read`
    GOOGLE_SHEETS_READ = "google:sheets.read";
    /// `google:sheets.write`
    GOOGLE_SHEETS_WRITE = "google:sheets.write";
    /// `google:calendar.read`
    GOOGLE_CALENDAR_READ = "google:calendar.read";
    /// `google:calendar.write`
    GOOGLE_CALENDAR_WRITE = "google:calendar.write";
    /// `google:drive.read`
    GOOGLE_DRIVE_READ = "google:drive.read";
    /// `google:drive.write`
    GOOGLE_DRIVE_WRITE = "google:drive.write";
    /// `github:repo.read`
    GITHUB_REPO_READ = "github:repo.read";
    /// `github:repo.write`
    GITHUB_REPO_WRITE = "github:repo.write";
    /// `github:user.read`
    GITHUB_USER_READ = "github:user.read";
    /// `twitter:tweet.read`
    TWITTER_TWEET_READ = "twitter:tweet.read";
    /// `twitter:tweet.write`
    TWITTER_TWEET_WRITE = "twitter:tweet.write";
    /// `notion:read`
    NOTION_READ = "notion:read";
    /// `notion:write`
    NOTION_WRITE = "notion:write";
    /// `slack:read`
    SLACK_READ = "slack:read";
    /// `slack:write`
    SLACK_WRITE = "slack:write";
}

impl Scope {
    /// Validates a scope string.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidScope> {
        let value = value.into();
        let ok = !value.is_empty() && value.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E) && b != b',');
        if ok { Ok(Self(Cow::Owned(value))) } else { Err(InvalidScope(value)) }
    }

    /// The scope string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a value the caller has already checked against a subset of the scope charset.
    pub(crate) fn from_trusted(value: String) -> Self {
        debug_assert!(Scope::new(value.clone()).is_ok(), "{value:?}");
        Self(Cow::Owned(value))
    }

    /// The provider prefix of an integration scope (`google` for `google:gmail.send`); `None`
    /// for OAuth scopes such as `openid`. Note `agents:execute` yields `agents`.
    pub fn provider_prefix(&self) -> Option<&str> {
        self.0.split_once(':').map(|(p, _)| p)
    }

    /// Joins scopes with a single space (OAuth `scope` parameter).
    pub fn join_space(scopes: &[Scope]) -> String {
        join(scopes, " ")
    }

    /// Joins scopes with a comma (Connect popup `scopes` parameter).
    pub fn join_comma(scopes: &[Scope]) -> String {
        join(scopes, ",")
    }

    /// Splits a space-separated `scope` value (token response), skipping empty pieces.
    pub fn parse_space_separated(value: &str) -> Result<Vec<Scope>, InvalidScope> {
        value.split_ascii_whitespace().map(Scope::new).collect()
    }
}

fn join(scopes: &[Scope], sep: &str) -> String {
    scopes.iter().map(Scope::as_str).collect::<Vec<_>>().join(sep)
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Scope {
    type Err = InvalidScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::new(s)
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Scope::new(s).map_err(serde::de::Error::custom)
    }
}

/// A third-party provider's own scope, an RFC 6749 `scope-token`: non-empty, printable ASCII
/// without space, `"` or `\` (commas allowed). ASCII matters: the setup wizard decodes its
/// `providers` parameter with `atob`, which garbles anything else.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderScope(String);

impl ProviderScope {
    /// Validates a provider scope token.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidScope> {
        let value = value.into();
        let ok = !value.is_empty() && value.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        if ok { Ok(Self(value)) } else { Err(InvalidScope(value)) }
    }

    /// The scope string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Scope> for ProviderScope {
    fn from(scope: Scope) -> Self {
        // Scope's charset is ProviderScope's minus the comma.
        Self(scope.as_str().to_owned())
    }
}

impl fmt::Display for ProviderScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ProviderScope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ProviderScope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ProviderScope::new(String::deserialize(d)?).map_err(|_| serde::de::Error::custom("invalid scope token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_platform_names_outside_the_guide() {
        for s in ["google:sheets.readonly", "github:repos.read", "agents:execute"] {
            assert_eq!(Scope::new(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn rejects_separators_and_empty() {
        for s in ["", "a b", "a,b", "a\"b", "a\\b", "é", "a\tb"] {
            assert!(Scope::new(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn joins_and_splits() {
        let v = vec![Scope::OPENID, Scope::AGENTS_EXECUTE];
        assert_eq!(Scope::join_space(&v), "openid agents:execute");
        assert_eq!(Scope::join_comma(&v), "openid,agents:execute");
        assert_eq!(Scope::parse_space_separated(" openid  agents:execute ").unwrap(), v);
        assert_eq!(Scope::GOOGLE_GMAIL_SEND.provider_prefix(), Some("google"));
        assert_eq!(Scope::OPENID.provider_prefix(), None);
    }

    #[test]
    fn provider_scopes() {
        for s in ["repo", "read:user", "https://www.googleapis.com/auth/gmail.readonly", "a,b"] {
            assert_eq!(ProviderScope::new(s).unwrap().as_str(), s);
        }
        for s in ["", "a b", "é", "a\"b", "a\\b"] {
            assert!(ProviderScope::new(s).is_err(), "{s:?}");
        }
        assert_eq!(ProviderScope::from(Scope::NOTION_READ).as_str(), "notion:read");
    }

    #[test]
    fn serde_validates() {
        assert!(serde_json::from_str::<Scope>("\"a b\"").is_err());
        let s: Scope = serde_json::from_str("\"notion:read\"").unwrap();
        assert_eq!(s, Scope::NOTION_READ);
    }
}
