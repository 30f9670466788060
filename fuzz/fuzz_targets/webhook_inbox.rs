//! The webhook inbox's reader of stored deliveries (`backend::services::webhooks::decode_stored`),
//! on any body and on every body the verifier accepts.
//!
//! Asserts: never panics; a delivery the verifier accepted (and so acknowledged and stored)
//! always reads back as the same event — otherwise it would be acknowledged and then fail
//! processing on every retry; a typed event survives serde (serialize, read back, equal up to
//! serde_json's float rounding).
#![no_main]

use autogpt::secret::WebhookSecret;
use autogpt::types::WebhookEvent;
use autogpt::webhook::{SIGNATURE_HEADER, WebhookVerifier, sign_raw};
use autogpt_fuzz::same_json;
use backend::services::webhooks::decode_stored;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

/// The golden vectors' signing time: seeds carry body timestamps near it.
const NOW: i64 = 1_735_787_045;

fuzz_target!(|body: &[u8]| {
    // What `webhooks::receive` stores.
    let stored = String::from_utf8_lossy(body).into_owned();
    let decoded = decode_stored(&stored);
    if let Ok(Some(event)) = &decoded
        && !matches!(event, WebhookEvent::Unknown { .. })
    {
        let json = serde_json::to_string(event).expect("typed events serialize");
        let back: WebhookEvent = serde_json::from_str(&json).expect("serialized events read back");
        let (a, b) = (serde_json::to_value(&back).unwrap(), serde_json::to_value(event).unwrap());
        assert!(same_json(&a, &b), "{a} != {b}");
    }

    let secret = WebhookSecret::new("whsec_fuzz_inbox");
    let mut headers = HeaderMap::new();
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&sign_raw(&secret, body)).unwrap());
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    if let Ok(verified) = WebhookVerifier::new(vec![secret]).verify(body, &headers, now) {
        match decoded {
            Ok(Some(event)) => assert_eq!(event, verified.event, "the inbox reads another event"),
            other => panic!("acknowledged delivery cannot be processed: {other:?}"),
        }
    }
});
