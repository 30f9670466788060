//! Issuing, looking up and revoking tokens; PKCE; the Bearer check shared by userinfo and the
//! External API.

use axum::http::{HeaderMap, header};
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::state::model::{Token, TokenKind};
use crate::state::{AppState, Db, now_ms, random_token};

/// A freshly issued access/refresh pair.
pub struct Pair {
    pub access: String,
    pub refresh: String,
    pub expires_in: u64,
    pub scopes: Vec<String>,
}

/// Issue a new pair in `family` (the authorization it descends from).
pub fn issue_pair(
    state: &AppState,
    db: &mut Db,
    family: &str,
    client_id: &str,
    user_id: &str,
    scopes: &[String],
) -> Pair {
    let settings = state.settings();
    let now = now_ms();
    let access = random_token("agpt_at_");
    let refresh = random_token("agpt_rt_");
    for (token, kind, ttl) in [
        (&access, TokenKind::Access, settings.access_token_ttl_secs),
        (&refresh, TokenKind::Refresh, settings.refresh_token_ttl_secs),
    ] {
        db.tokens.push(Token {
            token: token.clone(),
            kind,
            family: family.to_owned(),
            client_id: client_id.to_owned(),
            user_id: user_id.to_owned(),
            scopes: scopes.to_vec(),
            expires_at_ms: now.saturating_add((ttl as i64).saturating_mul(1000)),
            revoked: false,
            rotated: false,
        });
    }
    Pair { access, refresh, expires_in: settings.access_token_ttl_secs, scopes: scopes.to_vec() }
}

/// Revoke every token of an authorization (code reuse, refresh-token reuse).
pub fn revoke_family(db: &mut Db, family: &str) -> usize {
    let mut n = 0;
    for t in db.tokens.iter_mut().filter(|t| t.family == family) {
        if !t.revoked {
            t.revoked = true;
            n += 1;
        }
    }
    n
}

/// `BASE64URL(SHA256(verifier)) == challenge`, compared in constant time.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let valid_chars = verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !(43..=128).contains(&verifier.len()) || !valid_chars {
        return false;
    }
    let digest = Sha256::digest(verifier.as_bytes());
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

/// The `Bearer` token from `Authorization`, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// A valid (known, unrevoked, unexpired) access token from the request, or 401.
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Token, Error> {
    let Some(raw) = bearer(headers) else {
        return Err(Error::unauthorized("Not authenticated"));
    };
    let db = state.db();
    let token = db
        .tokens
        .iter()
        .find(|t| t.kind == TokenKind::Access && t.token == raw)
        .ok_or_else(|| Error::unauthorized("Invalid access token"))?;
    if token.revoked {
        return Err(Error::unauthorized("Access token has been revoked"));
    }
    if token.expires_at_ms <= now_ms() {
        return Err(Error::unauthorized("Access token has expired"));
    }
    Ok(token.clone())
}

/// 403 unless the token carries `scope`.
pub fn require_scope(token: &Token, scope: &str) -> Result<(), Error> {
    if token.scopes.iter().any(|s| s == scope) {
        Ok(())
    } else {
        Err(Error::forbidden(format!("Missing required scope: {scope}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // checklist 18: RFC 7636 appendix B vector.
    #[test]
    fn pkce_rfc7636_vector() {
        assert!(pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }
}
