//! Token endpoint and userinfo responses.
//!
//! `TokenResponse` holds secrets, so it deliberately implements neither `Serialize` nor
//! `Display`: the application decides how to store tokens (encrypted), not serde.

use serde::Deserialize;

use crate::error::{ParseError, TokenParseError};
use crate::ids::UserId;
use crate::scope::Scope;
use crate::secret::{AccessToken, IdToken, RefreshToken};

/// Default margin before expiry at which a token counts as expiring (checklist 33).
pub const DEFAULT_EXPIRY_SKEW_SECS: i64 = 60;

/// A successful token endpoint answer (code exchange or refresh).
#[derive(Debug)]
pub struct TokenResponse {
    /// The Bearer access token.
    pub access_token: AccessToken,
    /// `token_type` as sent (the platform sends `Bearer`).
    pub token_type: String,
    /// The refresh token; the platform rotates it on every refresh.
    pub refresh_token: Option<RefreshToken>,
    /// Lifetime in seconds as sent, if sent.
    pub expires_in: Option<i64>,
    /// Expiry in unix seconds: `now + expires_in`, else `access_token_expires_at`.
    pub expires_at: Option<i64>,
    /// Granted scopes (`scope` space-separated, or a `scopes` array), kept for display (item 39).
    pub scopes: Vec<Scope>,
    /// The ID token when `openid` was granted (not validated here).
    pub id_token: Option<IdToken>,
}

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    // The platform's later API sends an absolute expiry instead (unix seconds or ISO-8601).
    #[serde(default)]
    access_token_expires_at: Option<serde_json::Value>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<Scope>>,
    #[serde(default)]
    id_token: Option<String>,
}

impl TokenResponse {
    /// Parses a 200 token response body; `now` (unix seconds) anchors `expires_in`. On failure
    /// the error keeps a rotated refresh token found in the body (issue 11 item 7): the one
    /// the caller sent is already revoked, so store it.
    pub fn parse(body: &[u8], now: i64) -> Result<Self, TokenParseError> {
        Self::from_json(body, now).map_err(|e| TokenParseError::from_body(e, body))
    }

    /// Parses a 200 token response body; `now` (unix seconds) anchors `expires_in`. The error
    /// describes the body's structure only; [`TokenResponse::parse`] also recovers a rotated
    /// refresh token from a refused body.
    pub fn from_json(body: &[u8], now: i64) -> Result<Self, ParseError> {
        let raw: RawTokenResponse = serde_json::from_slice(body).map_err(|e| ParseError::json(&e, body))?;
        let absolute = raw.access_token_expires_at.as_ref().and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => crate::ids::parse_iso8601(s).map(|t| t.unix_timestamp()),
            _ => None,
        });
        let expires_at = raw.expires_in.map(|s| now.saturating_add(s)).or(absolute);
        let scopes = match (raw.scope, raw.scopes) {
            (Some(s), _) => Scope::parse_space_separated(&s)
                .map_err(|_| ParseError::invalid_field("scope", "space-separated scope tokens", body))?,
            (None, Some(v)) => v,
            (None, None) => Vec::new(),
        };
        Ok(Self {
            access_token: AccessToken::new(raw.access_token),
            token_type: raw.token_type.unwrap_or_else(|| "Bearer".to_owned()),
            refresh_token: raw.refresh_token.map(RefreshToken::new),
            expires_in: raw.expires_in,
            expires_at,
            scopes,
            id_token: raw.id_token.map(IdToken::new),
        })
    }

    /// True when the access token expires within `skew_secs` of `now` (unix seconds), or has
    /// expired. Unknown expiry counts as not expiring: the API's 401 is then the signal.
    pub fn is_expiring(&self, now: i64, skew_secs: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now.saturating_add(skew_secs))
    }
}

/// `GET /oauth/userinfo` answer.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct UserInfo {
    /// Platform user id.
    pub sub: UserId,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the e-mail address is verified.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Last profile update (number or string, as sent).
    #[serde(default)]
    pub updated_at: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item33_expiry_from_expires_in_and_skew() {
        let t = TokenResponse::from_json(
            br#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"refresh_token":"r","scope":"openid agents:execute","id_token":null}"#,
            1_000,
        )
        .unwrap();
        assert_eq!(t.expires_at, Some(4_600));
        assert!(!t.is_expiring(4_539, DEFAULT_EXPIRY_SKEW_SECS));
        assert!(t.is_expiring(4_540, DEFAULT_EXPIRY_SKEW_SECS));
        assert_eq!(t.scopes, vec![Scope::OPENID, Scope::AGENTS_EXECUTE]);
        assert_eq!(t.refresh_token.unwrap().secret(), "r");
        assert!(t.id_token.is_none());
    }

    #[test]
    fn item33_expiry_from_access_token_expires_at() {
        let t = TokenResponse::from_json(
            br#"{"access_token":"agpt_xt_1","token_type":"Bearer","access_token_expires_at":"2025-01-01T00:00:00Z","scopes":["agents:execute"]}"#,
            0,
        )
        .unwrap();
        assert_eq!(t.expires_at, Some(1_735_689_600));
        assert_eq!(t.scopes, vec![Scope::AGENTS_EXECUTE]);
        let t = TokenResponse::from_json(br#"{"access_token":"x","access_token_expires_at":1700000000}"#, 0).unwrap();
        assert_eq!(t.expires_at, Some(1_700_000_000));
    }

    /// Item 7: a refused body is described, not kept; a rotated refresh token is recovered.
    #[test]
    fn item7_parse_error_keeps_structure_and_refresh_token() {
        let e = TokenResponse::from_json(b"<html>oops</html>", 0).unwrap_err();
        assert_eq!((e.line(), e.column(), e.body_len()), (1, 1, 17));
        assert!(!format!("{e:?}").contains("oops"));
        let body = br#"{"access_token":"agpt_xt_SECRET1","refresh_token":"agpt_rt_SECRET2","expires_in":"1h"}"#;
        let e = TokenResponse::parse(body, 0).unwrap_err();
        assert_eq!(e.parse_error().field(), Some("expires_in"));
        assert_eq!(e.refresh_token().unwrap().secret(), "agpt_rt_SECRET2");
        assert!(!format!("{e:?} {e}").contains("SECRET"), "{e:?}");
        let e = TokenResponse::parse(br#"{"access_token":"agpt_xt_SECRET1","scope":"a b\\c"}"#, 0).unwrap_err();
        assert_eq!(e.parse_error().field(), Some("scope"));
        assert!(e.refresh_token().is_none());
    }

    /// Checklist 37: tokens do not leak through Debug.
    #[test]
    fn item37_token_response_debug_redacted() {
        let t = TokenResponse::from_json(
            br#"{"access_token":"AT-SECRET","refresh_token":"RT-SECRET","id_token":"ID-SECRET"}"#,
            0,
        )
        .unwrap();
        let s = format!("{t:?}");
        assert!(!s.contains("SECRET"), "{s}");
    }
}
