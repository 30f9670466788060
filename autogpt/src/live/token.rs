//! The live token endpoint's bodies (contract §2.6–2.8): JSON requests with the client
//! credentials inside, the token response with ISO-8601 expiries, introspection and revocation.
//!
//! Requests are built as bytes in a fixed field order (pinned by golden fixtures); the HTTP
//! request around them is [`json_post`]: `Content-Type: application/json`, **no**
//! `Authorization` header (the platform supports no HTTP Basic client authentication).
//! [`LiveTokenResponse`] holds secrets, so it implements neither `Serialize` nor `Display`.

use http::header::{ACCEPT, CONTENT_TYPE};
use http::{Method, Request};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ParseError, TokenParseError};
use crate::ids::{ClientId, UserId, parse_iso8601};
use crate::live::{BackendUrl, Permission};
use crate::origin::RedirectUri;
use crate::pkce::PkceVerifier;
use crate::secret::{AccessToken, AuthorizationCode, ClientSecret, RefreshToken};
use crate::types::TokenResponse;

/// `POST {backend}/api/oauth/token`.
pub const TOKEN_PATH: &str = "/api/oauth/token";
/// `POST {backend}/api/oauth/introspect`.
pub const INTROSPECT_PATH: &str = "/api/oauth/introspect";
/// `POST {backend}/api/oauth/revoke`.
pub const REVOKE_PATH: &str = "/api/oauth/revoke";

/// One registered live OAuth application: what every token, introspect and revoke request
/// carries. All live clients are confidential. `Debug` redacts the secret.
#[derive(Clone, Debug)]
pub struct LiveOAuthApp {
    /// `agpt_client_…`.
    pub client_id: ClientId,
    /// `agpt_secret_…`.
    pub client_secret: ClientSecret,
    /// The registered redirect URI, byte-identical in authorize and token requests (item 23).
    pub redirect_uri: RedirectUri,
}

/// Which token a request is about; also gives `token_type_hint`.
#[derive(Clone, Copy, Debug)]
pub enum TokenRef<'a> {
    /// An access token (`agpt_xt_…`).
    Access(&'a AccessToken),
    /// A refresh token (`agpt_rt_…`).
    Refresh(&'a RefreshToken),
}

impl TokenRef<'_> {
    fn parts(&self) -> (&str, TokenTypeHint) {
        match self {
            Self::Access(t) => (t.secret(), TokenTypeHint::AccessToken),
            Self::Refresh(t) => (t.secret(), TokenTypeHint::RefreshToken),
        }
    }
}

/// `token_type_hint` values, also introspection's `token_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenTypeHint {
    /// `access_token`
    AccessToken,
    /// `refresh_token`
    RefreshToken,
}

impl TokenTypeHint {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "access_token" => Some(Self::AccessToken),
            "refresh_token" => Some(Self::RefreshToken),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct CodeBody<'a> {
    grant_type: &'static str,
    code: &'a str,
    redirect_uri: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    code_verifier: &'a str,
}

#[derive(Serialize)]
struct RefreshBody<'a> {
    grant_type: &'static str,
    refresh_token: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
}

#[derive(Serialize)]
struct TokenOpBody<'a> {
    token: &'a str,
    token_type_hint: &'static str,
    client_id: &'a str,
    client_secret: &'a str,
}

fn to_json(body: &impl Serialize) -> Vec<u8> {
    // Structs of string fields always serialise.
    serde_json::to_vec(body).unwrap_or_default()
}

impl LiveOAuthApp {
    /// The authorization-code grant body. `code_verifier` is always sent (the field is
    /// required by the platform's model).
    pub fn code_exchange_body(&self, code: &AuthorizationCode, verifier: &PkceVerifier) -> Vec<u8> {
        to_json(&CodeBody {
            grant_type: "authorization_code",
            code: code.secret(),
            redirect_uri: self.redirect_uri.as_str(),
            client_id: self.client_id.as_str(),
            client_secret: self.client_secret.secret(),
            code_verifier: verifier.secret(),
        })
    }

    /// The refresh grant body (no `scope`: scopes cannot be narrowed).
    pub fn refresh_body(&self, refresh_token: &RefreshToken) -> Vec<u8> {
        to_json(&RefreshBody {
            grant_type: "refresh_token",
            refresh_token: refresh_token.secret(),
            client_id: self.client_id.as_str(),
            client_secret: self.client_secret.secret(),
        })
    }

    /// The introspection body.
    pub fn introspect_body(&self, token: TokenRef<'_>) -> Vec<u8> {
        self.token_op_body(token)
    }

    /// The revocation body.
    pub fn revoke_body(&self, token: TokenRef<'_>) -> Vec<u8> {
        self.token_op_body(token)
    }

    fn token_op_body(&self, token: TokenRef<'_>) -> Vec<u8> {
        let (token, hint) = token.parts();
        to_json(&TokenOpBody {
            token,
            token_type_hint: hint.as_str(),
            client_id: self.client_id.as_str(),
            client_secret: self.client_secret.secret(),
        })
    }
}

/// A JSON `POST {backend}{path}`: no `Authorization` header (checklist 25). `path` is one of
/// this module's constants; every URL the `url` crate prints is a valid `http::Uri`.
pub fn json_post(backend: &BackendUrl, path: &str, body: Vec<u8>) -> Request<Vec<u8>> {
    let mut req = Request::new(body);
    *req.method_mut() = Method::POST;
    if let Ok(uri) = backend.join(path).as_str().parse() {
        *req.uri_mut() = uri;
    }
    req.headers_mut().insert(CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    req.headers_mut().insert(ACCEPT, http::HeaderValue::from_static("application/json"));
    req
}

/// A successful live token answer (code exchange or refresh).
#[derive(Debug)]
pub struct LiveTokenResponse {
    /// `agpt_xt_…`, valid one hour.
    pub access_token: AccessToken,
    /// `agpt_rt_…`: always replaces the one sent (rotation; the old one is now revoked).
    pub refresh_token: RefreshToken,
    /// `access_token_expires_at` as unix seconds (fraction dropped).
    pub access_token_expires_at: i64,
    /// `refresh_token_expires_at` as unix seconds, if sent (30 days, restarted on refresh).
    pub refresh_token_expires_at: Option<i64>,
    /// Granted permissions (`scopes` array), kept for display (checklist 39).
    pub scopes: Vec<Permission>,
    /// `token_type` as sent (always `Bearer`).
    pub token_type: String,
}

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    access_token_expires_at: Value,
    refresh_token: String,
    #[serde(default)]
    refresh_token_expires_at: Option<Value>,
    #[serde(default)]
    scopes: Vec<Permission>,
}

/// An ISO 8601 date-time (with or without fraction, `Z`, `+00:00` or no offset read as UTC)
/// or, tolerated, a number of unix seconds.
fn unix_seconds(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => parse_iso8601(s).map(|t| t.unix_timestamp()),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

impl LiveTokenResponse {
    /// Parses a 2xx token body. On failure the error keeps the rotated refresh token when the
    /// body still has one (issue 11 item 7), so the caller can store it.
    pub fn parse(body: &[u8]) -> Result<Self, TokenParseError> {
        Self::parse_inner(body).map_err(|e| TokenParseError::from_body(e, body))
    }

    fn parse_inner(body: &[u8]) -> Result<Self, ParseError> {
        let raw: RawTokenResponse = serde_json::from_slice(body).map_err(|e| ParseError::json(&e, body))?;
        let expected = "an ISO 8601 date-time";
        let access_token_expires_at = unix_seconds(&raw.access_token_expires_at)
            .ok_or_else(|| ParseError::invalid_field("access_token_expires_at", expected, body))?;
        let refresh_token_expires_at = match raw.refresh_token_expires_at {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                unix_seconds(&v)
                    .ok_or_else(|| ParseError::invalid_field("refresh_token_expires_at", expected, body))?,
            ),
        };
        if raw.access_token.is_empty() {
            return Err(ParseError::invalid_field("access_token", "a non-empty token", body));
        }
        if raw.refresh_token.is_empty() {
            return Err(ParseError::invalid_field("refresh_token", "a non-empty token", body));
        }
        Ok(Self {
            access_token: AccessToken::new(raw.access_token),
            refresh_token: RefreshToken::new(raw.refresh_token),
            access_token_expires_at,
            refresh_token_expires_at,
            scopes: raw.scopes,
            token_type: raw.token_type.unwrap_or_else(|| "Bearer".to_owned()),
        })
    }

    /// True when the access token expires within `skew_secs` of `now` (unix seconds).
    pub fn is_expiring(&self, now: i64, skew_secs: i64) -> bool {
        self.access_token_expires_at <= now.saturating_add(skew_secs)
    }

    /// The profile-neutral token value the app's token manager stores: `expires_at` set from
    /// `access_token_expires_at`, `refresh_token` always present, scopes as [`Scope`]s.
    ///
    /// [`Scope`]: crate::scope::Scope
    pub fn into_token_response(self) -> TokenResponse {
        TokenResponse {
            access_token: self.access_token,
            token_type: self.token_type,
            refresh_token: Some(self.refresh_token),
            expires_in: None,
            expires_at: Some(self.access_token_expires_at),
            scopes: self.scopes.iter().map(Permission::to_scope).collect(),
            id_token: None,
        }
    }
}

/// `POST /api/oauth/introspect` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Introspection {
    /// Unknown, expired or revoked: `{"active": false, …nulls}`.
    Inactive,
    /// A live token.
    Active(ActiveToken),
}

/// What introspection says about an active token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveToken {
    /// Its permissions.
    pub scopes: Vec<Permission>,
    /// The app it was issued to (any client may introspect any token).
    pub client_id: Option<ClientId>,
    /// Its user.
    pub user_id: Option<UserId>,
    /// Expiry in **unix seconds** (unlike the token response).
    pub exp: Option<i64>,
    /// Access or refresh token.
    pub token_type: Option<TokenTypeHint>,
}

#[derive(Deserialize)]
struct RawIntrospection {
    active: bool,
    #[serde(default)]
    scopes: Option<Vec<Permission>>,
    #[serde(default)]
    client_id: Option<ClientId>,
    #[serde(default)]
    user_id: Option<UserId>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    token_type: Option<String>,
}

impl Introspection {
    /// Parses a 2xx introspection body.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        let raw: RawIntrospection = serde_json::from_slice(body).map_err(|e| ParseError::json(&e, body))?;
        if !raw.active {
            return Ok(Self::Inactive);
        }
        Ok(Self::Active(ActiveToken {
            scopes: raw.scopes.unwrap_or_default(),
            client_id: raw.client_id,
            user_id: raw.user_id,
            exp: raw.exp,
            token_type: raw.token_type.as_deref().and_then(TokenTypeHint::parse),
        }))
    }

    /// True for an active token.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Active(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> LiveOAuthApp {
        LiveOAuthApp {
            client_id: ClientId::new("agpt_client_1"),
            client_secret: ClientSecret::new("agpt_secret_1"),
            redirect_uri: RedirectUri::new("http://127.0.0.1:3000/api/autogpt/callback").unwrap(),
        }
    }

    const AT: &str = "agpt_xt_Xl0nCc4rEqKQb1m0y2tB7Y3ZsJd3vK9N8aWfHpLqU6c";
    const RT: &str = "agpt_rt_U6cXl0nCc4rEqKQb1m0y2tB7Y3ZsJd3vK9N8aWfHpLq";

    #[test]
    fn bodies_are_json_in_fixed_order() {
        let v = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let body = app().code_exchange_body(&AuthorizationCode::new("code-123"), &v);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"grant_type":"authorization_code","code":"code-123","redirect_uri":"http://127.0.0.1:3000/api/autogpt/callback","client_id":"agpt_client_1","client_secret":"agpt_secret_1","code_verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}"#
        );
        let body = app().revoke_body(TokenRef::Access(&AccessToken::new("at")));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"token":"at","token_type_hint":"access_token","client_id":"agpt_client_1","client_secret":"agpt_secret_1"}"#
        );
        let req = json_post(&BackendUrl::parse("http://b.test/x").unwrap(), TOKEN_PATH, b"{}".to_vec());
        assert_eq!(req.uri(), "http://b.test/x/api/oauth/token");
        assert_eq!(req.headers()["content-type"], "application/json");
        assert!(req.headers().get("authorization").is_none());
    }

    #[test]
    fn expiries_with_and_without_fraction_and_offsets() {
        for (stamp, want) in [
            ("2026-10-08T14:03:12.418000Z", 1_791_468_192),
            ("2026-10-08T14:03:12Z", 1_791_468_192),
            ("2026-10-08T14:03:12+00:00", 1_791_468_192),
            ("2026-10-08T14:03:12.5+00:00", 1_791_468_192),
            ("2026-10-08T16:03:12+02:00", 1_791_468_192),
            ("2026-10-08T14:03:12.418", 1_791_468_192),
        ] {
            let body = format!(
                r#"{{"token_type":"Bearer","access_token":"{AT}","access_token_expires_at":"{stamp}","refresh_token":"{RT}","refresh_token_expires_at":"{stamp}","scopes":["RUN_AGENT"]}}"#
            );
            let t = LiveTokenResponse::parse(body.as_bytes()).unwrap();
            assert_eq!(t.access_token_expires_at, want, "{stamp}");
            assert_eq!(t.refresh_token_expires_at, Some(want));
        }
    }

    /// Item 7: a token body with a bad expiry keeps the rotated refresh token, shows no secret.
    #[test]
    fn item7_bad_expiry_surfaces_refresh_token() {
        let body = format!(
            r#"{{"token_type":"Bearer","access_token":"{AT}","access_token_expires_at":"in an hour","refresh_token":"{RT}","scopes":[]}}"#
        );
        let e = LiveTokenResponse::parse(body.as_bytes()).unwrap_err();
        assert_eq!(e.parse_error().field(), Some("access_token_expires_at"));
        assert_eq!(e.refresh_token().unwrap().secret(), RT);
        let shown = format!("{e:?} {e}");
        assert!(!shown.contains(AT) && !shown.contains(RT), "{shown}");
        let body = format!(
            r#"{{"access_token":"{AT}","access_token_expires_at":5,"refresh_token":"{RT}","scopes":["run agent"]}}"#
        );
        let e = LiveTokenResponse::parse(body.as_bytes()).unwrap_err();
        assert_eq!(e.parse_error().field(), Some("scopes[0]"));
        assert!(e.refresh_token().is_some());
        assert!(!format!("{e:?}").contains("agpt_"));
    }

    /// Checklist 37 and the profile-neutral conversion.
    #[test]
    fn item37_debug_redacted_and_conversion() {
        let body = format!(
            r#"{{"token_type":"Bearer","access_token":"{AT}","access_token_expires_at":"2026-10-08T14:03:12Z","refresh_token":"{RT}","refresh_token_expires_at":"2026-11-07T14:03:12Z","scopes":["IDENTITY","RUN_AGENT","BRAND_NEW"],"extra":1}}"#
        );
        let t = LiveTokenResponse::parse(body.as_bytes()).unwrap();
        let shown = format!("{t:?} {:?}", app());
        assert!(!shown.contains(AT) && !shown.contains(RT) && !shown.contains("agpt_secret_1"), "{shown}");
        assert!(!t.is_expiring(1_791_468_192 - 61, 60));
        assert!(t.is_expiring(1_791_468_192 - 60, 60));
        let common = t.into_token_response();
        assert_eq!(common.expires_at, Some(1_791_468_192));
        assert_eq!(common.refresh_token.unwrap().secret(), RT);
        let scopes: Vec<_> = common.scopes.iter().map(|s| s.as_str().to_owned()).collect();
        assert_eq!(scopes, ["IDENTITY", "RUN_AGENT", "BRAND_NEW"]);
    }

    #[test]
    fn introspection_shapes() {
        let active = Introspection::parse(
            br#"{"active":true,"scopes":["RUN_AGENT"],"client_id":"agpt_client_1","user_id":"u1","exp":1791468192,"token_type":"access_token"}"#,
        )
        .unwrap();
        match active {
            Introspection::Active(a) => {
                assert_eq!(a.exp, Some(1_791_468_192));
                assert_eq!(a.token_type, Some(TokenTypeHint::AccessToken));
                assert_eq!(a.scopes, [Permission::RunAgent]);
            }
            other => panic!("{other:?}"),
        }
        let inactive =
            br#"{"active":false,"scopes":null,"client_id":null,"user_id":null,"exp":null,"token_type":null}"#;
        assert_eq!(Introspection::parse(inactive).unwrap(), Introspection::Inactive);
        assert!(Introspection::parse(b"{}").is_err());
    }
}
