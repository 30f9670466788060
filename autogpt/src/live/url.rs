//! The live platform's second origin: the backend that serves `/api/oauth/*` and
//! `/external-api/v2/*`, apart from the platform origin that serves the browser pages.

use url::Url;

use crate::origin::{InvalidUrl, Origin, PlatformUrl};

/// Base URL of the live backend (`AUTOGPT_API_URL`), e.g. `https://backend.agpt.co`, or
/// `http://localhost:3000/_agpt` for the single-container deployment. A path prefix is kept;
/// a trailing `/` is dropped. Distinct from [`PlatformUrl`] (the browser pages) so the two
/// cannot be swapped (contract §1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendUrl(PlatformUrl);

impl BackendUrl {
    /// Parses the base URL (absolute `http(s)`, no query, fragment or credentials).
    pub fn parse(s: &str) -> Result<Self, InvalidUrl> {
        PlatformUrl::parse(s).map(Self)
    }

    /// `self` + `path`; `path` starts with `/` and is already percent-encoded.
    pub fn join(&self, path: &str) -> Url {
        self.0.join(path)
    }

    /// The backend's origin.
    pub fn origin(&self) -> Origin {
        self.0.origin()
    }

    /// The base URL as a string (no trailing slash).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_single_container_prefix() {
        let b = BackendUrl::parse("http://localhost:3000/_agpt/").unwrap();
        assert_eq!(b.join("/api/oauth/token").as_str(), "http://localhost:3000/_agpt/api/oauth/token");
        assert_eq!(b.origin().as_str(), "http://localhost:3000");
        assert!(BackendUrl::parse("https://backend.agpt.co?x=1").is_err());
    }
}
