//! Encryption of secrets at rest (tokens, PKCE verifiers) and hashing of lookup keys.
//!
//! Tokens are sealed with ChaCha20-Poly1305 under a key derived from `APP_SECRET` with
//! HKDF-SHA256, so the database alone (a backup, a stolen file) reveals no token (B1,
//! checklist 36). Every ciphertext is bound through its AAD to the table, row and column it was
//! written for: a ciphertext copied into another row or column fails to open instead of
//! handing one user's token to another.

use std::fmt;
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use sha2::{Digest as _, Sha256};

/// HKDF `info` label: a key derived for anything else from the same `APP_SECRET` (cookie
/// signing, ...) uses another label and is therefore independent of this one.
const HKDF_INFO: &[u8] = b"autogpt-connect/token-encryption/v1";
/// ChaCha20-Poly1305 nonce length (96 bits), stored in front of each ciphertext.
const NONCE_LEN: usize = 12;

/// Errors of [`TokenCipher`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The key material is shorter than [`TokenCipher::MIN_KEY_LEN`] bytes.
    #[error("APP_SECRET key material must be at least {min} bytes, got {got}")]
    KeyTooShort {
        /// Required length.
        min: usize,
        /// Given length.
        got: usize,
    },
    /// The ciphertext was altered, belongs to another row/column, or was sealed under another
    /// key (e.g. `APP_SECRET` changed).
    #[error("ciphertext could not be decrypted (tampered, moved, or another key)")]
    Open,
}

/// `APP_SECRET` key material, at least [`TokenCipher::MIN_KEY_LEN`] bytes (checked once, at
/// start). `Debug` never shows it (checklist 37).
#[derive(Clone)]
pub struct AppSecret(Vec<u8>);

impl AppSecret {
    /// Accepts key material of at least 32 bytes.
    pub fn new(key_material: Vec<u8>) -> Result<Self, CryptoError> {
        if key_material.len() < TokenCipher::MIN_KEY_LEN {
            return Err(CryptoError::KeyTooShort { min: TokenCipher::MIN_KEY_LEN, got: key_material.len() });
        }
        Ok(Self(key_material))
    }
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSecret([redacted])")
    }
}

/// AEAD for secrets at rest. Cheap to clone; the key never appears in `Debug`.
#[derive(Clone)]
pub struct TokenCipher {
    aead: Arc<ChaCha20Poly1305>,
}

impl TokenCipher {
    /// Minimum length of the key material (256 bits).
    pub const MIN_KEY_LEN: usize = 32;

    /// Derives the encryption key from `APP_SECRET` key material.
    pub fn new(key_material: &[u8]) -> Result<Self, CryptoError> {
        AppSecret::new(key_material.to_vec()).map(|secret| Self::from_secret(&secret))
    }

    /// Derives the encryption key from validated key material (cannot fail).
    pub fn from_secret(secret: &AppSecret) -> Self {
        Self::derived(secret, HKDF_INFO)
    }

    /// A cipher under a key of its own for `info`: keys for different purposes are
    /// independent, so a ciphertext made for one can never be opened as another.
    fn derived(secret: &AppSecret, info: &[u8]) -> Self {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, secret.0.as_slice())
            .expand(info, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self { aead: Arc::new(ChaCha20Poly1305::new(Key::from_slice(&key))) }
    }

    /// Encrypts `plaintext`; the result is `nonce (12 bytes) || ciphertext || tag`.
    ///
    /// A random nonce per message is safe here: 96 bits make a collision negligible at the
    /// number of tokens one deployment stores.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = self
            .aead
            .encrypt(&nonce, Payload { msg: plaintext, aad })
            .expect("ChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts what [`seal`](Self::seal) produced with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.aead.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad }).map_err(|_| CryptoError::Open)
    }

    /// [`seal`](Self::seal) for a string secret stored in `table.column` of row `row_id`.
    pub fn seal_field(&self, table: &str, row_id: &str, column: &str, plaintext: &str) -> Vec<u8> {
        self.seal(plaintext.as_bytes(), &field_aad(table, row_id, column))
    }

    /// [`open`](Self::open) for a string secret stored in `table.column` of row `row_id`.
    pub fn open_field(&self, table: &str, row_id: &str, column: &str, sealed: &[u8]) -> Result<String, CryptoError> {
        let bytes = self.open(sealed, &field_aad(table, row_id, column))?;
        String::from_utf8(bytes).map_err(|_| CryptoError::Open)
    }
}

impl fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCipher([redacted])")
    }
}

/// What a [`Sealer`] seals (each purpose has its own key and AAD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The sign-in transaction cookie (state, PKCE verifier, mode, return path).
    SignInTransaction,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::SignInTransaction => b"autogpt-connect sign-in transaction cookie v1",
        }
    }
}

/// Seals small values that travel outside the server (in a cookie) as base64url text:
/// ChaCha20-Poly1305 under a key derived from `APP_SECRET` for one [`Purpose`], which is also
/// the AAD. The browser can neither read nor alter what it carries.
#[derive(Clone)]
pub struct Sealer {
    cipher: TokenCipher,
    purpose: Purpose,
}

impl Sealer {
    /// A sealer for `purpose`.
    pub fn new(secret: &AppSecret, purpose: Purpose) -> Self {
        Self { cipher: TokenCipher::derived(secret, purpose.label()), purpose }
    }

    /// `plaintext`, sealed, as base64url without padding.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.cipher.seal(plaintext, self.purpose.label()))
    }

    /// What [`Sealer::seal`] sealed; `None` for anything else (tampered, another key or
    /// purpose, not base64url).
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sealed).ok()?;
        self.cipher.open(&bytes, self.purpose.label()).ok()
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer").field("purpose", &self.purpose).finish_non_exhaustive()
    }
}

/// Derives the live Connect attempt's nonce from its `state`: HMAC-SHA256 under a key derived
/// from `APP_SECRET` for this purpose. The wizard carries only `state`; our callback recomputes
/// the nonce the opener's attempt expects, so no nonce is stored in plain text or sent to the
/// platform.
#[derive(Clone)]
pub struct NonceDeriver {
    key: [u8; 32],
}

impl NonceDeriver {
    /// The deriver for this deployment.
    pub fn new(secret: &AppSecret) -> Self {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, secret.0.as_slice())
            .expand(b"autogpt-connect live connect nonce v1", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self { key }
    }

    /// The nonce for `state` (base64url, 128 bits).
    pub fn nonce(&self, state: &str) -> autogpt::random::Nonce {
        use base64::Engine as _;
        use hmac::Mac as _;
        let mut mac = <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(state.as_bytes());
        let tag = mac.finalize().into_bytes();
        autogpt::random::Nonce::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..16]))
    }
}

impl fmt::Debug for NonceDeriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NonceDeriver([redacted])")
    }
}

/// AAD naming where a ciphertext lives. NUL separators keep `("a", "b:c")` and `("a:b", "c")`
/// distinct; ids and names never contain NUL.
fn field_aad(table: &str, row_id: &str, column: &str) -> Vec<u8> {
    [table.as_bytes(), row_id.as_bytes(), column.as_bytes()].join(&0u8)
}

/// Lower-case hex SHA-256 of a value used as a lookup key (OAuth `state`, Connect nonce), so
/// the database never holds a value an attacker could replay from a leaked copy.
pub fn state_hash(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// Lower-case hex encoding.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// 128 random bits, base64url: opaque ids for rows the browser may learn about indirectly.
pub(crate) fn random_id() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item4_sealed_values_open_only_with_their_key_and_purpose() {
        let secret = AppSecret::new(vec![7u8; 32]).unwrap();
        let sealer = Sealer::new(&secret, Purpose::SignInTransaction);
        let sealed = sealer.seal(b"state and verifier");
        assert!(
            !sealed.contains("verifier") && sealed.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        );
        assert_eq!(sealer.open(&sealed).unwrap(), b"state and verifier");
        // Another APP_SECRET, the token cipher's key, a flipped byte, garbage: all refused.
        let other = Sealer::new(&AppSecret::new(vec![8u8; 32]).unwrap(), Purpose::SignInTransaction);
        assert!(other.open(&sealed).is_none());
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        assert!(TokenCipher::from_secret(&secret).open(&raw, Purpose::SignInTransaction.label()).is_err());
        let mut flipped = raw.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(sealer.open(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(flipped)).is_none());
        assert!(sealer.open("not base64!").is_none() && sealer.open("").is_none());
        assert!(!format!("{sealer:?}").contains('7'));
    }

    fn cipher() -> TokenCipher {
        TokenCipher::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn item36_round_trip_and_fresh_nonce() {
        let c = cipher();
        let a = c.seal_field("connections", "row1", "access_token_enc", "AT-1");
        let b = c.seal_field("connections", "row1", "access_token_enc", "AT-1");
        assert_ne!(a, b, "a fresh nonce per message");
        assert!(!a.windows(4).any(|w| w == b"AT-1"));
        assert_eq!(c.open_field("connections", "row1", "access_token_enc", &a).unwrap(), "AT-1");
    }

    #[test]
    fn item36_ciphertext_bound_to_row_and_column() {
        let c = cipher();
        let a = c.seal_field("connections", "row1", "access_token_enc", "AT-1");
        assert_eq!(c.open_field("connections", "row2", "access_token_enc", &a), Err(CryptoError::Open));
        assert_eq!(c.open_field("connections", "row1", "refresh_token_enc", &a), Err(CryptoError::Open));
        let mut tampered = a.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(c.open_field("connections", "row1", "access_token_enc", &tampered), Err(CryptoError::Open));
        assert_eq!(c.open(&a[..5], b""), Err(CryptoError::Open));
    }

    #[test]
    fn item36_other_key_cannot_open_and_short_key_rejected() {
        let a = cipher().seal(b"x", b"aad");
        let other = TokenCipher::new(&[8u8; 32]).unwrap();
        assert_eq!(other.open(&a, b"aad"), Err(CryptoError::Open));
        assert_eq!(TokenCipher::new(&[1u8; 31]).unwrap_err(), CryptoError::KeyTooShort { min: 32, got: 31 });
    }

    #[test]
    fn item37_debug_hides_key() {
        assert_eq!(format!("{:?}", cipher()), "TokenCipher([redacted])");
    }

    #[test]
    fn state_hash_is_hex_sha256() {
        assert_eq!(state_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
