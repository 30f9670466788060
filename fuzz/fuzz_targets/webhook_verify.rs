//! `WebhookVerifier::verify` on any body, signed four ways: not at all, with a stranger's
//! secret, over the raw bytes and over the platform's canonical JSON.
//!
//! Asserts: never panics; a body with no valid signature (none, or another secret's) is
//! refused; a body signed over its raw bytes or over its canonical JSON never fails the
//! signature check, and when accepted reports the form that was signed (raw wins over
//! canonical); an accepted webhook is keyed `event:subject` (a typed event by its own execution
//! or grant) and its timestamp is inside the freshness window; the canonical form is ASCII and a
//! fixed point; a body above the size cap is `TooLarge` whatever its signature.
#![no_main]

use std::time::Duration;

use autogpt::secret::WebhookSecret;
use autogpt::types::WebhookEvent;
use autogpt::webhook::{SIGNATURE_HEADER, SignatureForm, WebhookRejection, WebhookVerifier, canonical_json, sign_raw};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

/// The golden vectors' signing time (`autogpt/tests/fixtures/webhook_vectors.json`): seeds
/// carry body timestamps near it.
const NOW: i64 = 1_735_787_045;
const MAX_BODY: usize = 2048;

fn headers(signature: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
    h
}

fuzz_target!(|body: &[u8]| {
    let current = WebhookSecret::new("whsec_fuzz_current");
    let previous = WebhookSecret::new("whsec_fuzz_previous");
    let verifier = WebhookVerifier::new(vec![current.clone(), previous.clone()]).with_max_body_bytes(MAX_BODY);
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    let too_large = body.len() > MAX_BODY;

    // Not signed, or signed with a secret we do not hold: refused.
    for h in [HeaderMap::new(), headers(&sign_raw(&WebhookSecret::new("whsec_stranger"), body))] {
        match verifier.verify(body, &h, now) {
            Ok(v) => panic!("accepted without a valid signature: {v:?}"),
            Err(WebhookRejection::TooLarge) => assert!(too_large),
            Err(WebhookRejection::Unauthorized(_)) => assert!(!too_large),
        }
    }

    let mut signed = vec![(sign_raw(&previous, body), SignatureForm::Raw)];
    if let Some(canonical) = canonical_json(body) {
        // The canonical form is ASCII and a fixed point.
        assert!(canonical.is_ascii(), "{canonical}");
        assert_eq!(canonical_json(canonical.as_bytes()).as_deref(), Some(canonical.as_str()));
        let form = if canonical.as_bytes() == body { SignatureForm::Raw } else { SignatureForm::Canonical };
        signed.push((sign_raw(&current, canonical.as_bytes()), form));
    }
    for (signature, form) in signed {
        match verifier.verify(body, &headers(&signature), now) {
            Ok(v) => {
                assert_eq!(v.form, form);
                // The deduplication key names the event and, for a typed event, its subject.
                let key = v.idempotency_key.as_str();
                let (name, subject) = match &v.event {
                    WebhookEvent::ExecutionStarted { execution_id, .. } => {
                        ("execution.started", Some(execution_id.as_str()))
                    }
                    WebhookEvent::ExecutionCompleted { execution_id, .. } => {
                        ("execution.completed", Some(execution_id.as_str()))
                    }
                    WebhookEvent::ExecutionFailed { execution_id, .. } => {
                        ("execution.failed", Some(execution_id.as_str()))
                    }
                    WebhookEvent::GrantRevoked { grant_id, .. } => ("grant.revoked", Some(grant_id.as_str())),
                    WebhookEvent::Unknown { event, .. } => (event.as_str(), None),
                };
                let rest = key.strip_prefix(name).and_then(|r| r.strip_prefix(':'));
                assert!(rest.is_some(), "key {key:?} does not start with {name:?}");
                if let Some(subject) = subject {
                    assert_eq!(rest, Some(subject), "key {key:?} is not about the event's subject");
                }
                let age = (now - v.timestamp).unsigned_abs();
                assert!(age <= Duration::from_secs(600), "accepted a stale body: {age:?}");
            }
            Err(WebhookRejection::TooLarge) => assert!(too_large),
            Err(WebhookRejection::Unauthorized(reason)) => {
                assert!(!too_large);
                assert!(
                    reason != "signature mismatch" && reason != "bad signature header",
                    "a correctly signed body failed the signature check ({reason})"
                );
            }
        }
    }
});
