//! Connect popup: the URL that opens it (G7) and the pure validation of the message it posts
//! back (checklist 3-8). Pure and web-sys free so the browser build and tests share it: the
//! browser passes `event.origin` and `event.data` (as `serde_json::Value`).

use std::fmt;

use serde_json::Value;
use url::Url;

use crate::ids::{ClientId, CredentialId, GrantId, InvalidPathId, Provider, path_segment};
use crate::origin::{Origin, PlatformUrl};
use crate::random::Nonce;
use crate::scope::Scope;

/// The `type` every result message carries.
pub const CONNECT_MESSAGE_TYPE: &str = "autogpt_connect_result";

/// Builds `{platform}/connect/{provider}?client_id&scopes&nonce&redirect_origin`: scopes
/// comma-joined, every value form-encoded, the provider as one encoded path segment, and
/// `redirect_origin` exactly `scheme://host[:port]` (checklist 3, 4).
pub fn connect_url(
    platform: &PlatformUrl,
    provider: &Provider,
    client_id: &ClientId,
    scopes: &[Scope],
    nonce: &Nonce,
    redirect_origin: &Origin,
) -> Url {
    let mut url = platform.join("/connect");
    url.path_segments_mut().expect("http(s) URLs have path segments").push(provider.as_str());
    url.query_pairs_mut()
        .append_pair("client_id", client_id.as_str())
        .append_pair("scopes", &Scope::join_comma(scopes))
        .append_pair("nonce", nonce.as_str())
        .append_pair("redirect_origin", redirect_origin.as_str());
    url
}

/// [`connect_url`] that refuses a provider which cannot be one path segment (empty, `.`,
/// `..`, control characters; issue 11 item 6) instead of building a URL without it.
/// `connect_url` never leaves `/connect/` either (the `url` crate drops dot segments pushed
/// into a path), but it would open `/connect` with no provider.
pub fn try_connect_url(
    platform: &PlatformUrl,
    provider: &Provider,
    client_id: &ClientId,
    scopes: &[Scope],
    nonce: &Nonce,
    redirect_origin: &Origin,
) -> Result<Url, InvalidPathId> {
    path_segment("provider", provider.as_str())?;
    Ok(connect_url(platform, provider, client_id, scopes, nonce, redirect_origin))
}

/// Why a message was ignored. Ignored messages leave the attempt running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoreReason {
    /// `event.origin` is not the platform origin (checklist 6).
    OriginMismatch,
    /// `data` is not an object (checklist 7).
    NotAnObject,
    /// `data.type` is not `autogpt_connect_result` (checklist 7).
    WrongType,
    /// `data.nonce` is missing or not this attempt's (checklist 8).
    NonceMismatch,
    /// Authentic-looking but missing `success` or the success fields; reconcile via grants.
    Malformed,
}

/// Failure codes the popup sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectErrorCode {
    /// `access_denied`
    AccessDenied,
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`
    InvalidClient,
    /// `unsupported_provider`
    UnsupportedProvider,
    /// `oauth_error`
    OAuthError,
    /// `grant_error`
    GrantError,
    /// Anything else (or missing: empty string), kept verbatim.
    Other(String),
}

impl ConnectErrorCode {
    /// Reads a code.
    pub fn parse(s: &str) -> Self {
        match s {
            "access_denied" => Self::AccessDenied,
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "unsupported_provider" => Self::UnsupportedProvider,
            "oauth_error" => Self::OAuthError,
            "grant_error" => Self::GrantError,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::UnsupportedProvider => "unsupported_provider",
            Self::OAuthError => "oauth_error",
            Self::GrantError => "grant_error",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for ConnectErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict on one `message` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectDecision {
    /// Not ours or not valid: keep listening.
    Ignore(IgnoreReason),
    /// The user approved. The server must still confirm `grant_id` through the API (item 15).
    Success {
        /// The grant.
        grant_id: GrantId,
        /// The credential behind it.
        credential_id: Option<CredentialId>,
        /// The provider.
        provider: Option<Provider>,
    },
    /// The user denied or the platform failed. Show `error_description` as text only.
    Failure {
        /// Error code.
        error: ConnectErrorCode,
        /// Description, if any.
        error_description: Option<String>,
    },
}

/// Decides what to do with a `message` event: `event.origin` must byte-equal the platform's
/// origin (checklist 6; browsers always serialise `event.origin` in the normal form, so no
/// parsing is needed and look-alikes, other schemes and ports all fail), then `type`, then
/// nonce (constant time), then the fields.
pub fn validate_connect_message(
    event_origin: &str,
    data: &Value,
    expected_origin: &Origin,
    expected_nonce: &Nonce,
) -> ConnectDecision {
    validate_connect_message_serialized(event_origin, data, expected_origin.as_str(), expected_nonce)
}

/// Read access to a message's `data`, so the browser can validate a `JsValue` directly
/// (no JSON parser in the bundle) and the server and tests a `serde_json::Value`.
pub trait MessageData {
    /// True for a (non-null) object.
    fn is_object(&self) -> bool;
    /// A string field, if present and a string.
    fn text(&self, key: &str) -> Option<String>;
    /// A boolean field, if present and a boolean.
    fn flag(&self, key: &str) -> Option<bool>;
}

impl MessageData for Value {
    fn is_object(&self) -> bool {
        self.as_object().is_some()
    }
    fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Value::as_str).map(str::to_owned)
    }
    fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }
}

/// [`validate_connect_message`] with the expected origin already serialised as
/// `scheme://host[:port]` (as the server hands it to the browser) and any [`MessageData`].
/// This form keeps the `url` crate, its Unicode tables and a JSON parser out of the
/// browser bundle.
pub fn validate_connect_message_serialized(
    event_origin: &str,
    data: &impl MessageData,
    expected_origin: &str,
    expected_nonce: &Nonce,
) -> ConnectDecision {
    use ConnectDecision::Ignore;
    // A browser sends `null` for opaque origins; it never equals a real origin.
    if event_origin.as_bytes() != expected_origin.as_bytes() {
        return Ignore(IgnoreReason::OriginMismatch);
    }
    if !data.is_object() {
        return Ignore(IgnoreReason::NotAnObject);
    }
    if data.text("type").as_deref() != Some(CONNECT_MESSAGE_TYPE) {
        return Ignore(IgnoreReason::WrongType);
    }
    match data.text("nonce") {
        Some(n) if expected_nonce.matches(&n) => {}
        _ => return Ignore(IgnoreReason::NonceMismatch),
    }
    match data.flag("success") {
        Some(true) => match data.text("grant_id") {
            Some(g) if !g.is_empty() => ConnectDecision::Success {
                grant_id: GrantId::new(g),
                credential_id: data.text("credential_id").map(CredentialId::new),
                provider: data.text("provider").map(Provider::new),
            },
            _ => Ignore(IgnoreReason::Malformed),
        },
        Some(false) => ConnectDecision::Failure {
            error: ConnectErrorCode::parse(&data.text("error").unwrap_or_default()),
            error_description: data.text("error_description"),
        },
        None => Ignore(IgnoreReason::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn platform() -> PlatformUrl {
        PlatformUrl::parse("https://platform.test").unwrap()
    }

    /// Checklist 3 and 4 (G7): reserved characters are encoded, scopes comma-joined,
    /// redirect_origin exact.
    #[test]
    fn item3_item4_connect_url_encoding() {
        let url = connect_url(
            &platform(),
            &Provider::new("goo gle/x"),
            &ClientId::new("id&=?#/ é"),
            &[Scope::GOOGLE_GMAIL_READONLY, Scope::new("google:x+y").unwrap()],
            &Nonce::new("n+/="),
            &Origin::parse("https://App.test:8443/").unwrap(),
        );
        assert_eq!(
            url.as_str(),
            "https://platform.test/connect/goo%20gle%2Fx?client_id=id%26%3D%3F%23%2F+%C3%A9\
             &scopes=google%3Agmail.readonly%2Cgoogle%3Ax%2By&nonce=n%2B%2F%3D\
             &redirect_origin=https%3A%2F%2Fapp.test%3A8443"
        );
        let p: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(p[0], ("client_id".into(), "id&=?#/ é".into()));
        assert_eq!(p[1], ("scopes".into(), "google:gmail.readonly,google:x+y".into()));
        assert_eq!(p[2], ("nonce".into(), "n+/=".into()));
        assert_eq!(p[3], ("redirect_origin".into(), "https://app.test:8443".into()));
    }

    /// Item 6: a provider `..` can neither climb out of `/connect/` nor be silently dropped.
    #[test]
    fn item6_provider_is_one_segment() {
        let (c, n, o) = (ClientId::new("c"), Nonce::new("n"), Origin::parse("https://app.test").unwrap());
        for bad in ["..", ".", ""] {
            let p = Provider::new(bad);
            let url = connect_url(&platform(), &p, &c, &[], &n, &o);
            assert!(url.path().starts_with("/connect"), "{url}");
            let e = try_connect_url(&platform(), &p, &c, &[], &n, &o).unwrap_err();
            assert_eq!(e.kind, "provider");
        }
        let url = try_connect_url(&platform(), &Provider::new("../admin"), &c, &[], &n, &o).unwrap();
        assert_eq!(url.path(), "/connect/..%2Fadmin");
    }

    fn success(nonce: &str) -> Value {
        json!({"type":"autogpt_connect_result","success":true,"nonce":nonce,
               "grant_id":"g1","credential_id":"c1","provider":"google"})
    }

    fn decide(origin: &str, data: &Value) -> ConnectDecision {
        validate_connect_message(origin, data, &platform().origin(), &Nonce::new("nonce-1"))
    }

    /// Checklist 6: only the exact platform origin is accepted.
    #[test]
    fn item6_origin_must_match_exactly() {
        let d = success("nonce-1");
        for bad in [
            "http://platform.test",
            "https://platform.test:8443",
            "https://platform.test.evil.test",
            "https://evilplatform.test",
            "https://sub.platform.test",
            "null",
            "",
            "https://platform.test/x",
            // Browsers never send a default port; byte equality refuses it too.
            "https://platform.test:443",
            "HTTPS://platform.test",
        ] {
            assert_eq!(decide(bad, &d), ConnectDecision::Ignore(IgnoreReason::OriginMismatch), "{bad}");
        }
        assert!(matches!(decide("https://platform.test", &d), ConnectDecision::Success { .. }));
    }

    /// Checklist 7: data must be an object of the right type.
    #[test]
    fn item7_type_checked() {
        let o = "https://platform.test";
        assert_eq!(decide(o, &json!("autogpt_connect_result")), ConnectDecision::Ignore(IgnoreReason::NotAnObject));
        assert_eq!(decide(o, &json!(null)), ConnectDecision::Ignore(IgnoreReason::NotAnObject));
        let mut d = success("nonce-1");
        d["type"] = json!("other");
        assert_eq!(decide(o, &d), ConnectDecision::Ignore(IgnoreReason::WrongType));
    }

    /// Checklist 8: nonce must be this attempt's.
    #[test]
    fn item8_nonce_checked() {
        let o = "https://platform.test";
        assert_eq!(decide(o, &success("nonce-2")), ConnectDecision::Ignore(IgnoreReason::NonceMismatch));
        let mut d = success("x");
        d.as_object_mut().unwrap().remove("nonce");
        assert_eq!(decide(o, &d), ConnectDecision::Ignore(IgnoreReason::NonceMismatch));
    }

    #[test]
    fn success_and_failure_decoded() {
        let o = "https://platform.test";
        assert_eq!(
            decide(o, &success("nonce-1")),
            ConnectDecision::Success {
                grant_id: GrantId::new("g1"),
                credential_id: Some(CredentialId::new("c1")),
                provider: Some(Provider::new("google")),
            }
        );
        let f = json!({"type":"autogpt_connect_result","success":false,"nonce":"nonce-1",
                       "error":"access_denied","error_description":"<b>no</b>"});
        assert_eq!(
            decide(o, &f),
            ConnectDecision::Failure {
                error: ConnectErrorCode::AccessDenied,
                error_description: Some("<b>no</b>".into()),
            }
        );
        let m = json!({"type":"autogpt_connect_result","success":true,"nonce":"nonce-1"});
        assert_eq!(decide(o, &m), ConnectDecision::Ignore(IgnoreReason::Malformed));
    }
}
