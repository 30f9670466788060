//! The live platform's OAuth scopes: the 25 `APIKeyPermission` constants (contract §2.2).
//!
//! Parsing is exact (upper snake case, as the wire always spells them; the UI's "Run Agent" is
//! not a scope). A value that is shaped like a constant but unknown to this crate — the
//! platform adds permissions over time — is **preserved** as [`Permission::Unknown`], so a
//! token response granting a new permission still parses and the value round-trips. Anything
//! else (lower case, spaces, commas, empty) is **refused** with [`InvalidPermission`]: it could
//! not be a permission, and a space inside one would corrupt the space-separated `scope`
//! parameter of the authorize URL.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::scope::Scope;

/// Longest unknown constant accepted.
const MAX_LEN: usize = 64;

macro_rules! permissions {
    ($($(#[$meta:meta])* $variant:ident = $wire:literal,)*) => {
        /// One `APIKeyPermission` constant.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission {
            $($(#[$meta])* $variant,)*
            /// A well-formed constant this crate does not know, kept verbatim.
            Unknown(UnknownPermission),
        }

        impl Permission {
            /// Every constant this crate knows, in the contract's order.
            pub const ALL: [Permission; 25] = [$(Permission::$variant,)*];

            /// The wire constant, e.g. `RUN_AGENT`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Unknown(u) => &u.0,
                }
            }

            fn known(s: &str) -> Option<Self> {
                match s {
                    $($wire => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

permissions! {
    /// `IDENTITY`: `GET /me`.
    Identity = "IDENTITY",
    /// `READ_BLOCK`: `GET /blocks`.
    ReadBlock = "READ_BLOCK",
    /// `READ_GRAPH`: read graphs, versions and the blocks they use.
    ReadGraph = "READ_GRAPH",
    /// `WRITE_GRAPH`: create graphs and versions, graph settings.
    WriteGraph = "WRITE_GRAPH",
    /// `READ_LIBRARY`: list and get library agents and folders.
    ReadLibrary = "READ_LIBRARY",
    /// `WRITE_LIBRARY`: update, fork, remove library agents.
    WriteLibrary = "WRITE_LIBRARY",
    /// `RUN_AGENT`: `POST /library/agents/{agent_id}/runs`.
    RunAgent = "RUN_AGENT",
    /// `READ_RUN`: `GET /runs`, `GET /runs/{run_id}`.
    ReadRun = "READ_RUN",
    /// `WRITE_RUN`: stop and delete runs.
    WriteRun = "WRITE_RUN",
    /// `SHARE_RUN`: share and unshare a run (with `READ_RUN`).
    ShareRun = "SHARE_RUN",
    /// `READ_RUN_REVIEW`: `GET /runs/reviews`.
    ReadRunReview = "READ_RUN_REVIEW",
    /// `WRITE_RUN_REVIEW`: `POST /runs/{run_id}/reviews`.
    WriteRunReview = "WRITE_RUN_REVIEW",
    /// `READ_SCHEDULE`: `GET /schedules`.
    ReadSchedule = "READ_SCHEDULE",
    /// `WRITE_SCHEDULE`: create and delete schedules.
    WriteSchedule = "WRITE_SCHEDULE",
    /// `READ_FILES`: list, read and download workspace files.
    ReadFiles = "READ_FILES",
    /// `WRITE_FILES`: upload and delete workspace files.
    WriteFiles = "WRITE_FILES",
    /// `READ_INTEGRATIONS`: list own credentials; agent credential requirements.
    ReadIntegrations = "READ_INTEGRATIONS",
    /// `MANAGE_INTEGRATIONS`: add API-key, user-password, host-scoped credentials.
    ManageIntegrations = "MANAGE_INTEGRATIONS",
    /// `DELETE_INTEGRATIONS`: delete credentials.
    DeleteIntegrations = "DELETE_INTEGRATIONS",
    /// `READ_STORE`: own marketplace profile and submissions.
    ReadStore = "READ_STORE",
    /// `WRITE_STORE`: edit profile and submissions.
    WriteStore = "WRITE_STORE",
    /// `READ_CREDITS`: balance, transactions, invoices.
    ReadCredits = "READ_CREDITS",
    /// `USE_TOOLS`: MCP tools that spend platform resources.
    UseTools = "USE_TOOLS",
    /// `EXECUTE_GRAPH`: v1 only (deprecated).
    ExecuteGraph = "EXECUTE_GRAPH",
    /// `EXECUTE_BLOCK`: v1 only (deprecated).
    ExecuteBlock = "EXECUTE_BLOCK",
}

/// A constant-shaped permission unknown to this crate (only [`Permission::parse`] makes one).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownPermission(String);

/// A string that cannot be a permission constant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an APIKeyPermission constant (upper-case letters, digits and `_`, at most 64)")]
pub struct InvalidPermission;

impl Permission {
    /// Reads a constant: known → its variant; well-formed but unknown → `Unknown`; anything
    /// else → `InvalidPermission`.
    pub fn parse(s: &str) -> Result<Self, InvalidPermission> {
        if let Some(p) = Self::known(s) {
            return Ok(p);
        }
        let well_formed = !s.is_empty()
            && s.len() <= MAX_LEN
            && s.as_bytes()[0].is_ascii_uppercase()
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if well_formed { Ok(Self::Unknown(UnknownPermission(s.to_owned()))) } else { Err(InvalidPermission) }
    }

    /// True for a constant this crate knows.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Unknown(_))
    }

    /// Joins permissions with single spaces (the authorize URL's `scope`).
    pub fn join_space(permissions: &[Permission]) -> String {
        permissions.iter().map(Permission::as_str).collect::<Vec<_>>().join(" ")
    }

    /// Splits a space-separated list as the consent page does: single spaces, empties dropped.
    pub fn parse_space_separated(value: &str) -> Result<Vec<Self>, InvalidPermission> {
        value.split(' ').filter(|s| !s.is_empty()).map(Self::parse).collect()
    }

    /// The same value as a guide-profile [`Scope`] (for the profile-neutral token type).
    pub fn to_scope(&self) -> Scope {
        // Upper case, digits and `_` are a subset of the scope-token charset.
        Scope::from_trusted(self.as_str().to_owned())
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Permission {
    type Err = InvalidPermission;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor (rather than `String::deserialize` then a check) lets serde_json report
        // the position of the refused string itself, so a parse error names `scopes[i]`.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Permission;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an APIKeyPermission constant")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Permission, E> {
                Permission::parse(s)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Other("a malformed permission"), &self))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTRACT: &str = "IDENTITY READ_BLOCK READ_GRAPH WRITE_GRAPH READ_LIBRARY WRITE_LIBRARY RUN_AGENT \
        READ_RUN WRITE_RUN SHARE_RUN READ_RUN_REVIEW WRITE_RUN_REVIEW READ_SCHEDULE WRITE_SCHEDULE READ_FILES \
        WRITE_FILES READ_INTEGRATIONS MANAGE_INTEGRATIONS DELETE_INTEGRATIONS READ_STORE WRITE_STORE READ_CREDITS \
        USE_TOOLS EXECUTE_GRAPH EXECUTE_BLOCK";

    /// The 25 constants of contract §2.2 parse and print exactly.
    #[test]
    fn all_25_round_trip() {
        let parsed: Vec<Permission> = CONTRACT.split_whitespace().map(|s| Permission::parse(s).unwrap()).collect();
        assert_eq!(parsed, Permission::ALL);
        assert!(parsed.iter().all(Permission::is_known));
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()).unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
            assert_eq!(p.to_scope().as_str(), p.as_str());
        }
    }

    #[test]
    fn unknown_preserved_malformed_refused() {
        let p = Permission::parse("READ_WIDGETS_2").unwrap();
        assert!(!p.is_known());
        assert_eq!(p.as_str(), "READ_WIDGETS_2");
        let p: Permission = serde_json::from_str("\"NEW_THING\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"NEW_THING\"");
        for bad in ["", "run_agent", "Run Agent", "RUN AGENT", "RUN,AGENT", "_X", "9X", "RÜN", &"A".repeat(65)] {
            assert_eq!(Permission::parse(bad), Err(InvalidPermission), "{bad:?}");
        }
        assert!(serde_json::from_str::<Permission>("\"run agent\"").is_err());
    }

    #[test]
    fn space_separated() {
        let v = Permission::parse_space_separated(" RUN_AGENT  READ_RUN ").unwrap();
        assert_eq!(v, [Permission::RunAgent, Permission::ReadRun]);
        assert_eq!(Permission::join_space(&v), "RUN_AGENT READ_RUN");
        assert!(Permission::parse_space_separated("RUN_AGENT,READ_RUN").is_err(), "commas are not separators");
    }
}
