//! The Connect popup's `message` event check (`connect::validate_connect_message_serialized`,
//! the function the browser runs) and `Origin::parse`. Input: the event's origin on the first
//! line, its `data` as JSON after it.
//!
//! Asserts: never panics; only a message from exactly the platform's origin, of type
//! `autogpt_connect_result`, with this attempt's nonce, is ever a success or a failure — the
//! same data with another nonce or origin is ignored; a success has a non-empty `grant_id` and
//! `success: true`, and carries the data's ids; a failure has `success: false` and its code
//! round-trips; the `Origin`-typed entry point decides the same; a parsed origin is a fixed
//! point of `Origin::parse`.
#![no_main]

use autogpt::connect::{
    CONNECT_MESSAGE_TYPE, ConnectDecision, ConnectErrorCode, IgnoreReason, validate_connect_message,
    validate_connect_message_serialized,
};
use autogpt::origin::Origin;
use autogpt::random::Nonce;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const PLATFORM: &str = "https://platform.test";
const NONCE: &str = "n0nce-fuzz-0123456789";

fuzz_target!(|data: &[u8]| {
    let (origin, json) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(origin) = std::str::from_utf8(origin) else { return };
    if let Ok(o) = Origin::parse(origin) {
        assert_eq!(Origin::parse(o.as_str()).as_ref().map(Origin::as_str), Ok(o.as_str()), "not a fixed point");
    }
    let Ok(message) = serde_json::from_slice::<Value>(json) else { return };
    let nonce = Nonce::new(NONCE);
    let decision = validate_connect_message_serialized(origin, &message, PLATFORM, &nonce);
    let typed = validate_connect_message(origin, &message, &Origin::parse(PLATFORM).unwrap(), &nonce);
    assert_eq!(typed, decision);

    let text = |k: &str| message.get(k).and_then(Value::as_str);
    if origin != PLATFORM {
        assert_eq!(decision, ConnectDecision::Ignore(IgnoreReason::OriginMismatch));
    }
    match &decision {
        ConnectDecision::Ignore(_) => {}
        ConnectDecision::Success { grant_id, credential_id, provider } => {
            assert!(message.is_object() && text("type") == Some(CONNECT_MESSAGE_TYPE) && text("nonce") == Some(NONCE));
            assert_eq!(message.get("success"), Some(&Value::Bool(true)));
            assert!(!grant_id.as_str().is_empty());
            assert_eq!(Some(grant_id.as_str()), text("grant_id"));
            assert_eq!(credential_id.as_ref().map(|c| c.as_str()), text("credential_id"));
            assert_eq!(provider.as_ref().map(|p| p.as_str()), text("provider"));
        }
        ConnectDecision::Failure { error, error_description } => {
            assert!(message.is_object() && text("type") == Some(CONNECT_MESSAGE_TYPE) && text("nonce") == Some(NONCE));
            assert_eq!(message.get("success"), Some(&Value::Bool(false)));
            assert_eq!(&ConnectErrorCode::parse(error.as_str()), error);
            assert_eq!(error.as_str(), text("error").unwrap_or_default());
            assert_eq!(error_description.as_deref(), text("error_description"));
        }
    }
    if !matches!(decision, ConnectDecision::Ignore(_)) {
        // Another attempt's nonce, or a look-alike origin: ignored.
        let other = Nonce::new("n0nce-fuzz-0123456780");
        assert!(matches!(
            validate_connect_message_serialized(origin, &message, PLATFORM, &other),
            ConnectDecision::Ignore(IgnoreReason::NonceMismatch)
        ));
        for look_alike in ["https://platform.test.", "https://platform.test:443", "http://platform.test", "null"] {
            assert_eq!(
                validate_connect_message_serialized(look_alike, &message, PLATFORM, &nonce),
                ConnectDecision::Ignore(IgnoreReason::OriginMismatch)
            );
        }
    }
});
