//! Unguessable per-attempt values: OAuth `state` and Connect `nonce` (checklist 5, 20).
//!
//! Both carry 256 bits from the operating system's CSPRNG (`getrandom`; `crypto.getRandomValues`
//! on wasm32), encoded base64url without padding (43 characters).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

/// Bytes of entropy in generated values (≥ 16 required; 32 gives margin at no cost).
const RANDOM_BYTES: usize = 32;

/// 32 random bytes encoded base64url without padding.
///
/// # Panics
/// If the operating system's random source is unavailable: nothing secure can proceed then.
pub(crate) fn random_token() -> String {
    let mut buf = [0u8; RANDOM_BYTES];
    getrandom::getrandom(&mut buf).expect("operating system CSPRNG unavailable");
    URL_SAFE_NO_PAD.encode(buf)
}

macro_rules! random_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh value with 256 bits from the CSPRNG.
            ///
            /// # Panics
            /// If the operating system's random source is unavailable.
            pub fn generate() -> Self {
                Self(random_token())
            }

            /// Wraps a value received from elsewhere (callback query, popup message, storage).
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Compares with a received value in constant time.
            pub fn matches(&self, received: &str) -> bool {
                self.0.as_bytes().ct_eq(received.as_bytes()).into()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

random_type!(
    /// OAuth `state` (CSRF token), bound server-side to the initiating session.
    State
);
random_type!(
    /// Connect popup `nonce`, fresh for every attempt and echoed in the result message.
    Nonce
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Checklist 5: 10 000 nonces are distinct and ≥ 22 base64url characters.
    #[test]
    fn item5_nonces_unique_and_long() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let n = Nonce::generate();
            assert!(n.as_str().len() >= 22);
            assert!(n.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert!(seen.insert(n.as_str().to_owned()));
        }
    }

    /// Checklist 20: state carries ≥ 128 bits (43 chars of base64url = 256 bits).
    #[test]
    fn item20_state_length_and_match() {
        let s = State::generate();
        assert_eq!(s.as_str().len(), 43);
        assert!(s.matches(s.as_str()));
        assert!(!s.matches("other"));
        assert_ne!(State::generate(), s);
    }
}
