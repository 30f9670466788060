//! How a v2 call authenticates (contract §4.2): an OAuth access token as a Bearer, or the
//! user's API key as `X-API-Key` (which wins on the platform when both are sent; we send one).

use http::HeaderValue;

use crate::secret::{AccessToken, ApiKey};

/// The credential of one v2 call. `Debug` redacts both variants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer agpt_xt_…` (OAuth sign-in).
    Bearer(AccessToken),
    /// `X-API-Key: agpt_…` (API-key sign-in).
    ApiKey(ApiKey),
}

impl Credential {
    /// The header name and (sensitive) value to send; `None` if the secret cannot be a
    /// header value (a configuration bug: a newline in a pasted key).
    pub(crate) fn header(&self) -> Option<(&'static str, HeaderValue)> {
        let (name, value) = match self {
            Self::Bearer(t) => ("authorization", HeaderValue::from_str(&format!("Bearer {}", t.secret())).ok()?),
            Self::ApiKey(k) => ("x-api-key", HeaderValue::from_str(k.secret()).ok()?),
        };
        let mut value = value;
        value.set_sensitive(true);
        Some((name, value))
    }
}

impl From<AccessToken> for Credential {
    fn from(t: AccessToken) -> Self {
        Self::Bearer(t)
    }
}

impl From<ApiKey> for Credential {
    fn from(k: ApiKey) -> Self {
        Self::ApiKey(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checklist 37: neither variant prints its secret.
    #[test]
    fn item37_debug_redacted() {
        for c in
            [Credential::Bearer(AccessToken::new("agpt_xt_SECRET")), Credential::ApiKey(ApiKey::new("agpt_SECRET"))]
        {
            assert!(!format!("{c:?}").contains("SECRET"));
            assert!(c.header().unwrap().1.is_sensitive());
        }
        assert!(Credential::ApiKey(ApiKey::new("a\nb")).header().is_none());
    }
}
