//! v2 pagination: `limit` + an opaque cursor (unpadded base64url of `{"v":1,"k":kind,"o":offset}`)
//! and the envelope `{"items","next_cursor","total_count"}` with all three always present.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::error::Error;

/// Which endpoint a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LibraryAgents,
    CredentialRequirements,
    Runs,
    Reviews,
    Credentials,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::LibraryAgents => "library_agents",
            Kind::CredentialRequirements => "credential_requirements",
            Kind::Runs => "runs",
            Kind::Reviews => "reviews",
            Kind::Credentials => "credentials",
        }
    }
}

pub fn encode(kind: Kind, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(json!({"v": 1, "k": kind.tag(), "o": offset}).to_string())
}

/// The offset a cursor points at; 400 for garbage or another endpoint's cursor.
pub fn decode(kind: Kind, cursor: Option<&str>) -> Result<usize, Error> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(0);
    };
    let malformed =
        || Error::v2(StatusCode::BAD_REQUEST, "Malformed cursor. Pass back the next_cursor of a previous response.");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| malformed())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    let (Some(1), Some(tag), Some(offset)) = (v["v"].as_u64(), v["k"].as_str(), v["o"].as_u64()) else {
        return Err(malformed());
    };
    if tag != kind.tag() {
        return Err(Error::v2(
            StatusCode::BAD_REQUEST,
            format!(
                "This endpoint expects a {} cursor. Cursors are not interchangeable between endpoints.",
                kind.tag()
            ),
        ));
    }
    usize::try_from(offset).map_err(|_| malformed())
}

/// One page of `items` (all matches) starting at `offset`.
pub fn page(kind: Kind, items: Vec<Value>, offset: usize, limit: usize) -> Value {
    let total = items.len();
    let end = offset.saturating_add(limit).min(total);
    let slice: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let next = (end < total).then(|| encode(kind, end));
    json!({"items": slice, "next_cursor": next, "total_count": total})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage_and_other_kinds() {
        let c = encode(Kind::Runs, 40);
        assert_eq!(decode(Kind::Runs, Some(&c)).unwrap(), 40);
        assert!(decode(Kind::Reviews, Some(&c)).is_err());
        assert!(decode(Kind::Runs, Some("garbage!")).is_err());
        assert!(decode(Kind::Runs, Some("e30")).is_err()); // "{}"
        assert_eq!(decode(Kind::Runs, None).unwrap(), 0);
        let p = page(Kind::Runs, (0..5).map(|i| json!(i)).collect(), 2, 2);
        assert_eq!(p["items"], json!([2, 3]));
        assert_eq!(p["total_count"], 5);
        assert_eq!(decode(Kind::Runs, p["next_cursor"].as_str()).unwrap(), 4);
        let last = page(Kind::Runs, (0..5).map(|i| json!(i)).collect(), 4, 2);
        assert_eq!(last["next_cursor"], Value::Null);
    }
}
