//! Identifier newtypes for values the platform hands out (client, agent, execution, grant...).
//!
//! They are not validated: the platform owns their format, and a parse failure on a response
//! because an id changed shape would help nobody. Their purpose is that a `GrantId` can never be
//! passed where an `ExecutionId` is expected. Every URL builder percent-encodes them.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
    fn ids_are_transparent_in_json() {
        let id: GrantId = serde_json::from_str("\"g-1\"").unwrap();
        assert_eq!(id.as_str(), "g-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"g-1\"");
    }
}
