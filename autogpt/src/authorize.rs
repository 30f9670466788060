//! The OAuth authorization request URL (guide Step 2, contract §2) and the callback query.

use url::Url;

use crate::error::OAuthErrorCode;
use crate::ids::ClientId;
use crate::origin::{PlatformUrl, RedirectUri};
use crate::pkce::{PkceChallenge, PkceVerifier};
use crate::random::State;
use crate::scope::Scope;
use crate::secret::AuthorizationCode;

/// Builds `{platform}/oauth/authorize?response_type=code&client_id&redirect_uri&state
/// &code_challenge&code_challenge_method=S256&scope` (G3). Deterministic: the caller supplies
/// state and challenge. Values are `application/x-www-form-urlencoded`, as `URLSearchParams` does.
pub fn authorization_url(
    platform: &PlatformUrl,
    client_id: &ClientId,
    redirect_uri: &RedirectUri,
    scopes: &[Scope],
    state: &State,
    challenge: &PkceChallenge,
) -> Url {
    let mut url = platform.join("/oauth/authorize");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id.as_str())
        .append_pair("redirect_uri", redirect_uri.as_str())
        .append_pair("state", state.as_str())
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", PkceChallenge::METHOD)
        .append_pair("scope", &Scope::join_space(scopes));
    url
}

/// A started authorization: the URL to send the user (or the server) to, and the two values
/// the server must keep in the user's session until the callback.
#[derive(Debug)]
pub struct PendingAuthorization {
    /// The authorization URL.
    pub url: Url,
    /// The `state` to bind to the session (checklist 20).
    pub state: State,
    /// The PKCE verifier, kept server-side only (checklist 19).
    pub verifier: PkceVerifier,
}

/// Generates a fresh state and PKCE verifier and builds the authorization URL.
pub fn start_authorization(
    platform: &PlatformUrl,
    client_id: &ClientId,
    redirect_uri: &RedirectUri,
    scopes: &[Scope],
) -> PendingAuthorization {
    let state = State::generate();
    let verifier = PkceVerifier::generate();
    let url = authorization_url(platform, client_id, redirect_uri, scopes, &state, &verifier.challenge());
    PendingAuthorization { url, state, verifier }
}

/// What the redirect to `redirect_uri` carried.
#[derive(Debug)]
pub enum Callback {
    /// Consent given: exchange `code` after checking `state`.
    Code {
        /// The authorization code.
        code: AuthorizationCode,
        /// The returned state.
        state: Option<State>,
        /// The `iss` parameter, if the server sent one (RFC 9207).
        iss: Option<String>,
    },
    /// Denied or failed.
    Error {
        /// The error code (`access_denied` when the user denied).
        error: OAuthErrorCode,
        /// Human-readable description.
        error_description: Option<String>,
        /// The returned state.
        state: Option<State>,
        /// The `iss` parameter, if any.
        iss: Option<String>,
    },
}

impl Callback {
    /// The `state` parameter, whatever the outcome (consume it in both cases, checklist 22).
    pub fn state(&self) -> Option<&State> {
        match self {
            Self::Code { state, .. } | Self::Error { state, .. } => state.as_ref(),
        }
    }
}

/// Why a callback query could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("callback carries neither `code` nor `error`")]
pub struct InvalidCallback;

/// Reads the callback query string (without `?`). `error` wins over `code` if both are present.
pub fn parse_callback(query: &str) -> Result<Callback, InvalidCallback> {
    let (mut code, mut state, mut error, mut desc, mut iss) = (None, None, None, None, None);
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let v = v.into_owned();
        match k.as_ref() {
            "code" => code = Some(v),
            "state" => state = Some(State::new(v)),
            "error" => error = Some(v),
            "error_description" => desc = Some(v),
            "iss" => iss = Some(v),
            _ => {}
        }
    }
    match (error, code) {
        (Some(e), _) => Ok(Callback::Error { error: OAuthErrorCode::parse(&e), error_description: desc, state, iss }),
        (None, Some(c)) => Ok(Callback::Code { code: AuthorizationCode::new(c), state, iss }),
        (None, None) => Err(InvalidCallback),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(url: &Url) -> Vec<(String, String)> {
        url.query_pairs().into_owned().collect()
    }

    /// Checklist 18 and G3: every parameter present, S256, space-joined scope.
    #[test]
    fn item18_authorization_url_parameters() {
        let platform = PlatformUrl::parse("https://platform.test").unwrap();
        let redirect = RedirectUri::new("https://app.test/oauth/callback?a=1&b=2").unwrap();
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let url = authorization_url(
            &platform,
            &ClientId::new("client 1&x"),
            &redirect,
            &[Scope::OPENID, Scope::AGENTS_EXECUTE],
            &State::new("st"),
            &verifier.challenge(),
        );
        assert_eq!(
            url.as_str(),
            "https://platform.test/oauth/authorize?response_type=code&client_id=client+1%26x\
             &redirect_uri=https%3A%2F%2Fapp.test%2Foauth%2Fcallback%3Fa%3D1%26b%3D2&state=st\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&scope=openid+agents%3Aexecute"
        );
        let p = params(&url);
        assert!(p.contains(&("redirect_uri".into(), redirect.as_str().into())));
        assert!(p.contains(&("scope".into(), "openid agents:execute".into())));
    }

    /// Checklist 19/20: a started authorization has fresh state and verifier, and the URL
    /// carries the challenge, never the verifier.
    #[test]
    fn item19_start_authorization_hides_verifier() {
        let platform = PlatformUrl::parse("https://platform.test").unwrap();
        let redirect = RedirectUri::new("https://app.test/cb").unwrap();
        let p = start_authorization(&platform, &ClientId::new("c"), &redirect, &[Scope::OPENID]);
        assert!(!p.url.as_str().contains(p.verifier.secret()));
        assert!(p.url.as_str().contains(p.verifier.challenge().as_str()));
        assert!(p.url.as_str().contains(p.state.as_str()));
        assert!(!format!("{p:?}").contains(p.verifier.secret()), "item 37");
    }

    #[test]
    fn item22_callback_parsing() {
        match parse_callback("code=abc&state=s1&iss=https%3A%2F%2Fp").unwrap() {
            Callback::Code { code, state, iss } => {
                assert_eq!(code.secret(), "abc");
                assert_eq!(state.unwrap().as_str(), "s1");
                assert_eq!(iss.as_deref(), Some("https://p"));
            }
            other => panic!("{other:?}"),
        }
        let c = parse_callback("error=access_denied&error_description=User+denied&state=s2").unwrap();
        assert_eq!(c.state().unwrap().as_str(), "s2");
        assert!(matches!(c, Callback::Error { error: OAuthErrorCode::AccessDenied, .. }));
        assert_eq!(parse_callback("state=x").unwrap_err(), InvalidCallback);
    }
}
