//! Unit tests of the webhook verifier, named after the checklist items they demonstrate.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::secret::WebhookSecret;
use crate::types::WebhookEvent;

const NOW: OffsetDateTime = datetime!(2025-01-02 03:04:05 UTC);

fn secret() -> WebhookSecret {
    WebhookSecret::new("current-secret")
}

fn body_at(ts: &str) -> Vec<u8> {
    format!(
        r#"{{"event":"execution.completed","timestamp":"{ts}","data":{{"execution_id":"e1","agent_id":"a1","status":"completed","outputs":{{"x":[1]}}}}}}"#
    )
    .into_bytes()
}

fn body() -> Vec<u8> {
    body_at("2025-01-02T03:04:05+00:00")
}

fn headers(sig: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(SIGNATURE_HEADER, HeaderValue::from_str(sig).unwrap());
    h.insert("x-webhook-timestamp", HeaderValue::from_static("2025-01-02T03:04:05Z"));
    h
}

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(vec![secret()])
}

#[test]
fn item65_known_answer() {
    assert_eq!(
        sign_raw(&WebhookSecret::new("It's a Secret to Everybody"), b"Hello, World!"),
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
}

#[test]
fn item50_raw_body_signature_verifies() {
    let b = body();
    let v = verifier().verify(&b, &headers(&sign_raw(&secret(), &b)), NOW).unwrap();
    assert_eq!(v.form, SignatureForm::Raw);
    assert_eq!(v.idempotency_key.as_str(), "execution.completed:e1");
    assert!(matches!(v.event, WebhookEvent::ExecutionCompleted { .. }));
}

#[test]
fn item51_canonical_signature_verifies() {
    let b = br#"{"event": "grant.revoked", "timestamp": "2025-01-02T03:04:05+00:00", "data": {"grant_id": "g1", "provider": "google", "credential_id": "c1"}}"#;
    let canon = canonical_json(b).unwrap();
    let v = verifier().verify(b, &headers(&sign_raw(&secret(), canon.as_bytes())), NOW).unwrap();
    assert_eq!(v.form, SignatureForm::Canonical);
    assert_eq!(v.idempotency_key.as_str(), "grant.revoked:g1");
}

#[test]
fn item47_missing_signature_rejected() {
    let mut h = headers("x");
    h.remove(SIGNATURE_HEADER);
    assert_eq!(verifier().verify(&body(), &h, NOW), Err(WebhookRejection::Unauthorized("bad signature header")));
}

#[test]
fn item48_signature_header_format() {
    let b = body();
    let good = sign_raw(&secret(), &b);
    let hex = &good["sha256=".len()..];
    for bad in [
        hex.to_owned(),
        format!("sha256={}", hex.to_uppercase()),
        format!("SHA256={hex}"),
        format!("sha256= {hex}"),
        format!("sha256={}", &hex[1..]),
        format!("sha256={hex}0"),
        format!("sha1={hex}"),
        format!("sha256={}g", &hex[1..]),
    ] {
        assert!(verifier().verify(&b, &headers(&bad), NOW).is_err(), "{bad}");
    }
    // Two signature headers are ambiguous: refused.
    let mut h = headers(&good);
    h.append(SIGNATURE_HEADER, HeaderValue::from_str(&good).unwrap());
    assert!(verifier().verify(&b, &h, NOW).is_err());
    assert!(verifier().verify(&b, &headers(&good), NOW).is_ok());
}

#[test]
fn item52_tampered_body_or_wrong_secret_rejected() {
    let b = body();
    let sig = sign_raw(&secret(), &b);
    for i in [0, b.len() / 2, b.len() - 1] {
        let mut t = b.clone();
        t[i] ^= 0x01;
        assert!(verifier().verify(&t, &headers(&sig), NOW).is_err(), "byte {i}");
    }
    let other = sign_raw(&WebhookSecret::new("other"), &b);
    assert!(verifier().verify(&b, &headers(&other), NOW).is_err());
}

#[test]
fn item53_rotation() {
    let b = body();
    let old = WebhookSecret::new("previous");
    let sig_old = sign_raw(&old, &b);
    let both = WebhookVerifier::new(vec![secret(), old]);
    assert!(both.verify(&b, &headers(&sig_old), NOW).is_ok());
    assert!(both.verify(&b, &headers(&sign_raw(&secret(), &b)), NOW).is_ok());
    assert!(verifier().verify(&b, &headers(&sig_old), NOW).is_err());
}

#[test]
fn item54_size_cap_before_hmac() {
    let v = verifier().with_max_body_bytes(100);
    let big = vec![b'x'; 101];
    // No signature header at all: the size decides first, so the answer is 413 not 401.
    assert_eq!(v.verify(&big, &HeaderMap::new(), NOW), Err(WebhookRejection::TooLarge));
    let default_cap = vec![b' '; DEFAULT_MAX_BODY_BYTES + 1];
    assert_eq!(verifier().verify(&default_cap, &HeaderMap::new(), NOW), Err(WebhookRejection::TooLarge));
}

#[test]
fn item55_freshness_window_both_directions() {
    let window = Duration::from_secs(600);
    let v = verifier().with_freshness_window(window);
    let b = body();
    let h = headers(&sign_raw(&secret(), &b));
    let w = time::Duration::seconds(600);
    let s = time::Duration::seconds(1);
    assert!(v.verify(&b, &h, NOW + w).is_ok());
    assert!(v.verify(&b, &h, NOW - w).is_ok());
    assert!(v.verify(&b, &h, NOW + w + s).is_err());
    assert!(v.verify(&b, &h, NOW - w - s).is_err());
    assert_eq!(DEFAULT_FRESHNESS_WINDOW, window);
    // A window below 455 s is raised: the platform's last retry comes 335 s after the first.
    let tight = verifier().with_freshness_window(Duration::from_secs(60));
    let min = time::Duration::seconds(455);
    assert!(tight.verify(&b, &h, NOW + min).is_ok());
    assert!(tight.verify(&b, &h, NOW + min + s).is_err());
}

#[test]
fn item56_header_timestamp_never_decides() {
    // Fresh header, stale body timestamp: rejected.
    let stale = body_at("2025-01-01T00:00:00+00:00");
    let h = headers(&sign_raw(&secret(), &stale));
    assert!(verifier().verify(&stale, &h, NOW).is_err());
    // Wrong header, fresh body timestamp: accepted.
    let b = body();
    let mut h = headers(&sign_raw(&secret(), &b));
    h.insert("x-webhook-timestamp", HeaderValue::from_static("1999-01-01T00:00:00Z"));
    assert!(verifier().verify(&b, &h, NOW).is_ok());
    // No body timestamp at all: rejected (no signed freshness evidence).
    let nots = br#"{"event":"execution.started","data":{"execution_id":"e"}}"#;
    assert!(verifier().verify(nots, &headers(&sign_raw(&secret(), nots)), NOW).is_err());
}

#[test]
fn item59_unknown_event_verified_for_ack() {
    let b = br#"{"event":"agent.renamed","timestamp":"2025-01-02T03:04:05Z","data":{}}"#;
    let v = verifier().verify(b, &headers(&sign_raw(&secret(), b)), NOW).unwrap();
    assert!(matches!(v.event, WebhookEvent::Unknown { .. }));
}

#[test]
fn item62_rejections_are_opaque() {
    let b = body();
    let wrong_sig = verifier().verify(&b, &headers(&sign_raw(&WebhookSecret::new("x"), &b)), NOW).unwrap_err();
    let stale = verifier().verify(&b, &headers(&sign_raw(&secret(), &b)), NOW + time::Duration::hours(1)).unwrap_err();
    let no_header = verifier().verify(&b, &HeaderMap::new(), NOW).unwrap_err();
    assert_ne!(wrong_sig.log_reason(), stale.log_reason());
    for r in [&wrong_sig, &stale, &no_header] {
        assert_eq!(r.to_string(), "webhook rejected");
    }
}

#[test]
fn item57_idempotency_key_stable_across_retries() {
    let b = body();
    let sig = sign_raw(&secret(), &b);
    let k1 = verifier().verify(&b, &headers(&sig), NOW).unwrap().idempotency_key;
    let mut h = headers(&sig);
    h.insert("x-webhook-timestamp", HeaderValue::from_static("2025-01-02T03:09:05Z"));
    let k2 = verifier().verify(&b, &h, NOW).unwrap().idempotency_key;
    assert_eq!(k1, k2);
}

/// Lines of `src` that compare (`==`/`!=`) something signature-like. Comments are skipped.
fn signature_comparisons(src: &str) -> Vec<usize> {
    let suspicious = ["sig", "mac", "tag", "hmac", "digest"];
    src.lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.split("//").next().unwrap_or("").to_ascii_lowercase();
            (code.contains("==") || code.contains("!=")) && suspicious.iter().any(|w| code.contains(w))
        })
        .map(|(n, _)| n + 1)
        .collect()
}

/// Checklist 49: no `==`/`!=` on anything signature-like in the webhook module's code; all
/// MAC comparisons go through `verify_slice`.
#[test]
fn item49_no_equality_on_signatures() {
    // The detector itself flags the patterns it must forbid.
    let bad = concat!("if expected_sig =", "= header {}\nlet ok = mac.finalize() !", "= tag;");
    assert_eq!(signature_comparisons(bad), [1, 2]);

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/webhook");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".rs") && f != "tests.rs") // this file holds the patterns
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for file in &files {
        let src = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        assert!(src.starts_with("//!"), "{file} must open with a module doc");
        assert_eq!(signature_comparisons(&src), Vec::<usize>::new(), "{file}");
    }
    let verify = std::fs::read_to_string(format!("{dir}/verify.rs")).unwrap();
    assert!(verify.contains(".verify_slice("));
}

/// Found with `fuzz/`'s `webhook_verify` target (its key invariant, on a probe input): a
/// `grant.revoked` whose data also carried an `execution_id` was deduplicated by that
/// execution, so a second grant revoked with the same extra field counted as a repeat and was
/// never applied. The key of a typed event is its own subject.
#[test]
fn fuzz_grant_revoked_is_keyed_by_its_grant() {
    let key = |grant: &str| {
        let b = format!(
            r#"{{"event":"grant.revoked","timestamp":"2025-01-02T03:04:05Z","data":{{"grant_id":"{grant}","execution_id":"e-9"}}}}"#
        );
        let v = verifier().verify(b.as_bytes(), &headers(&sign_raw(&secret(), b.as_bytes())), NOW).unwrap();
        v.idempotency_key.as_str().to_owned()
    };
    assert_eq!(key("g-1"), "grant.revoked:g-1");
    assert_ne!(key("g-1"), key("g-2"));
    let b = br#"{"event":"agent.updated","timestamp":"2025-01-02T03:04:05Z","data":{"grant_id":"g-1","execution_id":"e-9"}}"#;
    let v = verifier().verify(b, &headers(&sign_raw(&secret(), b)), NOW).unwrap();
    assert_eq!(v.idempotency_key.as_str(), "agent.updated:e-9");
}
