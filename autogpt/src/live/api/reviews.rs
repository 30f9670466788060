//! Human-in-the-loop reviews (contract §4.15): a run in `REVIEW` waits until every waiting
//! review of it is answered, in one request.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::de::null_default;
use super::ids::{GraphId, ReviewId, RunId};
use super::page::PageRequest;
use crate::ids::Timestamp;

/// Longest review message the platform accepts, in characters.
pub const MAX_REVIEW_MESSAGE_CHARS: usize = 2000;

/// A review's status (parsed ignoring case; unknown kept).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReviewStatus {
    /// `WAITING`: needs an answer.
    Waiting,
    /// `APPROVED`
    Approved,
    /// `REJECTED`
    Rejected,
    /// Another value, kept verbatim.
    Unknown(String),
}

impl ReviewStatus {
    /// Reads a status, ignoring ASCII case.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "WAITING" => Self::Waiting,
            "APPROVED" => Self::Approved,
            "REJECTED" => Self::Rejected,
            _ => Self::Unknown(s.to_owned()),
        }
    }

    /// The wire form (upper case).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Waiting => "WAITING",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
            Self::Unknown(s) => s,
        }
    }
}

impl fmt::Display for ReviewStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReviewStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// One review (`AgentRunReview`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Review {
    /// The review id (a node execution id).
    pub node_exec_id: ReviewId,
    /// Its run.
    pub run_id: RunId,
    /// Its graph.
    pub graph_id: GraphId,
    /// Graph version.
    #[serde(default, deserialize_with = "null_default")]
    pub graph_version: i64,
    /// The data under review (any JSON).
    #[serde(default)]
    pub payload: Value,
    /// What the reviewer should check.
    #[serde(default)]
    pub instructions: Option<String>,
    /// The reviewer may edit `payload` when approving.
    #[serde(default, deserialize_with = "null_default")]
    pub editable: bool,
    /// Status.
    pub status: ReviewStatus,
    /// Requested.
    #[serde(default)]
    pub requested_at: Option<Timestamp>,
    /// Answered.
    #[serde(default)]
    pub reviewed_at: Option<Timestamp>,
    /// Consumed by the executor.
    #[serde(default, deserialize_with = "null_default")]
    pub processed: bool,
    /// The reviewer's comment.
    #[serde(default)]
    pub reviewer_comment: Option<String>,
}

/// One answer in `POST /runs/{run_id}/reviews`. Every field is sent (`null`/`false` defaults).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReviewDecision {
    /// The review answered.
    pub node_exec_id: ReviewId,
    /// Approve or reject.
    pub approved: bool,
    /// The edited data (used when the review is editable and approved).
    pub edited_payload: Option<Value>,
    /// A message (≤ 2000 characters).
    pub message: Option<String>,
    /// Approve this block's future reviews automatically (approval only).
    pub auto_approve_future: bool,
}

impl ReviewDecision {
    /// Approves as is.
    pub fn approve(review: ReviewId) -> Self {
        Self { node_exec_id: review, approved: true, edited_payload: None, message: None, auto_approve_future: false }
    }

    /// Rejects.
    pub fn reject(review: ReviewId) -> Self {
        Self { approved: false, ..Self::approve(review) }
    }

    /// Approves with edited data.
    pub fn approve_edited(review: ReviewId, payload: Value) -> Self {
        Self { edited_payload: Some(payload), ..Self::approve(review) }
    }

    /// Adds a message.
    pub fn with_message(self, message: impl Into<String>) -> Self {
        Self { message: Some(message.into()), ..self }
    }

    /// Also approves this block's future reviews (ignored on a rejection by the platform).
    pub fn approving_future(self) -> Self {
        Self { auto_approve_future: true, ..self }
    }
}

/// The 202 answer of `POST /runs/{run_id}/reviews`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ReviewsSubmitted {
    /// The run.
    pub run_id: RunId,
    /// Approvals recorded.
    #[serde(default)]
    pub approved_count: u64,
    /// Rejections recorded.
    #[serde(default)]
    pub rejected_count: u64,
}

/// `GET /runs/reviews` filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewsQuery {
    /// One run's reviews (else all the user's runs).
    pub run_id: Option<RunId>,
    /// One status (else all).
    pub status: Option<ReviewStatus>,
    /// Which page.
    pub page: PageRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_serialise_every_field() {
        let d = ReviewDecision::approve_edited(ReviewId::new("ne-1"), serde_json::json!({"to":"a@b.c"}))
            .with_message("fixed the address")
            .approving_future();
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"node_exec_id":"ne-1","approved":true,"edited_payload":{"to":"a@b.c"},"message":"fixed the address","auto_approve_future":true}"#
        );
        assert_eq!(
            serde_json::to_string(&ReviewDecision::reject(ReviewId::new("ne-2"))).unwrap(),
            r#"{"node_exec_id":"ne-2","approved":false,"edited_payload":null,"message":null,"auto_approve_future":false}"#
        );
        assert_eq!(ReviewStatus::parse("waiting"), ReviewStatus::Waiting);
        assert_eq!(ReviewStatus::parse("ESCALATED").as_str(), "ESCALATED");
    }
}
