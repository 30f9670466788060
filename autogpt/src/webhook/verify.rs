//! The verifier itself. Every HMAC comparison goes through `Mac::verify_slice`, which compares
//! in constant time (checklist 49); a unit test below forbids `==` near signatures here.

use std::time::Duration;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;
use time::OffsetDateTime;

use super::canonical::canonicalize;
use crate::secret::WebhookSecret;
use crate::types::{WebhookEnvelope, WebhookEvent};

type HmacSha256 = Hmac<Sha256>;

/// Header carrying `sha256=<64 lower-case hex>`.
pub const SIGNATURE_HEADER: &str = "x-webhook-signature";
/// Default body size cap: 256 KiB (checklist 54).
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;
/// Default freshness window on the body timestamp, both directions (checklist 55).
pub const DEFAULT_FRESHNESS_WINDOW: Duration = Duration::from_secs(600);
/// Smallest accepted window: the platform's last retry leaves 335 s after the first attempt
/// (5 s + 30 s + 300 s) with the same body timestamp, plus margin for queueing and clock skew.
pub const MIN_FRESHNESS_WINDOW: Duration = Duration::from_secs(455);

/// Which bytes the valid signature covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureForm {
    /// The raw request body (documented form).
    Raw,
    /// The platform's canonical re-serialisation (platform code form).
    Canonical,
}

/// Deduplication key from signed fields: `event:execution_id` or `event:grant_id`
/// (else `event:timestamp`). Keep it at least as long as the freshness window (item 58).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A webhook whose signature and freshness were checked.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedWebhook {
    /// The typed event (unknown events included, to be acknowledged and ignored).
    pub event: WebhookEvent,
    /// The signed body timestamp.
    pub timestamp: OffsetDateTime,
    /// Deduplication key.
    pub idempotency_key: IdempotencyKey,
    /// Which signature form matched.
    pub form: SignatureForm,
}

/// Why a webhook was refused. `Unauthorized` is deliberately opaque to the sender: its
/// `Display` never says which check failed; [`WebhookRejection::log_reason`] is for logs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRejection {
    /// Body above the cap; nothing else was looked at. Answer 413.
    #[error("webhook body too large")]
    TooLarge,
    /// Any other failure. Answer the same 401 body every time.
    #[error("webhook rejected")]
    Unauthorized(&'static str),
}

impl WebhookRejection {
    /// Which check failed, for server logs only.
    pub fn log_reason(&self) -> &'static str {
        match self {
            Self::TooLarge => "body too large",
            Self::Unauthorized(r) => r,
        }
    }
}

/// Verifies webhook deliveries against one or more secrets (current and previous, item 53).
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    secrets: Vec<WebhookSecret>,
    max_body_bytes: usize,
    window: Duration,
}

impl WebhookVerifier {
    /// A verifier with the default cap (256 KiB) and window (600 s).
    pub fn new(secrets: Vec<WebhookSecret>) -> Self {
        Self { secrets, max_body_bytes: DEFAULT_MAX_BODY_BYTES, window: DEFAULT_FRESHNESS_WINDOW }
    }

    /// Sets the body size cap.
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Sets the freshness window (applied in both directions), raised to at least
    /// [`MIN_FRESHNESS_WINDOW`] so the platform's own retries are never refused as stale.
    pub fn with_freshness_window(mut self, window: Duration) -> Self {
        self.window = window.max(MIN_FRESHNESS_WINDOW);
        self
    }

    /// The body size cap, so a server can also limit the body it reads.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Checks one delivery. `now` is passed in so tests can use a fake clock. The unsigned
    /// `X-Webhook-Timestamp` header is ignored: only the signed body timestamp counts (item 56).
    pub fn verify(
        &self,
        body: &[u8],
        headers: &HeaderMap,
        now: OffsetDateTime,
    ) -> Result<VerifiedWebhook, WebhookRejection> {
        use WebhookRejection::Unauthorized;
        // Item 54: the cap comes before any parsing or HMAC work.
        if body.len() > self.max_body_bytes {
            return Err(WebhookRejection::TooLarge);
        }
        let tag = signature_from_headers(headers).ok_or(Unauthorized("bad signature header"))?;
        let form = self.check(body, &tag).ok_or(Unauthorized("signature mismatch"))?;

        let envelope: WebhookEnvelope =
            serde_json::from_slice(body).map_err(|_| Unauthorized("body is not an event"))?;
        let timestamp = envelope
            .timestamp
            .as_ref()
            .and_then(|t| t.parse())
            .ok_or(Unauthorized("missing or unreadable body timestamp"))?;
        let age = (now - timestamp).unsigned_abs();
        if age > self.window {
            return Err(Unauthorized("stale or future body timestamp"));
        }
        let subject = envelope
            .subject_id()
            .map(str::to_owned)
            .or_else(|| envelope.timestamp.as_ref().map(|t| t.as_str().to_owned()))
            .unwrap_or_default();
        let idempotency_key = IdempotencyKey(format!("{}:{subject}", envelope.event));
        let event = envelope.into_event().map_err(|_| Unauthorized("event data incomplete"))?;
        Ok(VerifiedWebhook { event, timestamp, idempotency_key, form })
    }

    /// Tries every secret over the raw body, then (parsing once) over the canonical JSON.
    fn check(&self, body: &[u8], tag: &[u8; 32]) -> Option<SignatureForm> {
        if self.secrets.iter().any(|s| mac_matches(s, body, tag)) {
            return Some(SignatureForm::Raw);
        }
        let canonical = canonicalize(body).ok()?;
        self.secrets.iter().any(|s| mac_matches(s, canonical.as_bytes(), tag)).then_some(SignatureForm::Canonical)
    }
}

/// Constant-time check through `verify_slice`.
fn mac_matches(secret: &WebhookSecret, message: &[u8], tag: &[u8; 32]) -> bool {
    let mut mac = HmacSha256::new_from_slice(secret.secret()).expect("HMAC takes any key length");
    mac.update(message);
    mac.verify_slice(tag).is_ok()
}

/// Exactly one header value, `sha256=` + 64 lower-case hex digits (checklist 47, 48).
fn signature_from_headers(headers: &HeaderMap) -> Option<[u8; 32]> {
    let mut values = headers.get_all(SIGNATURE_HEADER).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let hex = value.as_bytes().strip_prefix(b"sha256=")?;
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (lower_hex_digit(pair[0])? << 4) | lower_hex_digit(pair[1])?;
    }
    Some(out)
}

fn lower_hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// `sha256=<hex>` over `message`: what the platform sends (used by tests and the sandbox).
pub fn sign_raw(secret: &WebhookSecret, message: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.secret()).expect("HMAC takes any key length");
    mac.update(message);
    let tag = mac.finalize().into_bytes();
    let mut out = String::with_capacity(71);
    out.push_str("sha256=");
    for b in tag {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}
