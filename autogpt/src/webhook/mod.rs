//! Webhook verification: signature (raw body or platform canonical JSON), secret rotation,
//! size cap, freshness on the signed body timestamp, idempotency key (checklist 47-65).
//!
//! The receiver calls [`WebhookVerifier::verify`] with the raw body, the request headers and
//! the current time, and gets either a [`VerifiedWebhook`] or a [`WebhookRejection`]: `TooLarge`
//! (answer 413) or `Unauthorized` (answer one fixed 401 body, whatever the cause, item 62).

mod canonical;
mod pyfloat;
mod verify;

pub use verify::{
    DEFAULT_FRESHNESS_WINDOW, DEFAULT_MAX_BODY_BYTES, IdempotencyKey, MIN_FRESHNESS_WINDOW, SIGNATURE_HEADER,
    SignatureForm, VerifiedWebhook, WebhookRejection, WebhookVerifier, sign_raw,
};

/// The platform's canonical JSON of a body (exposed for the sandbox and golden tests).
pub fn canonical_json(body: &[u8]) -> Option<String> {
    canonical::canonicalize(body).ok()
}

#[cfg(test)]
mod tests;
