//! PKCE (RFC 7636) with S256 only, the one method the platform accepts (checklist 18, 19).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::random::random_token;

/// The PKCE code verifier. Secret: redacted `Debug`, no `Display`, and deliberately not
/// `Clone`, so it is moved into the token request rather than copied around (it must never
/// reach the browser, checklist 19).
pub struct PkceVerifier(String);

/// A string that is not a valid RFC 7636 verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PKCE verifier must be 43-128 characters from [A-Za-z0-9-._~]")]
pub struct InvalidVerifier;

impl PkceVerifier {
    /// A fresh verifier: 256 bits from the CSPRNG, 43 base64url characters.
    ///
    /// # Panics
    /// If the operating system's random source is unavailable.
    pub fn generate() -> Self {
        Self(random_token())
    }

    /// Rebuilds a verifier from server-side storage, checking RFC 7636 §4.1.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidVerifier> {
        let value = value.into();
        let ok = (43..=128).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if ok { Ok(Self(value)) } else { Err(InvalidVerifier) }
    }

    /// The verifier. Call this only to store it server-side or to send it to the token endpoint.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// `BASE64URL(SHA256(verifier))`.
    pub fn challenge(&self) -> PkceChallenge {
        PkceChallenge(URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([redacted])")
    }
}

/// The S256 code challenge sent on the authorization request (public).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkceChallenge(String);

impl PkceChallenge {
    /// The `code_challenge_method`, always `S256`.
    pub const METHOD: &'static str = "S256";

    /// The challenge value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checklist 18: RFC 7636 appendix B known-answer vector.
    #[test]
    fn item18_rfc7636_appendix_b() {
        let v = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(v.challenge().as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    /// Checklist 19: generated verifiers are 43-128 unreserved characters; Debug is redacted.
    #[test]
    fn item19_verifier_shape_and_redaction() {
        let v = PkceVerifier::generate();
        assert!(PkceVerifier::new(v.secret()).is_ok());
        assert!(!format!("{v:?}").contains(v.secret()));
        assert!(PkceVerifier::new("short").is_err());
        assert!(PkceVerifier::new("a".repeat(129)).is_err());
        assert!(PkceVerifier::new(format!("{}!", "a".repeat(43))).is_err());
        assert!(PkceVerifier::new("a".repeat(128)).is_ok());
    }
}
