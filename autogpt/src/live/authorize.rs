//! The live authorize URL, `{platform}/auth/authorize` (contract §2.3), and its callback.
//!
//! The browser goes to the platform's **frontend** page, not to the backend. PKCE (S256), the
//! CSPRNG `state` and the callback parser are the guide's: the live redirect carries the same
//! parameters (`code`+`state`, or `error`/`error_description`/`state`, spaces as `+`), so
//! [`parse_callback`] is re-exported unchanged and [`PendingAuthorization`] is shared.

use url::Url;

pub use crate::authorize::{Callback, InvalidCallback, PendingAuthorization, parse_callback};
use crate::ids::ClientId;
use crate::live::Permission;
use crate::origin::{PlatformUrl, RedirectUri};
use crate::pkce::{PkceChallenge, PkceVerifier};
use crate::random::State;

/// Builds `{platform}/auth/authorize?client_id&redirect_uri&scope&state&code_challenge
/// &code_challenge_method=S256&response_type=code`, `scope` space-separated, every value
/// form-encoded (as `URLSearchParams` writes it; the page reads `+` and `%20` alike).
/// Deterministic: the caller supplies state and challenge.
pub fn authorization_url(
    platform: &PlatformUrl,
    client_id: &ClientId,
    redirect_uri: &RedirectUri,
    permissions: &[Permission],
    state: &State,
    challenge: &PkceChallenge,
) -> Url {
    let mut url = platform.join("/auth/authorize");
    url.query_pairs_mut()
        .append_pair("client_id", client_id.as_str())
        .append_pair("redirect_uri", redirect_uri.as_str())
        .append_pair("scope", &Permission::join_space(permissions))
        .append_pair("state", state.as_str())
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", PkceChallenge::METHOD)
        .append_pair("response_type", "code");
    url
}

/// Generates a fresh `state` and PKCE verifier (256 bits each, CSPRNG) and builds the URL.
/// Keep `state` and `verifier` server-side until the callback (checklist 19, 20).
pub fn start_authorization(
    platform: &PlatformUrl,
    client_id: &ClientId,
    redirect_uri: &RedirectUri,
    permissions: &[Permission],
) -> PendingAuthorization {
    let state = State::generate();
    let verifier = PkceVerifier::generate();
    let url = authorization_url(platform, client_id, redirect_uri, permissions, &state, &verifier.challenge());
    PendingAuthorization { url, state, verifier }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OAuthErrorCode;

    /// Checklist 18: the seven parameters in the contract's order, S256, space-joined scope.
    #[test]
    fn item18_live_authorize_url() {
        let platform = PlatformUrl::parse("https://platform.agpt.co").unwrap();
        let redirect = RedirectUri::new("http://127.0.0.1:3000/api/autogpt/callback").unwrap();
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let url = authorization_url(
            &platform,
            &ClientId::new("agpt_client_dev"),
            &redirect,
            &[Permission::Identity, Permission::RunAgent, Permission::ReadRun],
            &State::new("st+/="),
            &verifier.challenge(),
        );
        assert_eq!(
            url.as_str(),
            "https://platform.agpt.co/auth/authorize?client_id=agpt_client_dev\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fapi%2Fautogpt%2Fcallback\
             &scope=IDENTITY+RUN_AGENT+READ_RUN&state=st%2B%2F%3D\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&response_type=code"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[2], ("scope".into(), "IDENTITY RUN_AGENT READ_RUN".into()));
        assert_eq!(pairs[3], ("state".into(), "st+/=".into()));
    }

    /// Checklist 19/20: fresh CSPRNG state and verifier; the URL holds only the challenge.
    #[test]
    fn item19_start_hides_verifier() {
        let platform = PlatformUrl::parse("https://platform.test").unwrap();
        let redirect = RedirectUri::new("https://app.test/cb").unwrap();
        let a = start_authorization(&platform, &ClientId::new("c"), &redirect, &[Permission::Identity]);
        let b = start_authorization(&platform, &ClientId::new("c"), &redirect, &[Permission::Identity]);
        assert_ne!(a.state, b.state);
        assert_eq!(a.state.as_str().len(), 43);
        assert!(!a.url.as_str().contains(a.verifier.secret()));
        assert!(a.url.as_str().contains(a.verifier.challenge().as_str()));
        assert!(a.url.path() == "/auth/authorize");
    }

    /// The live redirects (consent page and backend) read with the shared parser.
    #[test]
    fn item22_live_callbacks() {
        match parse_callback("code=Xy_-43charsAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&state=s1").unwrap() {
            Callback::Code { code, state, .. } => {
                assert!(code.secret().starts_with("Xy_-"));
                assert_eq!(state.unwrap().as_str(), "s1");
            }
            other => panic!("{other:?}"),
        }
        let deny = parse_callback("error=access_denied&error_description=User+denied+access&state=s%2B1").unwrap();
        match deny {
            Callback::Error { error, error_description, state, .. } => {
                assert_eq!(error, OAuthErrorCode::AccessDenied);
                assert_eq!(error_description.as_deref(), Some("User denied access"));
                assert_eq!(state.unwrap().as_str(), "s+1");
            }
            other => panic!("{other:?}"),
        }
        for (code, want) in [
            ("invalid_scope", OAuthErrorCode::InvalidScope),
            ("unsupported_response_type", OAuthErrorCode::UnsupportedResponseType),
            ("server_error", OAuthErrorCode::ServerError),
        ] {
            let c = parse_callback(&format!("error={code}&state=s&error_description=An+unexpected+error")).unwrap();
            assert!(matches!(c, Callback::Error { ref error, .. } if *error == want), "{c:?}");
        }
    }
}
