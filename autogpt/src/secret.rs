//! Secret-bearing values: redacted `Debug`, no `Display`, explicit accessors.
//!
//! Modelled on oauth2-rs: a secret can only leave its type through a method whose name says so
//! (`secret()`), so a stray `format!("{x:?}")` or `tracing` field cannot leak it (checklist 37).

use std::fmt;

/// Defines a secret newtype over `String` with redacted `Debug` and no `Display`.
macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value. Call this only where the value must be sent or stored.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Consumes the wrapper and returns the secret value.
            pub fn into_secret(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// OAuth access token (Bearer) for the External API and `/oauth/userinfo`.
    AccessToken
);
secret_type!(
    /// OAuth refresh token. The platform rotates it on every refresh.
    RefreshToken
);
secret_type!(
    /// The OAuth client secret, sent only in the token request form body (`client_secret_post`).
    ClientSecret
);
secret_type!(
    /// A user's AutoGPT API key, sent as `X-API-Key` on the authorization request.
    ApiKey
);
secret_type!(
    /// OAuth authorization code from the callback; single use, lives 10 minutes.
    AuthorizationCode
);
secret_type!(
    /// A live run's `share_token`: anyone holding the share link can read the run.
    ShareToken
);
secret_type!(
    /// OpenID Connect ID token as returned by the token endpoint (not validated by this crate).
    IdToken
);

// Read from run responses; never written back (no `Serialize`).
impl<'de> serde::Deserialize<'de> for ShareToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::new(<String as serde::Deserialize>::deserialize(d)?))
    }
}

/// A webhook HMAC secret. Several may be configured at once to allow rotation.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// Wraps a secret; the HMAC key is its UTF-8 bytes, as the platform uses it.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().into_bytes())
    }

    /// The key bytes. Call this only to compute an HMAC.
    pub fn secret(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checklist 37: `Debug` of every secret type hides the value.
    #[test]
    fn item37_debug_is_redacted() {
        let v = "s3cr3t-value";
        let outputs = [
            format!("{:?}", AccessToken::new(v)),
            format!("{:?}", RefreshToken::new(v)),
            format!("{:?}", ClientSecret::new(v)),
            format!("{:?}", ApiKey::new(v)),
            format!("{:?}", AuthorizationCode::new(v)),
            format!("{:?}", IdToken::new(v)),
            format!("{:?}", ShareToken::new(v)),
            format!("{:?}", WebhookSecret::new(v)),
        ];
        for out in outputs {
            assert!(!out.contains(v), "{out}");
            assert!(out.contains("[redacted]"), "{out}");
        }
    }

    /// Autoref probe: the inherent method wins only when `T: Display`/`T: Clone` holds.
    pub(crate) struct Probe<T>(pub std::marker::PhantomData<T>);
    pub(crate) trait Fallback {
        fn has_display(&self) -> bool {
            false
        }
        fn has_clone(&self) -> bool {
            false
        }
    }
    impl<T> Fallback for Probe<T> {}
    impl<T: fmt::Display> Probe<T> {
        pub(crate) fn has_display(&self) -> bool {
            true
        }
    }
    impl<T: Clone> Probe<T> {
        pub(crate) fn has_clone(&self) -> bool {
            true
        }
    }

    /// Checklist 37 (and STYLE): secrets have no `Display`, so `{}` cannot print them.
    #[test]
    fn item37_secrets_have_no_display() {
        use std::marker::PhantomData as P;
        assert!(!Probe::<AccessToken>(P).has_display());
        assert!(!Probe::<RefreshToken>(P).has_display());
        assert!(!Probe::<ClientSecret>(P).has_display());
        assert!(!Probe::<ApiKey>(P).has_display());
        assert!(!Probe::<AuthorizationCode>(P).has_display());
        assert!(!Probe::<IdToken>(P).has_display());
        assert!(!Probe::<ShareToken>(P).has_display());
        assert!(!Probe::<WebhookSecret>(P).has_display());
        assert!(!Probe::<crate::pkce::PkceVerifier>(P).has_display());
        // The probe itself works: a type with Display is detected.
        assert!(Probe::<String>(P).has_display());
    }

    /// Checklist 19: the PKCE verifier cannot be cloned (moved into the token request).
    #[test]
    fn item19_verifier_is_not_clone() {
        use std::marker::PhantomData as P;
        assert!(!Probe::<crate::pkce::PkceVerifier>(P).has_clone());
        assert!(Probe::<AccessToken>(P).has_clone());
    }

    #[test]
    fn accessor_returns_value() {
        assert_eq!(AccessToken::new("a").secret(), "a");
        assert_eq!(WebhookSecret::new("k").secret(), b"k");
        assert_eq!(RefreshToken::new("r").into_secret(), "r");
    }
}
