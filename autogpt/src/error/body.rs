//! A summary of an error body that is not the JSON we expected: proxies answer with HTML
//! pages or nothing at all, and such bodies are described (kind, length), not kept.

use std::fmt;

/// What an unexpected body looked like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// No bytes (or only whitespace).
    Empty,
    /// An HTML page (a proxy's or load balancer's error page).
    Html,
    /// JSON, but not in any shape the contract defines.
    Json,
    /// Other text.
    Text,
    /// Not UTF-8.
    Binary,
}

/// Kind and length of a body that was not understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BodySummary {
    /// What it looked like.
    pub kind: BodyKind,
    /// Its length in bytes.
    pub len: usize,
}

impl BodySummary {
    /// Classifies `body` by its first non-blank bytes.
    pub fn of(body: &[u8]) -> Self {
        let trimmed = body.trim_ascii_start();
        let kind = if trimmed.is_empty() {
            BodyKind::Empty
        } else if std::str::from_utf8(body).is_err() {
            BodyKind::Binary
        } else if trimmed.starts_with(b"<") {
            BodyKind::Html
        } else if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
            BodyKind::Json
        } else {
            BodyKind::Text
        };
        Self { kind, len: body.len() }
    }
}

impl fmt::Display for BodySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            BodyKind::Empty => "empty",
            BodyKind::Html => "HTML",
            BodyKind::Json => "JSON",
            BodyKind::Text => "text",
            BodyKind::Binary => "binary",
        };
        write!(f, "{kind} body of {} bytes", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(BodySummary::of(b"").kind, BodyKind::Empty);
        assert_eq!(BodySummary::of(b" \n").kind, BodyKind::Empty);
        assert_eq!(BodySummary::of(b"\n<html><body>502</body></html>").kind, BodyKind::Html);
        assert_eq!(BodySummary::of(br#"{"x":1}"#).kind, BodyKind::Json);
        assert_eq!(BodySummary::of(b"Bad Gateway").kind, BodyKind::Text);
        assert_eq!(BodySummary::of(&[0xff, 0xfe]).kind, BodyKind::Binary);
        assert_eq!(BodySummary::of(b"<p>x</p>").to_string(), "HTML body of 8 bytes");
    }
}
