//! OAuth client against a capturing stub (checklist 23, 25, 26, 27).

use std::time::Duration;

use autogpt::authorize::{Callback, authorization_url};
use autogpt::client::{AuthorizationOutcome, OAuthClient, OAuthClientError, RevokableToken};
use autogpt::error::OAuthErrorCode;
use autogpt::ids::ClientId;
use autogpt::origin::RedirectUri;
use autogpt::pkce::PkceVerifier;
use autogpt::random::State;
use autogpt::scope::Scope;
use autogpt::secret::{AccessToken, ApiKey, AuthorizationCode, ClientSecret, RefreshToken};
use http::StatusCode;

use crate::stub::{Reply, Stub};
use crate::{fixture, platform, transport};

const REDIRECT: &str = "http://127.0.0.1:3000/oauth/callback";

fn client(stub: &Stub) -> OAuthClient {
    OAuthClient::new(
        transport(),
        platform(&stub.url()),
        ClientId::new("agpt_client_1"),
        ClientSecret::new("s3cr3t+/="),
        RedirectUri::new(REDIRECT).unwrap(),
    )
}

fn verifier() -> PkceVerifier {
    PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap()
}

/// Checklist 25 and 23: secret in the form body, no Authorization header, and the
/// `redirect_uri` byte-identical to the authorization request's.
#[tokio::test]
async fn item25_item23_code_exchange_is_client_secret_post() {
    let stub = Stub::start(vec![Reply::json(200, &fixture("token_response.json"))]).await;
    let c = client(&stub);
    let tokens = c.exchange_code(&AuthorizationCode::new("code-123"), verifier(), 1_000).await.unwrap();
    assert_eq!(tokens.access_token.secret(), "at-1");
    assert_eq!(tokens.expires_at, Some(4_600));
    assert_eq!(tokens.scopes.len(), 4);

    let reqs = stub.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", "/oauth/token"));
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.body_str(), fixture("token_request_code.form"));

    let auth = authorization_url(
        &platform(&stub.url()),
        &ClientId::new("agpt_client_1"),
        c.redirect_uri(),
        &[Scope::OPENID],
        &State::new("s"),
        &verifier().challenge(),
    );
    let sent_in_authorize = auth.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1;
    let sent_in_token = url::form_urlencoded::parse(&r.body).find(|(k, _)| k == "redirect_uri").unwrap().1;
    assert_eq!(sent_in_authorize.as_bytes(), sent_in_token.as_bytes());
}

/// Checklist 25 for refresh.
#[tokio::test]
async fn item25_refresh_is_client_secret_post() {
    let stub = Stub::start(vec![Reply::json(200, &fixture("token_response.json"))]).await;
    let t = client(&stub).refresh(&RefreshToken::new("rt-old"), 0).await.unwrap();
    assert_eq!(t.refresh_token.unwrap().secret(), "rt-1");
    let r = &stub.requests()[0];
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.body_str(), fixture("token_request_refresh.form"));
}

/// Checklist 26: a redirecting token endpoint is not followed.
#[tokio::test]
async fn item26_token_client_follows_no_redirect() {
    let second = Stub::start(vec![Reply::json(200, &fixture("token_response.json"))]).await;
    let first =
        Stub::start(vec![Reply::json(302, "").header("location", &format!("{}/oauth/token", second.url()))]).await;
    let err = client(&first).exchange_code(&AuthorizationCode::new("c"), verifier(), 0).await.unwrap_err();
    assert!(matches!(err, OAuthClientError::UnexpectedStatus { status, .. } if status == StatusCode::FOUND), "{err:?}");
    assert_eq!(first.requests().len(), 1);
    assert!(second.requests().is_empty());
    // Same for a 307, which would re-POST the secret.
    let first =
        Stub::start(vec![Reply::json(307, "").header("location", &format!("{}/oauth/token", second.url()))]).await;
    assert!(client(&first).refresh(&RefreshToken::new("r"), 0).await.is_err());
    assert!(second.requests().is_empty());
}

/// Checklist 27: both error shapes, with 400 and 401.
#[tokio::test]
async fn item27_token_errors_top_level_and_nested() {
    for status in [400, 401] {
        for (body, code) in [
            (fixture("token_error_top.json"), OAuthErrorCode::InvalidClient),
            (fixture("token_error_nested.json"), OAuthErrorCode::InvalidGrant),
        ] {
            let stub = Stub::start(vec![Reply::json(status, &body)]).await;
            let err = client(&stub).exchange_code(&AuthorizationCode::new("c"), verifier(), 0).await.unwrap_err();
            assert_eq!(err.requires_reconnect(), code == OAuthErrorCode::InvalidGrant);
            match err {
                OAuthClientError::OAuth { status: s, error, description } => {
                    assert_eq!(s.as_u16(), status);
                    assert_eq!(error, code);
                    assert!(description.is_some());
                }
                other => panic!("{status} {body}: {other:?}"),
            }
        }
    }
}

/// Checklist 37: the configured client does not print its secret.
#[tokio::test]
async fn item37_client_debug_hides_secret() {
    let stub = Stub::start(vec![Reply::json(200, "{}")]).await;
    let s = format!("{:?}", client(&stub));
    assert!(!s.contains("s3cr3t"), "{s}");
    assert!(s.contains("[redacted]"));
}

#[tokio::test]
async fn rate_limit_and_parse_errors() {
    let stub = Stub::start(vec![
        Reply::json(429, &fixture("rate_limited.json")).header("retry-after", "20"),
        Reply::html(200, "<html>not json</html>"),
        Reply::json(500, "oops"),
    ])
    .await;
    let c = client(&stub);
    let r = c.refresh(&RefreshToken::new("r"), 0).await.unwrap_err();
    assert!(matches!(r, OAuthClientError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(20)));
    match c.refresh(&RefreshToken::new("r"), 0).await.unwrap_err() {
        OAuthClientError::TokenParse(p) => {
            assert_eq!(p.parse_error().body_len(), "<html>not json</html>".len());
            assert!(!format!("{p:?}").contains("not json"), "item 7: no body bytes");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        c.refresh(&RefreshToken::new("r"), 0).await.unwrap_err(),
        OAuthClientError::UnexpectedStatus { body, .. } if body == "oops"
    ));
}

#[tokio::test]
async fn transport_error_is_typed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = OAuthClient::new(
        transport(),
        platform(&url),
        ClientId::new("c"),
        ClientSecret::new("s"),
        RedirectUri::new(REDIRECT).unwrap(),
    );
    let err = c.refresh(&RefreshToken::new("r"), 0).await.unwrap_err();
    assert!(matches!(err, OAuthClientError::Transport(_)), "{err:?}");
}

/// The authorization request with an API key, and each way the platform can answer.
#[tokio::test]
async fn authorization_request_outcomes() {
    let meta =
        r#"<html><head><meta http-equiv="refresh" content="0;url=/login?next=%2Foauth%2Fauthorize"></head></html>"#;
    let stub = Stub::start(vec![
        Reply::html(200, "<form action=\"https://platform.test/oauth/consent\">Approve</form>"),
        Reply::html(302, "").header("location", "/login?next=x"),
        Reply::html(303, "").header("location", "https://platform.test/login"),
        Reply::json(401, r#"{"detail":"Not authenticated"}"#),
        Reply::html(200, meta),
        Reply::html(302, "").header("location", &format!("{REDIRECT}?code=abc&state=st")),
        Reply::html(302, "")
            .header("location", &format!("{REDIRECT}?error=access_denied&error_description=User+denied&state=st")),
        Reply::html(400, "Invalid client"),
    ])
    .await;
    let c = client(&stub);
    let url = authorization_url(
        &platform(&stub.url()),
        &ClientId::new("agpt_client_1"),
        c.redirect_uri(),
        &[Scope::OPENID, Scope::AGENTS_EXECUTE],
        &State::new("st"),
        &verifier().challenge(),
    );
    let key = ApiKey::new("agpt_key_1");
    let mut outcomes = Vec::new();
    for _ in 0..8 {
        outcomes.push(c.request_authorization(&url, Some(&key)).await.unwrap());
    }
    assert!(matches!(&outcomes[0], AuthorizationOutcome::ConsentPage { html } if html.contains("Approve")));
    match &outcomes[1] {
        AuthorizationOutcome::NeedsLogin { location: Some(l) } => {
            assert_eq!(l.as_str(), format!("{}/login?next=x", stub.url()))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&outcomes[2], AuthorizationOutcome::NeedsLogin { location: Some(_) }));
    assert!(matches!(&outcomes[3], AuthorizationOutcome::NeedsLogin { location: None }));
    match &outcomes[4] {
        AuthorizationOutcome::NeedsLogin { location: Some(l) } => assert_eq!(l.path(), "/login"),
        other => panic!("{other:?}"),
    }
    match &outcomes[5] {
        AuthorizationOutcome::Redirect(Callback::Code { code, state, .. }) => {
            assert_eq!(code.secret(), "abc");
            assert!(state.as_ref().unwrap().matches("st"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &outcomes[6],
        AuthorizationOutcome::Redirect(Callback::Error { error: OAuthErrorCode::AccessDenied, .. })
    ));
    assert!(matches!(&outcomes[7], AuthorizationOutcome::Rejected { status, .. } if status.as_u16() == 400));

    let reqs = stub.requests();
    assert_eq!(reqs.len(), 8, "no redirect was followed");
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].header("x-api-key"), Some("agpt_key_1"));
    assert!(reqs[0].target.starts_with("/oauth/authorize?response_type=code&client_id=agpt_client_1"));
}

#[tokio::test]
async fn revoke_and_userinfo() {
    let stub = Stub::start(vec![Reply::json(200, "{}"), Reply::json(200, &fixture("userinfo.json"))]).await;
    let c = client(&stub);
    c.revoke(RevokableToken::Refresh(&RefreshToken::new("rt-old"))).await.unwrap();
    let info = c.userinfo(&AccessToken::new("at-1")).await.unwrap();
    assert_eq!(info.sub.as_str(), "user-1");
    assert_eq!(info.email_verified, Some(true));
    let reqs = stub.requests();
    assert_eq!(reqs[0].target, "/oauth/revoke");
    assert_eq!(reqs[0].header("authorization"), None);
    assert_eq!(reqs[0].body_str(), fixture("revoke_request.form"));
    assert_eq!(reqs[1].target, "/oauth/userinfo");
    assert_eq!(reqs[1].header("authorization"), Some("Bearer at-1"));
}
