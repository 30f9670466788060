//! The authorization server's issuer (RFC 9207, checklist 24): read once from
//! the platform's discovery document. A callback's `iss` must equal it
//! exactly, and when discovery says `authorization_response_iss_parameter_supported`,
//! a callback without `iss` is refused (a mix-up attack would strip it).

use autogpt::client::Transport;
use autogpt::origin::PlatformUrl;
use http::{Method, Request};
use serde::Deserialize;
use tokio::sync::OnceCell;

/// What the discovery document says about `iss`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerPolicy {
    /// The exact issuer string.
    pub issuer: String,
    /// True when every authorization response carries `iss`.
    pub required: bool,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// Discovery, fetched on first use and kept (a failed fetch is retried next time).
pub struct IssuerCache {
    transport: Transport,
    platform: PlatformUrl,
    cell: OnceCell<IssuerPolicy>,
}

impl IssuerCache {
    /// A cache for `platform`'s discovery document.
    pub fn new(transport: Transport, platform: PlatformUrl) -> Self {
        Self { transport, platform, cell: OnceCell::new() }
    }

    /// The policy from discovery; without discovery, the configured platform origin as the
    /// issuer and `iss` optional.
    pub async fn policy(&self) -> IssuerPolicy {
        let fetched = self.cell.get_or_try_init(|| self.fetch()).await;
        match fetched {
            Ok(policy) => policy.clone(),
            Err(()) => IssuerPolicy { issuer: self.platform.origin().as_str().to_owned(), required: false },
        }
    }

    async fn fetch(&self) -> Result<IssuerPolicy, ()> {
        let url = self.platform.join("/.well-known/openid-configuration");
        let request = Request::builder().method(Method::GET).uri(url.as_str()).body(Vec::new()).map_err(|_| ())?;
        let response = self.transport.send(request).await.map_err(|e| {
            tracing::warn!(error = %e, "could not read the platform's discovery document");
        })?;
        if !response.status().is_success() {
            tracing::warn!(status = %response.status(), "discovery document unavailable");
            return Err(());
        }
        let doc: Discovery = serde_json::from_slice(response.body()).map_err(|e| {
            tracing::warn!(error = %e, "discovery document did not parse");
        })?;
        Ok(IssuerPolicy { issuer: doc.issuer, required: doc.authorization_response_iss_parameter_supported })
    }
}

/// Checks a callback's `iss` against the policy (checklist 24).
pub fn iss_acceptable(policy: &IssuerPolicy, iss: Option<&str>) -> bool {
    match iss {
        Some(iss) => iss == policy.issuer,
        None => !policy.required,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item24_iss_must_match_exactly_and_be_present_when_advertised() {
        let optional = IssuerPolicy { issuer: "http://127.0.0.1:8006".into(), required: false };
        let required = IssuerPolicy { required: true, ..optional.clone() };
        assert!(iss_acceptable(&optional, None));
        assert!(iss_acceptable(&optional, Some("http://127.0.0.1:8006")));
        for wrong in ["http://127.0.0.1:8006/", "https://127.0.0.1:8006", "http://evil.test", ""] {
            assert!(!iss_acceptable(&optional, Some(wrong)), "{wrong}");
        }
        assert!(!iss_acceptable(&required, None));
        assert!(iss_acceptable(&required, Some("http://127.0.0.1:8006")));
    }
}
