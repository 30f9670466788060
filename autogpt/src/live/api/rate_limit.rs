//! Rate-limit headers of External API v2 (contract §4.5), exposed on success and on error.
//!
//! `X-RateLimit-Limit` / `-Remaining` / `-Reset` (seconds **until** the window rolls over,
//! not an epoch) and, on 429, `Retry-After` in seconds. Header names are matched
//! case-insensitively: `http::HeaderMap` stores them lower-cased, whatever the server sent.
//! When the platform's counter store is down no headers are sent: every field is then `None`.

use std::time::Duration;

use http::HeaderMap;
use http::header::RETRY_AFTER;

/// What the rate-limit headers of one response said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// `X-RateLimit-Limit`: requests allowed in the window that applies.
    pub limit: Option<u32>,
    /// `X-RateLimit-Remaining`: requests left in it.
    pub remaining: Option<u32>,
    /// `X-RateLimit-Reset`: time until the window rolls over.
    pub reset_after: Option<Duration>,
    /// `Retry-After` (429): wait this long before retrying.
    pub retry_after: Option<Duration>,
}

impl RateLimit {
    /// Reads the headers; absent or malformed values are `None`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u32>().ok();
        Self {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            reset_after: number("x-ratelimit-reset").map(|s| Duration::from_secs(s.into())),
            retry_after: retry_after(headers),
        }
    }

    /// True when none of the headers was present.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// True when the window is used up (`X-RateLimit-Remaining: 0`).
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

/// `Retry-After` in its seconds form (the platform never sends the HTTP-date form).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderName, HeaderValue};

    #[test]
    fn reads_headers_case_insensitively() {
        let mut h = HeaderMap::new();
        for (k, v) in [("X-RateLimit-Limit", "200"), ("x-ratelimit-REMAINING", "0"), ("X-RATELIMIT-RESET", " 17 ")] {
            h.insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_static(v));
        }
        h.insert(HeaderName::from_bytes(b"Retry-After").unwrap(), HeaderValue::from_static("60"));
        let r = RateLimit::from_headers(&h);
        assert_eq!(r.limit, Some(200));
        assert_eq!(r.remaining, Some(0));
        assert_eq!(r.reset_after, Some(Duration::from_secs(17)));
        assert_eq!(r.retry_after, Some(Duration::from_secs(60)));
        assert!(r.is_exhausted() && !r.is_empty());
        assert!(RateLimit::from_headers(&HeaderMap::new()).is_empty());
        let mut bad = HeaderMap::new();
        bad.insert("x-ratelimit-limit", HeaderValue::from_static("lots"));
        bad.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert!(RateLimit::from_headers(&bad).is_empty());
    }
}
