//! Token endpoint answers of both contracts: the guide's `client::parse_token_response` and the
//! live `oauth_error::parse_token_response` (with introspection and revocation, and
//! `LiveOAuthError::from_response` for every non-2xx). Input: `STATUS\nheaders\n\nbody`; each
//! body is also read under the statuses that matter (200, 302, 400, 401, 422, 429, 500, 503).
//!
//! Asserts: never panics; a 2xx is tokens or a parse error, anything else an error of the
//! status kind; 429 is `RateLimited` with `Retry-After`; a 2xx that fails to parse hands back
//! the body's rotated `refresh_token` (issue 11 item 7) and neither its `Display` nor its
//! `Debug` shows a token from the body; parsed tokens print redacted; live tokens are
//! non-empty; "reconnect required" (which deletes the user's tokens) only ever comes from a
//! 4xx — a failing or redirecting server is never the grant's fault; a live 3xx is always
//! `Unexpected` (redirects are never followed).
#![no_main]

use autogpt::client::{OAuthClientError, parse_token_response as guide_parse};
use autogpt::live::LiveOAuthError;
use autogpt::live::oauth_error::{parse_introspection_response, parse_revoke_response, parse_token_response};
use autogpt_fuzz::{assert_hidden, http_response, secret_values, with_status};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const NOW: i64 = 1_767_225_600;

/// Besides the input's own status, each body is also read as the answer of these.
const STATUSES: [u16; 8] = [200, 302, 400, 401, 422, 429, 500, 503];

fuzz_target!(|data: &[u8]| {
    let Some(res) = http_response(data) else { return };
    check(&res);
    for status in STATUSES.into_iter().filter(|s| *s != res.status().as_u16()) {
        check(&with_status(&res, status));
    }
});

fn check(res: &http::Response<Vec<u8>>) {
    let (status, body) = (res.status(), res.body().as_slice());
    let secrets = secret_values(body);
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(std::time::Duration::from_secs);
    let rotated = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("refresh_token")?.as_str().filter(|s| !s.is_empty()).map(str::to_owned));

    // Guide profile.
    match guide_parse(res, NOW) {
        Ok(tokens) => {
            assert!(status.is_success());
            if let Some(s) = tokens.expires_in {
                assert_eq!(tokens.expires_at, Some(NOW.saturating_add(s)));
            }
            let visible = format!(
                "{:?}{:?}{:?}{:?}{REDACTED}",
                tokens.token_type, tokens.scopes, tokens.expires_in, tokens.expires_at
            );
            let mut secrets = vec![tokens.access_token.secret()];
            secrets.extend(tokens.refresh_token.as_ref().map(|t| t.secret()));
            secrets.extend(tokens.id_token.as_ref().map(|t| t.secret()));
            assert_redacted("guide TokenResponse", &format!("{tokens:?}"), &secrets, &visible);
        }
        Err(e) => {
            assert_eq!(status.is_success(), matches!(e, OAuthClientError::TokenParse(_)), "{e:?}");
            if status == 429 {
                assert!(matches!(e, OAuthClientError::RateLimited { retry_after: r } if r == retry_after));
            }
            if e.requires_reconnect() {
                assert!(status.is_client_error(), "reconnect required from HTTP {status}");
            }
            if let OAuthClientError::TokenParse(p) = &e {
                assert_eq!(p.refresh_token().map(|t| t.secret()), rotated.as_deref());
                assert_hidden("guide token parse error", &format!("{e} {e:?}"), &secrets);
            }
        }
    }

    // Live profile.
    match parse_token_response(res) {
        Ok(tokens) => {
            assert!(status.is_success());
            assert!(!tokens.access_token.secret().is_empty() && !tokens.refresh_token.secret().is_empty());
            let visible = format!(
                "{:?}{:?}{:?}{:?}{REDACTED}",
                tokens.token_type, tokens.scopes, tokens.access_token_expires_at, tokens.refresh_token_expires_at
            );
            let secrets = [tokens.access_token.secret(), tokens.refresh_token.secret()];
            assert_redacted("LiveTokenResponse", &format!("{tokens:?}"), &secrets, &visible);
            let expires = tokens.access_token_expires_at;
            let neutral = tokens.into_token_response();
            assert!(neutral.refresh_token.is_some());
            assert_eq!(neutral.expires_at, Some(expires));
        }
        Err(e) => {
            assert_eq!(status.is_success(), matches!(e, LiveOAuthError::TokenParse(_)), "{e:?}");
            check_live_error(&e, status, retry_after);
            if let LiveOAuthError::TokenParse(p) = &e {
                assert_eq!(p.refresh_token().map(|t| t.secret()), rotated.as_deref());
                assert_eq!(e.rotated_refresh_token().map(|t| t.secret()), rotated.as_deref());
                assert_hidden("live token parse error", &format!("{e} {e:?}"), &secrets);
            }
        }
    }
    match parse_introspection_response(res) {
        Ok(_) => assert!(status.is_success()),
        Err(e) => {
            assert_eq!(status.is_success(), matches!(e, LiveOAuthError::Parse(_)), "{e:?}");
            check_live_error(&e, status, retry_after);
            if status.is_success() {
                assert_hidden("introspection parse error", &format!("{e} {e:?}"), &secrets);
            }
        }
    }
    assert_eq!(parse_revoke_response(res).is_ok(), status.is_success());
}

/// What a token struct's `Debug` prints besides its other fields.
const REDACTED: &str = "TokenResponse LiveTokenResponse AccessToken([redacted]) RefreshToken([redacted]) \
                        IdToken([redacted]) Some None access_token refresh_token expires_at expires_in \
                        token_type scopes id_token";

/// `shown` must not contain a token, unless the token also is text printed by another field.
fn assert_redacted(what: &str, shown: &str, tokens: &[&str], visible: &str) {
    let tokens: Vec<String> =
        tokens.iter().filter(|t| t.len() >= 8 && !visible.contains(**t)).map(|t| (*t).to_owned()).collect();
    assert_hidden(what, shown, &tokens);
}

fn check_live_error(e: &LiveOAuthError, status: http::StatusCode, retry_after: Option<std::time::Duration>) {
    if status == 429 {
        assert!(matches!(e, LiveOAuthError::RateLimited { .. }));
        assert_eq!(e.retry_after(), retry_after);
    }
    if e.requires_reconnect() {
        assert!(status.is_client_error(), "reconnect required from HTTP {status}: {e:?}");
    }
    if status.is_redirection() {
        assert!(matches!(e, LiveOAuthError::Unexpected { .. }), "a redirect read as {e:?}");
    }
}
