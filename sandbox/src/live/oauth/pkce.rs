//! PKCE as the platform checks it: `S256` = unpadded base64url(SHA-256(verifier)), `plain` =
//! the verifier itself; constant-time comparison; no length or charset rule on the verifier.

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn matches(method: &str, verifier: &str, challenge: &str) -> bool {
    let computed = if method == "plain" {
        verifier.to_owned()
    } else {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    };
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_rfc7636_vector_and_plain() {
        let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(matches("S256", v, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!matches("S256", "short", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(matches("plain", "x", "x"));
        assert!(!matches("plain", "x", "y"));
    }
}
