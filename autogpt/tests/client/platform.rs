//! The `Platform` seam: the same calls against a guide stub and a live stub give the same
//! profile-neutral values.

use std::time::Duration;

use autogpt::client::live::{LiveApiClient, LiveOAuthClient};
use autogpt::client::{
    ApiBasePath, ExternalApiClient, GuidePlatform, LivePlatform, OAuthClient, Platform, PlatformError, RevokableToken,
    StartRun,
};
use autogpt::ids::{AgentId, ClientId, ExecutionId, Provider};
use autogpt::live::api::{Credential, IdempotencyKey, LibraryAgentId, RunRequest};
use autogpt::live::{BackendUrl, Permission};
use autogpt::origin::{PlatformUrl, RedirectUri};
use autogpt::pkce::PkceVerifier;
use autogpt::platform::{ConnectedCredentialId, Profile};
use autogpt::scope::Scope;
use autogpt::secret::{AccessToken, ApiKey, AuthorizationCode, ClientSecret, RefreshToken};
use autogpt::types::{ExecuteRequest, ExecutionStatus};

use crate::live_golden::{AT, RT_NEW, RT_OLD, app};
use crate::stub::{Reply, Stub};
use crate::{fixture, live_fixture, platform, transport};

fn guide(stub: &Stub) -> Platform {
    let p = platform(&stub.url());
    Platform::Guide(GuidePlatform {
        oauth: OAuthClient::new(
            transport(),
            p.clone(),
            ClientId::new("agpt_client_1"),
            ClientSecret::new("s3cr3t+/="),
            RedirectUri::new("http://127.0.0.1:3000/oauth/callback").unwrap(),
        ),
        api: ExternalApiClient::new(transport(), p, ApiBasePath::default()),
        scopes: vec![Scope::OPENID, Scope::AGENTS_EXECUTE],
    })
}

fn live(stub: &Stub) -> Platform {
    let backend = BackendUrl::parse(&stub.url()).unwrap();
    Platform::Live(LivePlatform {
        oauth: LiveOAuthClient::new(
            transport(),
            PlatformUrl::parse("https://platform.test").unwrap(),
            backend.clone(),
            app(),
        ),
        api: LiveApiClient::new(transport(), backend),
        permissions: vec![Permission::Identity, Permission::RunAgent, Permission::ReadRun],
    })
}

fn bearer() -> Credential {
    Credential::Bearer(AccessToken::new(AT))
}

fn verifier() -> PkceVerifier {
    PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap()
}

#[tokio::test]
async fn sign_in_both_profiles() {
    let g = Stub::start(vec![Reply::json(200, &fixture("token_response.json"))]).await;
    let l = Stub::start(vec![
        Reply::json(200, &live_fixture("token_response_fraction.json")),
        Reply::json(200, &live_fixture("revoke_response.json")),
    ])
    .await;
    let (g, gs, l, ls) = (guide(&g), g, live(&l), l);
    assert_eq!((g.profile(), l.profile()), (Profile::Guide, Profile::Live));
    assert!(g.start_sign_in().url.path().ends_with("/oauth/authorize"));
    let pending = l.start_sign_in();
    assert_eq!(pending.url.path(), "/auth/authorize");
    assert!(pending.url.as_str().contains("scope=IDENTITY+RUN_AGENT+READ_RUN"));

    let gt = g.exchange_code(&AuthorizationCode::new("code-123"), verifier(), 1_000).await.unwrap();
    let lt = l.exchange_code(&AuthorizationCode::new("code-123"), verifier(), 1_000).await.unwrap();
    assert_eq!(gt.expires_at, Some(4_600));
    assert_eq!(lt.expires_at, Some(1_791_468_192));
    assert_eq!(lt.refresh_token.as_ref().unwrap().secret(), RT_NEW);
    l.revoke(RevokableToken::Refresh(&RefreshToken::new(RT_OLD))).await.unwrap();
    assert_eq!(gs.requests()[0].target, "/oauth/token");
    let lr = ls.requests();
    assert_eq!(lr[0].target, "/api/oauth/token");
    assert_eq!(lr[1].body_str(), live_fixture("revoke_request.json"));
}

#[tokio::test]
async fn identity_and_credentials_both_profiles() {
    let gs =
        Stub::start(vec![Reply::json(200, &fixture("userinfo.json")), Reply::json(200, &fixture("grants_list.json"))])
            .await;
    let ls = Stub::start(vec![
        Reply::json(200, &live_fixture("me.json")),
        Reply::json(200, &live_fixture("credentials_legacy.json")),
    ])
    .await;
    let (g, l) = (guide(&gs), live(&ls));
    assert_eq!(g.identity(&bearer()).await.unwrap().name.as_deref(), Some("Ada"));
    let me = l.identity(&bearer()).await.unwrap();
    assert_eq!(me.email.as_deref(), Some("alice@example.com"));
    let github = Provider::new("GitHub");
    let grants = g.connected_credentials(&bearer(), Some(&github)).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert!(matches!(&grants[0].id, ConnectedCredentialId::Grant(id) if id.as_str() == "grant-2"));
    let creds = l.connected_credentials(&bearer(), Some(&github)).await.unwrap();
    assert!(matches!(&creds[0].id, ConnectedCredentialId::Credential(id) if id.as_str() == "cred-gh-1"));
    assert_eq!(creds[0].title.as_deref(), Some("Work GitHub"));
    assert_eq!(ls.requests()[1].target, "/external-api/v2/integrations/credentials?provider=GitHub&limit=100");
}

#[tokio::test]
async fn runs_both_profiles() {
    let gs = Stub::start(vec![
        Reply::json(200, &fixture("execute_response.json")),
        Reply::json(200, &fixture("execution_completed_upper.json")),
        Reply::json(200, &fixture("cancel_response.json")),
        Reply::json(200, &fixture("execution_completed_upper.json")),
    ])
    .await;
    let ls = Stub::start(vec![
        Reply::json(202, &live_fixture("run_queued.json")),
        Reply::json(200, &live_fixture("run_details.json")),
        Reply::json(202, &live_fixture("run_queued.json")),
    ])
    .await;
    let (g, l) = (guide(&gs), live(&ls));
    let req = ExecuteRequest { inputs: Default::default(), grant_ids: None, webhook_url: None };
    let started =
        g.start_run(&bearer(), StartRun::Guide { agent: AgentId::new("agent-1"), request: req }).await.unwrap();
    assert_eq!(started.status, ExecutionStatus::Queued);
    let done = g.run(&bearer(), &started.id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_eq!(done.outputs["result"][0], "hello");
    assert_eq!(g.stop_run(&bearer(), &started.id).await.unwrap().status, ExecutionStatus::Completed);
    assert_eq!(gs.requests().len(), 4, "guide stop = cancel + read");

    let key = IdempotencyKey::new("k-1").unwrap();
    let start = StartRun::Live {
        agent: LibraryAgentId::new("la-echo"),
        request: RunRequest::default(),
        idempotency_key: Some(key),
    };
    let started = l.start_run(&bearer(), start).await.unwrap();
    assert_eq!((started.id.as_str(), started.status.clone()), ("run-1", ExecutionStatus::Queued));
    let done = l.run(&bearer(), &started.id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_eq!(done.errors.len(), 1, "the failed block is reported");
    assert_eq!((done.cost_cents, done.duration_seconds), (Some(3), Some(3.75)));
    assert_eq!(done.outputs["result"].len(), 2);
    l.stop_run(&bearer(), &ExecutionId::new("run-1")).await.unwrap();
    let r = ls.requests();
    assert_eq!(r[0].header("idempotency-key"), Some("k-1"));
    assert_eq!(r[1].target, "/external-api/v2/runs/run-1");
    assert_eq!(r[2].target, "/external-api/v2/runs/run-1/stop");
}

#[tokio::test]
async fn profile_mismatches_are_typed() {
    let s = Stub::start(vec![Reply::json(200, "{}")]).await;
    let (g, l) = (guide(&s), live(&s));
    let key = Credential::ApiKey(ApiKey::new("agpt_key"));
    assert!(matches!(g.identity(&key).await, Err(PlatformError::Unsupported { profile: Profile::Guide, .. })));
    let live_start =
        StartRun::Live { agent: LibraryAgentId::new("a"), request: RunRequest::default(), idempotency_key: None };
    assert!(matches!(
        g.start_run(&bearer(), live_start).await,
        Err(PlatformError::WrongProfile { platform: Profile::Guide, request: Profile::Live })
    ));
    let guide_start = StartRun::Guide {
        agent: AgentId::new("a"),
        request: ExecuteRequest { inputs: Default::default(), grant_ids: None, webhook_url: None },
    };
    assert!(matches!(l.start_run(&bearer(), guide_start).await, Err(PlatformError::WrongProfile { .. })));
    assert!(s.requests().is_empty());
    assert!(g.as_guide().is_some() && g.as_live().is_none() && l.as_live().is_some());
}

/// Checklist 37: the seam's values print no client secret or token.
#[tokio::test]
async fn item37_platform_debug_hides_secrets() {
    let s = Stub::start(vec![Reply::json(400, &live_fixture("token_error_invalid_grant.json"))]).await;
    let (g, l) = (guide(&s), live(&s));
    let e = l.refresh(&RefreshToken::new(RT_OLD), 0).await.unwrap_err();
    let shown = format!("{g:?} {l:?} {e:?} {e} {:?}", bearer());
    for secret in ["s3cr3t", "agpt_secret_1", AT, RT_OLD] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

/// The questions the app asks of any failure, answered for both contracts.
#[tokio::test]
async fn error_questions_both_profiles() {
    let gs = Stub::start(vec![
        Reply::json(400, &fixture("token_error_nested.json")),
        Reply::json(401, r#"{"detail":"Invalid or expired token"}"#),
        Reply::json(429, r#"{"detail":"Rate limit exceeded"}"#).header("retry-after", "9"),
    ])
    .await;
    let ls = Stub::start(vec![
        Reply::json(400, &live_fixture("token_error_invalid_grant.json")),
        Reply::json(401, &live_fixture("error_unauthorized.json")),
        Reply::json(429, &live_fixture("error_rate_limited.json")).header("Retry-After", "9"),
        Reply::json(404, r#"{"error":{"code":"not_found","message":"Run #x not found","details":null}}"#),
    ])
    .await;
    for (p, live_profile) in [(guide(&gs), false), (live(&ls), true)] {
        let e = p.refresh(&RefreshToken::new(RT_OLD), 0).await.unwrap_err();
        assert!(e.requires_reconnect(), "{e:?}");
        let e = p.run(&bearer(), &ExecutionId::new("x")).await.unwrap_err();
        assert!(e.is_unauthorized() && !e.requires_reconnect(), "{e:?}");
        let e = p.run(&bearer(), &ExecutionId::new("x")).await.unwrap_err();
        assert_eq!(e.retry_after(), Some(Duration::from_secs(9)), "{e:?}");
        if live_profile {
            assert!(p.run(&bearer(), &ExecutionId::new("x")).await.unwrap_err().is_not_found());
        }
    }
}
