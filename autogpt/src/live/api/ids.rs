//! Identifier newtypes of External API v2 (opaque strings, UUIDs today), the paging cursor
//! and the run-start `Idempotency-Key`.
//!
//! Like the guide's ids they are not validated when read; an id that goes into a request path
//! is validated and encoded as one segment by [`crate::ids::path_segment`] (issue 11 item 6).
//! Credential, user and provider ids are the shared [`crate::ids`] types.

use std::fmt;

use crate::ids::id_type;
use crate::random::random_token;

id_type!(
    /// A **library agent** id: the id used to run an agent (not its graph id).
    LibraryAgentId
);
id_type!(
    /// A graph id (`graph_id` of a library agent or run; the `GET /runs` filter).
    GraphId
);
id_type!(
    /// A run (graph execution) id.
    RunId
);
id_type!(
    /// A human-in-the-loop review id (`node_exec_id`).
    ReviewId
);
id_type!(
    /// A node of a graph (`node_executions[].node_id`).
    NodeId
);
id_type!(
    /// An organization id.
    OrganizationId
);
id_type!(
    /// A team id, sent as `X-Team-Id` to act inside one team.
    TeamId
);
id_type!(
    /// A preset id.
    PresetId
);
id_type!(
    /// A library folder id.
    FolderId
);
id_type!(
    /// An opaque paging cursor (`next_cursor`). Keep it with the endpoint and filters it
    /// came from: cursors are not interchangeable.
    Cursor
);

/// Longest `Idempotency-Key` the platform accepts.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The `Idempotency-Key` of a run start: same key + same agent + same body within about 24 h
/// returns the same run instead of starting (and paying for) a second one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why a string cannot be an `Idempotency-Key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidIdempotencyKey {
    /// Empty after trimming: the platform would treat it as no key at all.
    #[error("idempotency key is blank")]
    Blank,
    /// Longer than 255 characters after trimming (the platform answers 422).
    #[error("idempotency key is longer than 255 characters")]
    TooLong,
    /// Not printable ASCII (it must travel as an HTTP header value).
    #[error("idempotency key must be printable ASCII")]
    NotPrintable,
}

impl IdempotencyKey {
    /// Validates a key as the platform will read it: surrounding spaces trimmed, then 1–255
    /// printable ASCII characters.
    pub fn new(value: &str) -> Result<Self, InvalidIdempotencyKey> {
        let v = value.trim();
        if v.is_empty() {
            return Err(InvalidIdempotencyKey::Blank);
        }
        if v.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(InvalidIdempotencyKey::TooLong);
        }
        if !v.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(InvalidIdempotencyKey::NotPrintable);
        }
        Ok(Self(v.to_owned()))
    }

    /// A fresh key with 256 bits from the CSPRNG (43 base64url characters). Generate it once
    /// per user action and reuse it for every retry of that action.
    ///
    /// # Panics
    /// If the operating system's random source is unavailable.
    pub fn generate() -> Self {
        Self(random_token())
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys() {
        assert_eq!(IdempotencyKey::new("  job-42 ").unwrap().as_str(), "job-42");
        assert_eq!(IdempotencyKey::new("   "), Err(InvalidIdempotencyKey::Blank));
        assert!(IdempotencyKey::new(&"k".repeat(255)).is_ok());
        assert_eq!(IdempotencyKey::new(&"k".repeat(256)), Err(InvalidIdempotencyKey::TooLong));
        assert_eq!(IdempotencyKey::new("a\nb"), Err(InvalidIdempotencyKey::NotPrintable));
        assert_eq!(IdempotencyKey::new("clé"), Err(InvalidIdempotencyKey::NotPrintable));
        let g = IdempotencyKey::generate();
        assert_eq!(g.as_str().len(), 43);
        assert_ne!(g, IdempotencyKey::generate());
        assert_eq!(IdempotencyKey::new(g.as_str()).unwrap(), g);
    }

    #[test]
    fn ids_are_transparent() {
        let id: RunId = serde_json::from_str("\"run-1\"").unwrap();
        assert_eq!(id.as_str(), "run-1");
        assert_eq!(serde_json::to_string(&LibraryAgentId::new("a")).unwrap(), "\"a\"");
    }
}
