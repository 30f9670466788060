//! URL-shaped protocol values: web origins, the platform base URL, redirect and webhook URLs.
//!
//! Origins are compared in one normal form, `scheme://host[:port]` (lower-case host, default
//! port dropped), so that `https://x` and `https://x:443/` agree while `http://x`, `https://x:8443`
//! and `https://x.evil` do not (checklist 4, 6).

use std::fmt;

use url::Url;

/// Why a string was refused as a URL or origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUrl {
    /// Not an absolute URL.
    #[error("not an absolute URL: {0}")]
    Parse(String),
    /// Scheme other than `http`/`https`.
    #[error("scheme must be http or https")]
    Scheme,
    /// An origin must not carry a path, query, fragment or credentials.
    #[error("an origin is scheme://host[:port] only")]
    NotAnOrigin,
    /// The URL must not carry a query, fragment or credentials.
    #[error("URL must not contain a query, fragment or credentials")]
    Extra,
}

fn parse_http(s: &str) -> Result<Url, InvalidUrl> {
    let url = Url::parse(s).map_err(|e| InvalidUrl::Parse(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(InvalidUrl::Scheme);
    }
    Ok(url)
}

/// A web origin in normal form `scheme://host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin(String);

impl Origin {
    /// Parses and normalises an origin. A single trailing `/` is tolerated; any other path,
    /// a query, fragment or userinfo is refused (it would not be an origin).
    pub fn parse(s: &str) -> Result<Self, InvalidUrl> {
        let url = parse_http(s)?;
        if url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(InvalidUrl::NotAnOrigin);
        }
        Ok(Self::of(&url))
    }

    fn of(url: &Url) -> Self {
        Self(url.origin().ascii_serialization())
    }

    /// The origin as `scheme://host[:port]`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Base URL of the AutoGPT Platform (`AUTOGPT_URL`), e.g. `https://platform.agpt.co`.
/// A path prefix is allowed; a trailing `/` is dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformUrl(Url);

impl PlatformUrl {
    /// Parses the base URL.
    pub fn parse(s: &str) -> Result<Self, InvalidUrl> {
        let mut url = parse_http(s)?;
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(InvalidUrl::Extra);
        }
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        Ok(Self(url))
    }

    /// The platform's origin: what `event.origin` of its popup messages must equal.
    pub fn origin(&self) -> Origin {
        Origin::of(&self.0)
    }

    /// `self` + `path`; `path` starts with `/` and is already percent-encoded.
    pub fn join(&self, path: &str) -> Url {
        let mut url = self.0.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        url
    }

    /// The base URL as a string (no trailing slash).
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

/// The OAuth `redirect_uri`, kept byte-for-byte as configured: the token request must repeat
/// exactly what the authorization request sent (checklist 23), so it is never re-serialised.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Validates an absolute `http(s)` URL without fragment and keeps the original string.
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidUrl> {
        let s = s.into();
        let url = parse_http(&s)?;
        if url.fragment().is_some() || !url.username().is_empty() {
            return Err(InvalidUrl::Extra);
        }
        Ok(Self(s))
    }

    /// The URI exactly as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The URL the platform posts execution webhooks to (`https`, or `http` on localhost).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Validates an absolute `http(s)` URL without credentials or fragment.
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidUrl> {
        let s = s.into();
        let url = parse_http(&s)?;
        if url.fragment().is_some() || !url.username().is_empty() {
            return Err(InvalidUrl::Extra);
        }
        Ok(Self(s))
    }

    /// The URL as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item4_origin_normal_form() {
        let o = Origin::parse("https://App.Example.com:443/").unwrap();
        assert_eq!(o.as_str(), "https://app.example.com");
        let o = Origin::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(o.as_str(), "http://127.0.0.1:3000");
        assert_eq!(Origin::parse("https://a.test/path"), Err(InvalidUrl::NotAnOrigin));
        assert_eq!(Origin::parse("https://a.test/?q"), Err(InvalidUrl::NotAnOrigin));
        assert_eq!(Origin::parse("https://u@a.test"), Err(InvalidUrl::NotAnOrigin));
        assert_eq!(Origin::parse("javascript:alert(1)"), Err(InvalidUrl::Scheme));
        assert!(Origin::parse("null").is_err());
    }

    #[test]
    fn platform_url_joins_under_prefix() {
        let p = PlatformUrl::parse("https://platform.test/base/").unwrap();
        assert_eq!(p.as_str(), "https://platform.test/base");
        assert_eq!(p.join("/oauth/token").as_str(), "https://platform.test/base/oauth/token");
        assert_eq!(p.origin().as_str(), "https://platform.test");
        let p = PlatformUrl::parse("https://platform.test").unwrap();
        assert_eq!(p.join("/oauth/token").as_str(), "https://platform.test/oauth/token");
    }

    #[test]
    fn item23_redirect_uri_kept_verbatim() {
        let raw = "https://app.test:443/cb/?x=1";
        assert_eq!(RedirectUri::new(raw).unwrap().as_str(), raw);
        assert!(RedirectUri::new("/relative").is_err());
        assert!(RedirectUri::new("https://a.test/#frag").is_err());
    }
}
