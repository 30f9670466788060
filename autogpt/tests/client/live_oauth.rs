//! Live OAuth client against capturing stubs (checklist 23, 25, 26, 32, 37; issue 11 item 7).

use autogpt::client::live::{LiveOAuthClient, LiveOAuthClientError};
use autogpt::client::{Transport, TransportSettings};
use autogpt::ids::Provider;
use autogpt::live::token::{Introspection, TokenRef};
use autogpt::live::wizard::WizardProvider;
use autogpt::live::{BackendUrl, LiveOAuthError, Permission};
use autogpt::origin::{PlatformUrl, RedirectUri};
use autogpt::pkce::PkceVerifier;
use autogpt::random::State;
use autogpt::secret::{AccessToken, AuthorizationCode, RefreshToken};

use crate::live_golden::{AT, RT_NEW, RT_OLD, app};
use crate::stub::{Reply, Stub};
use crate::{live_fixture as fixture, transport};

/// The backend under the single-container prefix, to check paths keep it.
fn client(stub: &Stub) -> LiveOAuthClient {
    LiveOAuthClient::new(
        transport(),
        PlatformUrl::parse("https://platform.test").unwrap(),
        BackendUrl::parse(&format!("{}/_agpt", stub.url())).unwrap(),
        app(),
    )
}

fn verifier() -> PkceVerifier {
    PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap()
}

/// Checklist 25 and 23: JSON body with the client credentials, `code_verifier` sent, no
/// `Authorization` header, the same `redirect_uri` bytes as the authorize URL.
#[tokio::test]
async fn item25_item23_code_exchange_is_json_with_credentials_in_body() {
    let stub = Stub::start(vec![Reply::json(200, &fixture("token_response_fraction.json"))]).await;
    let c = client(&stub);
    let t = c.exchange_code(&AuthorizationCode::new("code-123"), verifier()).await.unwrap();
    assert_eq!(t.access_token.secret(), AT);
    assert_eq!(t.access_token_expires_at, 1_791_468_192);
    let r = &stub.requests()[0];
    assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", "/_agpt/api/oauth/token"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.body_str(), fixture("token_request_code.json"));
    let pending = c.start_authorization(&[Permission::Identity]);
    let in_url = pending.url.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
    let sent: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(sent["redirect_uri"].as_str().unwrap().as_bytes(), in_url.as_bytes());
    assert!(pending.url.as_str().starts_with("https://platform.test/auth/authorize?client_id=agpt_client_1&"));
}

/// Rotation: the refresh answer's token replaces the one sent; no Authorization header.
#[tokio::test]
async fn item25_refresh_rotates() {
    let stub = Stub::start(vec![Reply::json(200, &fixture("token_response_plain.json"))]).await;
    let old = RefreshToken::new(RT_OLD);
    let t = client(&stub).refresh(&old).await.unwrap();
    assert_eq!(t.refresh_token.secret(), RT_NEW);
    assert_ne!(t.refresh_token, old);
    let common = t.into_token_response();
    assert_eq!(common.refresh_token.unwrap().secret(), RT_NEW);
    assert_eq!(common.expires_at, Some(1_791_468_192));
    let r = &stub.requests()[0];
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.body_str(), fixture("token_request_refresh.json"));
}

/// Checklist 26: a redirecting token endpoint is not followed (302, and 307 which would re-POST
/// the secret).
#[tokio::test]
async fn item26_no_redirect_followed() {
    let second = Stub::start(vec![Reply::json(200, &fixture("token_response_plain.json"))]).await;
    for status in [302, 307] {
        let first =
            Stub::start(vec![Reply::json(status, "").header("location", &format!("{}/api/oauth/token", second.url()))])
                .await;
        let e = client(&first).refresh(&RefreshToken::new(RT_OLD)).await.unwrap_err();
        assert!(
            matches!(&e, LiveOAuthClientError::OAuth(LiveOAuthError::Unexpected { status: s, .. }) if s.as_u16() == status),
            "{e:?}"
        );
        assert_eq!(first.requests().len(), 1);
    }
    assert!(second.requests().is_empty());
}

/// Checklist 32: `Invalid grant` is "reconnect required"; client and server errors are not.
#[tokio::test]
async fn item32_error_statuses_are_typed() {
    let stub = Stub::start(vec![
        Reply::json(400, &fixture("token_error_invalid_grant.json")),
        Reply::json(400, &fixture("token_error_pkce.json")),
        Reply::json(401, &fixture("token_error_client.json")),
        Reply::json(422, &fixture("token_error_422.json")),
        Reply::json(500, &fixture("token_error_500.json")),
        Reply::html(502, "<html><body>Bad Gateway</body></html>"),
        Reply::json(400, ""),
    ])
    .await;
    let c = client(&stub);
    let mut errors = Vec::new();
    for _ in 0..7 {
        errors.push(c.refresh(&RefreshToken::new(RT_OLD)).await.unwrap_err());
    }
    assert!(errors[0].requires_reconnect() && errors[1].requires_reconnect());
    assert!(errors[2..].iter().all(|e| !e.requires_reconnect()));
    let oauth = |i: usize| match &errors[i] {
        LiveOAuthClientError::OAuth(e) => e,
        other => panic!("{other:?}"),
    };
    assert!(matches!(oauth(1), LiveOAuthError::InvalidGrant { reason } if reason == "PKCE verification failed"));
    assert!(matches!(oauth(2), LiveOAuthError::InvalidClient { .. }));
    assert!(matches!(oauth(3), LiveOAuthError::Validation { issues, .. } if issues.len() == 1));
    assert!(matches!(oauth(4), LiveOAuthError::Server { .. }));
    assert!(matches!(oauth(5), LiveOAuthError::Unexpected { body, .. } if body.kind == autogpt::error::BodyKind::Html));
    assert!(matches!(oauth(6), LiveOAuthError::Unexpected { body, .. } if body.len == 0));
    for e in &errors {
        assert!(!format!("{e:?} {e}").contains("agpt_secret_1"), "{e:?}");
    }
}

/// Issue 11 item 7: a 200 token body that fails to parse keeps the rotated refresh token for
/// the caller, and neither token appears in `Debug` or `Display`.
#[tokio::test]
async fn item7_malformed_token_response_keeps_rotated_refresh_token() {
    let body = format!(
        r#"{{"token_type":"Bearer","access_token":"{AT}","access_token_expires_at":"next tuesday","refresh_token":"{RT_NEW}","scopes":["RUN_AGENT"]}}"#
    );
    let stub = Stub::start(vec![Reply::json(200, &body)]).await;
    let e = client(&stub).refresh(&RefreshToken::new(RT_OLD)).await.unwrap_err();
    assert_eq!(e.rotated_refresh_token().unwrap().secret(), RT_NEW);
    assert!(!e.requires_reconnect());
    let shown = format!("{e:?} {e}");
    assert!(!shown.contains(AT) && !shown.contains(RT_NEW) && !shown.contains("tuesday"), "{shown}");
    assert!(shown.contains("access_token_expires_at"), "{shown}");
}

#[tokio::test]
async fn introspect_and_revoke_bodies() {
    let stub = Stub::start(vec![
        Reply::json(200, &fixture("introspect_active.json")),
        Reply::json(200, &fixture("introspect_inactive.json")),
        Reply::json(200, &fixture("revoke_response.json")),
        Reply::json(401, r#"{"detail":"Invalid client_id"}"#),
    ])
    .await;
    let c = client(&stub);
    let at = AccessToken::new(AT);
    assert!(c.introspect(TokenRef::Access(&at)).await.unwrap().is_active());
    assert_eq!(c.introspect(TokenRef::Access(&at)).await.unwrap(), Introspection::Inactive);
    c.revoke(TokenRef::Refresh(&RefreshToken::new(RT_OLD))).await.unwrap();
    assert!(c.revoke(TokenRef::Refresh(&RefreshToken::new(RT_OLD))).await.is_err());
    let reqs = stub.requests();
    assert_eq!(reqs[0].target, "/_agpt/api/oauth/introspect");
    assert_eq!(reqs[0].body_str(), fixture("introspect_request.json"));
    assert_eq!(reqs[2].target, "/_agpt/api/oauth/revoke");
    assert_eq!(reqs[2].body_str(), fixture("revoke_request.json"));
    assert!(reqs.iter().all(|r| r.header("authorization").is_none()));
}

/// Checklist 37: the client, its registration and its token values print no secret.
#[tokio::test]
async fn item37_debug_hides_secrets() {
    let stub = Stub::start(vec![Reply::json(200, &fixture("token_response_plain.json"))]).await;
    let c = client(&stub);
    let t = c.refresh(&RefreshToken::new(RT_OLD)).await.unwrap();
    let shown = format!("{c:?} {:?} {t:?} {:?}", c.app(), c.start_authorization(&[Permission::Identity]));
    for secret in ["agpt_secret_1", AT, RT_NEW, RT_OLD] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[tokio::test]
async fn setup_wizard_url_from_the_client() {
    let stub = Stub::start(vec![Reply::json(200, "{}")]).await;
    let back = RedirectUri::new("http://127.0.0.1:3000/api/autogpt/integrations/callback").unwrap();
    let providers = [WizardProvider::new(Provider::new("github"), None).unwrap()];
    let url = client(&stub).setup_wizard_url(&providers, &back, &State::new("s1"));
    assert_eq!(
        url.as_str(),
        "https://platform.test/auth/integrations/setup-wizard?client_id=agpt_client_1\
         &providers=W3sicHJvdmlkZXIiOiJnaXRodWIifV0%3D\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fapi%2Fautogpt%2Fintegrations%2Fcallback&state=s1"
    );
}

#[tokio::test]
async fn transport_failure_is_typed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let t = Transport::with_settings(&TransportSettings::default()).unwrap();
    let c = LiveOAuthClient::new(t, PlatformUrl::parse(&url).unwrap(), BackendUrl::parse(&url).unwrap(), app());
    let e = c.refresh(&RefreshToken::new(RT_OLD)).await.unwrap_err();
    assert!(matches!(e, LiveOAuthClientError::Transport(_)), "{e:?}");
}
