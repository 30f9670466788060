//! Identifier newtypes for values the platform hands out (client, agent, execution, grant...),
//! and the one function that puts an id into a URL path ([`path_segment`]).
//!
//! Ids are not validated when they are read: the platform owns their format, and a parse failure
//! on a response because an id changed shape would help nobody. Their purpose is that a `GrantId`
//! can never be passed where an `ExecutionId` is expected. An id is validated where it goes into
//! a request path (issue 11 item 6): there it becomes exactly one percent-encoded segment, and
//! the values that no encoding can make safe are refused.

use std::fmt;

/// Defines an opaque, unvalidated id newtype over `String` (also used by `live::api::ids`).
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    };
}

#[allow(unused_imports)] // used by `live::api::ids`
pub(crate) use id_type;

id_type!(
    /// OAuth client id of this application (public).
    ClientId
);
id_type!(
    /// Id of an agent (graph) on the platform.
    AgentId
);
id_type!(
    /// Id of one agent execution.
    ExecutionId
);
id_type!(
    /// Id of a credential grant made through the Connect popup.
    GrantId
);
id_type!(
    /// Id of the user's integration credential behind a grant.
    CredentialId
);
id_type!(
    /// Integration provider name, e.g. `google` or `github`.
    Provider
);
id_type!(
    /// Platform user id (`sub` in userinfo, `user_id` in capabilities).
    UserId
);
id_type!(
    /// A timestamp exactly as the platform sent it (ISO-8601; the offset is sometimes missing).
    Timestamp
);

impl Timestamp {
    /// Parses the timestamp; a missing offset is read as UTC (Python's naive `isoformat()`).
    pub fn parse(&self) -> Option<time::OffsetDateTime> {
        parse_iso8601(&self.0)
    }
}

/// Longest id accepted in a URL path, in bytes.
pub const MAX_PATH_ID_LEN: usize = 256;

/// Why an id cannot be put into a URL path. The id itself is not repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid {kind} for a URL path: {problem}")]
pub struct InvalidPathId {
    /// What the id names (`agent id`, `run id`...).
    pub kind: &'static str,
    /// What is wrong with it.
    pub problem: PathIdProblem,
}

/// What is wrong with an id refused by [`path_segment`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathIdProblem {
    /// The empty string (it would drop the segment: `/runs//stop`).
    Empty,
    /// Longer than [`MAX_PATH_ID_LEN`] bytes.
    TooLong,
    /// `.` or `..`: a URL parser resolves these (also percent-encoded, `%2e%2e`), so `..`
    /// would turn `…/agents/../execute` into `…/execute`.
    DotSegment,
    /// A control character (U+0000–U+001F, U+007F).
    ControlCharacter,
}

impl fmt::Display for PathIdProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty",
            Self::TooLong => "too long",
            Self::DotSegment => "`.` and `..` are not ids",
            Self::ControlCharacter => "contains a control character",
        })
    }
}

/// An id encoded as exactly one URL path segment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathSegment(String);

impl PathSegment {
    /// The encoded segment (no `/`, `?`, `#` or `%` left unencoded).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every byte outside RFC 3986 `unreserved` is percent-encoded, `%` included, so no
/// encoded form of `..` can survive (an id `%2e%2e` becomes `%252e%252e`).
const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Validates `id` (non-empty, at most [`MAX_PATH_ID_LEN`] bytes, no control characters, not
/// `.` or `..`) and percent-encodes it as one path segment. Every client of both contracts
/// builds its paths through this function (issue 11 item 6).
pub fn path_segment(kind: &'static str, id: &str) -> Result<PathSegment, InvalidPathId> {
    let refuse = |problem| Err(InvalidPathId { kind, problem });
    if id.is_empty() {
        return refuse(PathIdProblem::Empty);
    }
    if id.len() > MAX_PATH_ID_LEN {
        return refuse(PathIdProblem::TooLong);
    }
    if id == "." || id == ".." {
        return refuse(PathIdProblem::DotSegment);
    }
    if id.chars().any(|c| c.is_ascii_control()) {
        return refuse(PathIdProblem::ControlCharacter);
    }
    Ok(PathSegment(percent_encoding::utf8_percent_encode(id, SEGMENT).to_string()))
}

/// Parses RFC 3339 / ISO-8601 timestamps, reading a missing offset as UTC.
pub(crate) fn parse_iso8601(s: &str) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    time::OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(s, &Iso8601::DEFAULT))
        .ok()
        .or_else(|| time::PrimitiveDateTime::parse(s, &Iso8601::DEFAULT).ok().map(|t| t.assume_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_and_without_offset() {
        let a = Timestamp::new("2025-01-02T03:04:05.123456+00:00").parse();
        let b = Timestamp::new("2025-01-02T03:04:05.123456").parse();
        let c = Timestamp::new("2025-01-02T03:04:05Z").parse();
        assert_eq!(a, b);
        assert_eq!(c.unwrap().unix_timestamp(), 1_735_787_045);
        assert!(Timestamp::new("yesterday").parse().is_none());
    }

    #[test]
    fn path_segments_are_single_and_encoded() {
        let seg = |s: &str| path_segment("id", s).map(|p| p.as_str().to_owned());
        assert_eq!(seg("3f2b-9c_1.x~").unwrap(), "3f2b-9c_1.x~");
        assert_eq!(seg("a/b?c d#e").unwrap(), "a%2Fb%3Fc%20d%23e");
        assert_eq!(seg("%2e%2e").unwrap(), "%252e%252e");
        assert_eq!(seg("...").unwrap(), "...");
        assert_eq!(seg("é").unwrap(), "%C3%A9");
        for (bad, problem) in [
            ("", PathIdProblem::Empty),
            (".", PathIdProblem::DotSegment),
            ("..", PathIdProblem::DotSegment),
            ("a\nb", PathIdProblem::ControlCharacter),
            ("\u{7f}", PathIdProblem::ControlCharacter),
        ] {
            assert_eq!(path_segment("run id", bad), Err(InvalidPathId { kind: "run id", problem }), "{bad:?}");
        }
        assert_eq!(seg(&"a".repeat(MAX_PATH_ID_LEN)).unwrap().len(), MAX_PATH_ID_LEN);
        assert!(seg(&"a".repeat(MAX_PATH_ID_LEN + 1)).is_err());
        let e = path_segment("agent id", "..").unwrap_err();
        assert_eq!(e.to_string(), "invalid agent id for a URL path: `.` and `..` are not ids");
    }

    /// Item 6: no accepted id, joined under a base, leaves its segment.
    #[test]
    fn item6_encoded_ids_stay_one_segment_in_a_url() {
        for id in ["../x", "..%2f", "%2e%2e", "a/../../b", ".%2e", "?q=1", "#f", "..."] {
            let seg = path_segment("id", id).unwrap();
            let url = url::Url::parse(&format!("https://h.test/api/runs/{seg}/stop")).unwrap();
            let segments: Vec<_> = url.path_segments().unwrap().collect();
            assert_eq!(segments.len(), 4, "{id}: {url}");
            assert_eq!(segments[3], "stop");
            assert!(url.query().is_none() && url.fragment().is_none());
            let decoded = percent_encoding::percent_decode_str(segments[2]).decode_utf8().unwrap();
            assert_eq!(decoded, id);
        }
    }

    #[test]
    fn ids_are_transparent_in_json() {
        let id: GrantId = serde_json::from_str("\"g-1\"").unwrap();
        assert_eq!(id.as_str(), "g-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"g-1\"");
    }
}
