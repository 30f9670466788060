//! The live OAuth client against the live sandbox, in process: the browser round trip scripted
//! over HTTP on the pages origin, the JSON token endpoint on the API origin, rotation,
//! introspection, revocation, every typed failure, the `Platform` seam's sign-in, and the setup
//! wizard URL the client builds (checklist 18–23, 28–30, 32, 39).

use autogpt::client::live::LiveOAuthClientError;
use autogpt::client::{PlatformError, RevokableToken, StartRun};
use autogpt::error::OAuthErrorCode;
use autogpt::ids::{AgentId, ClientId, CredentialId, Provider};
use autogpt::live::api::{
    CallerCredential, Credential, CredentialsInput, ErrorCode, LibraryAgentId, RunId, RunRequest,
};
use autogpt::live::authorize::{Callback, parse_callback};
use autogpt::live::token::{Introspection, TokenRef, TokenTypeHint};
use autogpt::live::wizard::{WizardCallback, WizardProvider, parse_wizard_callback};
use autogpt::live::{LiveOAuthError, Permission};
use autogpt::origin::RedirectUri;
use autogpt::pkce::PkceVerifier;
use autogpt::platform::{ConnectedCredentialId, Profile};
use autogpt::random::State;
use autogpt::scope::ProviderScope;
use autogpt::secret::{AuthorizationCode, RefreshToken};
use autogpt::types::{ExecuteRequest, ExecutionStatus};
use serde_json::json;

use crate::live_sandbox_support::*;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn invalid_grant_reason(e: &LiveOAuthClientError) -> &str {
    match e {
        LiveOAuthClientError::OAuth(LiveOAuthError::InvalidGrant { reason }) => reason,
        other => panic!("expected an invalid grant, got {other:?}"),
    }
}

fn invalid_client_detail(e: &LiveOAuthClientError) -> &str {
    match e {
        LiveOAuthClientError::OAuth(LiveOAuthError::InvalidClient { detail }) => detail,
        other => panic!("expected a client error, got {other:?}"),
    }
}

/// Checklist 28 and 30 end to end: consent in the browser, JSON code exchange, a refresh that
/// rotates (the old refresh token is refused, typed, and the new one works), introspection of
/// both tokens, active and inactive, and revocation of each.
#[tokio::test]
async fn item28_item30_round_trip_exchange_refresh_rotation_introspect_revoke() {
    let sb = start().await;
    let oauth = sb.oauth();
    let api = sb.api();
    // checklist 18: the client's URL is the pages origin's consent page, and the page takes it
    let pending = oauth.start_authorization(&APP_PERMISSIONS);
    assert_eq!(pending.url.origin().ascii_serialization(), sb.pages_origin());
    assert_eq!(pending.url.path(), "/auth/authorize");
    let browser = sb.browser();
    let callback = browser.consent(&pending.url, ALICE.0, ALICE.1, "authorize").await;
    let code = code_from(&callback, &pending);
    assert_eq!(
        callback.as_str(),
        format!("{CALLBACK}?code={}&state={}", code.secret(), pending.state.as_str()),
        "code, then state"
    );
    let before = now();
    let tokens = oauth.exchange_code(&code, pending.verifier).await.unwrap();
    assert!(tokens.access_token.secret().starts_with("agpt_xt_"));
    assert!(tokens.refresh_token.secret().starts_with("agpt_rt_"));
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.scopes, APP_PERMISSIONS, "checklist 39: the granted scopes are read");
    assert!((before + 3_595..=now() + 3_600).contains(&tokens.access_token_expires_at));
    let month = tokens.refresh_token_expires_at.unwrap() - before;
    assert!((30 * 86_400 - 5..=30 * 86_400 + 5).contains(&month), "{month}");
    assert!(!tokens.is_expiring(now(), 60));

    // the code is single use (checklist 32: a dead grant is typed)
    let verifier = PkceVerifier::generate();
    let replay = oauth.exchange_code(&code, verifier).await.unwrap_err();
    assert!(replay.requires_reconnect());
    assert!(invalid_grant_reason(&replay).starts_with("authorization code already used at "), "{replay:?}");

    let bearer = Credential::Bearer(tokens.access_token.clone());
    let me = api.me(&bearer).await.unwrap().value;
    assert_eq!((me.user_id.as_str(), me.credential_type), ("user-alice", Some(CallerCredential::OAuth)));
    assert_eq!(me.scopes, APP_PERMISSIONS);

    // introspection: both tokens active, with the owning app and user
    let Introspection::Active(active) = oauth.introspect(TokenRef::Access(&tokens.access_token)).await.unwrap() else {
        panic!("the access token is active")
    };
    assert_eq!(active.client_id, Some(ClientId::new(CLIENT_ID)));
    assert_eq!(active.user_id.as_ref().map(|u| u.as_str()), Some("user-alice"));
    assert_eq!(active.token_type, Some(TokenTypeHint::AccessToken));
    assert_eq!(active.scopes, APP_PERMISSIONS);
    assert!(active.exp.unwrap().abs_diff(tokens.access_token_expires_at) <= 1, "exp is unix seconds");
    let Introspection::Active(r) = oauth.introspect(TokenRef::Refresh(&tokens.refresh_token)).await.unwrap() else {
        panic!("the refresh token is active")
    };
    assert_eq!(r.token_type, Some(TokenTypeHint::RefreshToken));
    let unknown = RefreshToken::new("agpt_rt_never-issued");
    assert_eq!(oauth.introspect(TokenRef::Refresh(&unknown)).await.unwrap(), Introspection::Inactive);

    // rotation: both tokens new; the old access token lives on until it expires
    let rotated = oauth.refresh(&tokens.refresh_token).await.unwrap();
    assert_ne!(rotated.refresh_token, tokens.refresh_token);
    assert_ne!(rotated.access_token, tokens.access_token);
    assert_eq!(rotated.scopes, APP_PERMISSIONS, "scopes cannot change on refresh");
    assert!(rotated.refresh_token_expires_at >= tokens.refresh_token_expires_at, "a fresh 30 days");
    assert!(api.me(&bearer).await.is_ok());
    assert!(api.me(&Credential::Bearer(rotated.access_token.clone())).await.is_ok());
    // the old refresh token is gone: typed invalid grant, reconnect required (checklist 30, 32)
    let old = oauth.refresh(&tokens.refresh_token).await.unwrap_err();
    assert!(old.requires_reconnect());
    assert_eq!(invalid_grant_reason(&old), "refresh token has been revoked");
    assert!(old.rotated_refresh_token().is_none());
    assert_eq!(oauth.introspect(TokenRef::Refresh(&tokens.refresh_token)).await.unwrap(), Introspection::Inactive);
    // ...and the stored (new) one keeps working
    let again = oauth.refresh(&rotated.refresh_token).await.unwrap();

    // revocation: the access token first; its refresh token survives, and vice versa
    oauth.revoke(TokenRef::Access(&again.access_token)).await.unwrap();
    assert_eq!(oauth.introspect(TokenRef::Access(&again.access_token)).await.unwrap(), Introspection::Inactive);
    let e = api.me(&Credential::Bearer(again.access_token.clone())).await.unwrap_err();
    assert!(e.is_unauthorized(), "{e:?}");
    assert!(format!("{e}").contains("Invalid token: access token has been revoked"), "{e}");
    assert!(oauth.introspect(TokenRef::Refresh(&again.refresh_token)).await.unwrap().is_active());
    oauth.revoke(TokenRef::Refresh(&again.refresh_token)).await.unwrap();
    let e = oauth.refresh(&again.refresh_token).await.unwrap_err();
    assert!(e.requires_reconnect(), "{e:?}");
    // revoking something unknown (or already revoked) is still 200 {"status":"ok"}
    oauth.revoke(TokenRef::Refresh(&again.refresh_token)).await.unwrap();
    oauth.revoke(TokenRef::Refresh(&unknown)).await.unwrap();
    // the access token of the first rotation was never revoked
    assert!(api.me(&Credential::Bearer(rotated.access_token)).await.is_ok());
}

/// Checklist 29: a wrong PKCE verifier is a typed invalid grant, not a panic; the failed
/// attempt does not burn the code (the platform marks it used only after every check).
#[tokio::test]
async fn item29_wrong_pkce_verifier_is_a_typed_invalid_grant() {
    let sb = start().await;
    let oauth = sb.oauth();
    let pending = oauth.start_authorization(&[Permission::Identity]);
    let callback = sb.browser().consent(&pending.url, ALICE.0, ALICE.1, "authorize").await;
    let code = code_from(&callback, &pending);
    let e = oauth.exchange_code(&code, PkceVerifier::generate()).await.unwrap_err();
    assert_eq!(invalid_grant_reason(&e), "PKCE verification failed");
    assert!(e.requires_reconnect());
    let shown = format!("{e:?} {e}");
    assert!(!shown.contains(code.secret()) && !shown.contains(CLIENT_SECRET), "checklist 37: {shown}");
    let tokens = oauth.exchange_code(&code, pending.verifier).await.unwrap();
    assert_eq!(tokens.scopes, [Permission::Identity]);
    // an unknown code
    let e = oauth.exchange_code(&AuthorizationCode::new("no-such-code"), PkceVerifier::generate()).await.unwrap_err();
    assert_eq!(invalid_grant_reason(&e), "authorization code not found");
}

/// A wrong client secret or client id is a typed client error (HTTP 401 `{"detail"}`), which
/// is a configuration problem, not a dead grant; client checks run before the code is looked
/// at, so the code survives. A disabled app is refused at the token endpoint and its access
/// tokens stop working on v2.
#[tokio::test]
async fn wrong_client_secret_unknown_client_and_disabled_app_are_typed_client_errors() {
    let sb = start().await;
    let oauth = sb.oauth();
    let pending = oauth.start_authorization(&[Permission::Identity]);
    let callback = sb.browser().consent(&pending.url, ALICE.0, ALICE.1, "authorize").await;
    let code = code_from(&callback, &pending);
    let wrong_secret = sb.oauth_for(app(CLIENT_ID, "agpt_secret_wrong"));
    let e = wrong_secret.exchange_code(&code, PkceVerifier::new(pending.verifier.secret()).unwrap()).await.unwrap_err();
    assert_eq!(invalid_client_detail(&e), "Invalid client_secret");
    assert!(!e.requires_reconnect(), "not the user's problem");
    assert!(!format!("{e:?}").contains("agpt_secret_wrong"));
    let unknown = sb.oauth_for(app("agpt_client_nope", CLIENT_SECRET));
    let e = unknown.exchange_code(&code, PkceVerifier::new(pending.verifier.secret()).unwrap()).await.unwrap_err();
    assert_eq!(invalid_client_detail(&e), "Invalid client_id");
    let tokens = oauth.exchange_code(&code, pending.verifier).await.unwrap();
    // the other three endpoints check the client too
    let e = wrong_secret.refresh(&tokens.refresh_token).await.unwrap_err();
    assert_eq!(invalid_client_detail(&e), "Invalid client_secret");
    let e = wrong_secret.introspect(TokenRef::Access(&tokens.access_token)).await.unwrap_err();
    assert_eq!(invalid_client_detail(&e), "Invalid client_secret");
    let e = wrong_secret.revoke(TokenRef::Access(&tokens.access_token)).await.unwrap_err();
    assert_eq!(invalid_client_detail(&e), "Invalid client_secret");
    assert!(sb.api().me(&Credential::Bearer(tokens.access_token.clone())).await.is_ok(), "nothing was revoked");

    // the app disabled: refresh refused as a client error, its tokens dead on v2
    sb.admin(&format!("/live/apps/{CLIENT_ID}/active"), json!({"active": false})).await;
    let e = oauth.refresh(&tokens.refresh_token).await.unwrap_err();
    assert_eq!(invalid_client_detail(&e), "Application is not active");
    let e = sb.api().me(&Credential::Bearer(tokens.access_token.clone())).await.unwrap_err();
    assert!(e.is_unauthorized());
    assert!(format!("{e}").contains("Client application is disabled"), "{e}");
    sb.admin(&format!("/live/apps/{CLIENT_ID}/active"), json!({"active": true})).await;
    assert!(oauth.refresh(&tokens.refresh_token).await.is_ok(), "the refresh token was not burned");
}

/// Checklist 22: Deny on the consent card comes back as a typed `access_denied` callback with
/// the state; nothing to exchange.
#[tokio::test]
async fn item22_deny_on_the_consent_card_is_a_typed_access_denied_callback() {
    let sb = start().await;
    let pending = sb.oauth().start_authorization(&APP_PERMISSIONS);
    let callback = sb.browser().consent(&pending.url, BOB.0, BOB.1, "deny").await;
    assert_eq!(callback.as_str().split('?').next(), Some(CALLBACK));
    match parse_callback(callback.query().unwrap()).unwrap() {
        Callback::Error { error, error_description, state, .. } => {
            assert_eq!(error, OAuthErrorCode::AccessDenied);
            assert_eq!(error_description.as_deref(), Some("User denied access"));
            assert_eq!(state.as_ref(), Some(&pending.state));
        }
        other => panic!("{other:?}"),
    }
}

/// Any client may introspect any token (the second seeded app's token, by the dev app);
/// introspecting a token of a disabled app is the platform's unhandled error, read as a typed
/// server error (open question 8), or `active: false` with the sandbox's other switch.
#[tokio::test]
async fn introspection_across_apps_and_of_a_disabled_apps_token_is_typed() {
    let sb = start().await;
    let test_app = sb.oauth_for(app(TEST_CLIENT_ID, TEST_CLIENT_SECRET));
    let tokens = sb.sign_in_with(&test_app, BOB, &[Permission::Identity, Permission::ReadLibrary]).await;
    let dev = sb.oauth();
    let Introspection::Active(a) = dev.introspect(TokenRef::Access(&tokens.access_token)).await.unwrap() else {
        panic!("active")
    };
    assert_eq!(a.client_id, Some(ClientId::new(TEST_CLIENT_ID)));
    assert_eq!(a.user_id.as_ref().map(|u| u.as_str()), Some("user-bob"));
    sb.admin(&format!("/live/apps/{TEST_CLIENT_ID}/active"), json!({"active": false})).await;
    let e = dev.introspect(TokenRef::Access(&tokens.access_token)).await.unwrap_err();
    match &e {
        LiveOAuthClientError::OAuth(LiveOAuthError::Server { status, detail, .. }) => {
            assert_eq!(status.as_u16(), 500);
            assert_eq!(detail.as_deref(), Some("Client application is disabled"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.requires_reconnect());
    sb.switch(json!({"introspect_disabled_app_inactive": true})).await;
    assert_eq!(dev.introspect(TokenRef::Access(&tokens.access_token)).await.unwrap(), Introspection::Inactive);
    // and the disabled app's consent page is an error card, never a redirect to the client
    let pending = test_app.start_authorization(&[Permission::Identity]);
    let browser = sb.browser();
    let login = browser.get(pending.url.as_str()).await;
    let card = browser.log_in(&browser.get(login.location.as_deref().unwrap()).await, BOB.0, BOB.1).await;
    assert_eq!((card.status, card.location), (404, None), "{}", card.html);
    assert!(card.html.contains(r#"data-error="app_not_found""#), "{}", card.html);
}

/// The `Platform` seam in the live profile, against the sandbox: sign-in URL, code exchange
/// into the profile-neutral token value, identity for both credentials, refresh with rotation
/// (the old token's failure says "reconnect"), connected credentials, and runs.
#[tokio::test]
async fn platform_seam_live_profile_sign_in_identity_refresh_credentials_and_runs() {
    let sb = start().await;
    let platform = sb.platform(&APP_PERMISSIONS);
    assert_eq!(platform.profile(), Profile::Live);
    let pending = platform.start_sign_in();
    assert!(pending.url.as_str().starts_with(&format!("{}/auth/authorize?client_id={CLIENT_ID}&", sb.pages_origin())));
    let callback = sb.browser().consent(&pending.url, ALICE.0, ALICE.1, "authorize").await;
    let code = code_from(&callback, &pending);
    let t = now();
    let tokens = platform.exchange_code(&code, pending.verifier, t).await.unwrap();
    let expires_at = tokens.expires_at.unwrap();
    assert!((t + 3_595..=t + 3_605).contains(&expires_at), "from access_token_expires_at");
    assert_eq!(tokens.expires_in, None);
    let scopes: Vec<&str> = tokens.scopes.iter().map(|s| s.as_str()).collect();
    let wanted: Vec<&str> = APP_PERMISSIONS.iter().map(Permission::as_str).collect();
    assert_eq!(scopes, wanted);
    let refresh = tokens.refresh_token.clone().unwrap();

    let bearer = Credential::Bearer(tokens.access_token.clone());
    let me = platform.identity(&bearer).await.unwrap();
    assert_eq!(
        (me.user_id.as_str(), me.email.as_deref(), me.name.as_deref()),
        ("user-alice", Some("alice@example.com"), Some("Alice Example"))
    );
    assert_eq!(platform.identity(&api_key(ALICE_KEY)).await.unwrap(), me, "an API key names the same user");
    let e = platform.identity(&api_key("agpt_wrong")).await.unwrap_err();
    assert!(e.is_unauthorized() && !e.requires_reconnect(), "{e:?}");

    let rotated = platform.refresh(&refresh, now()).await.unwrap();
    let new_refresh = rotated.refresh_token.clone().unwrap();
    assert_ne!(new_refresh, refresh);
    let e = platform.refresh(&refresh, now()).await.unwrap_err();
    assert!(e.requires_reconnect(), "{e:?}");
    assert!(matches!(e, PlatformError::LiveOAuth(_)));

    let github = Provider::new("GitHub");
    let creds = platform.connected_credentials(&bearer, Some(&github)).await.unwrap();
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0].id, ConnectedCredentialId::Credential(CredentialId::new("cred-alice-github")));
    assert_eq!(creds[0].title.as_deref(), Some("alice-gh"));
    assert_eq!(platform.connected_credentials(&bearer, None).await.unwrap().len(), 3);

    let mut inputs = serde_json::Map::new();
    inputs.insert("message".into(), json!("via the seam"));
    let start = StartRun::Live {
        agent: LibraryAgentId::new("lib-echo"),
        request: RunRequest { inputs, ..RunRequest::default() },
        idempotency_key: None,
    };
    let started = platform.start_run(&bearer, start).await.unwrap();
    assert_eq!(started.status, ExecutionStatus::Queued);
    let run_id: RunId = (&started.id).into();
    sb.finished(&sb.api(), &bearer, &run_id).await;
    let done = platform.run(&bearer, &started.id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_eq!(done.outputs["result"], [json!("via the seam")]);
    assert!(done.errors.is_empty() && done.is_final());
    assert_eq!(done.cost_cents, Some(3));
    let e = platform.stop_run(&bearer, &started.id).await.unwrap_err();
    assert!(matches!(&e, PlatformError::LiveApi(a) if a.code() == Some(&ErrorCode::Conflict)), "{e:?}");
    let wrong = StartRun::Guide {
        agent: AgentId::new("echo-agent"),
        request: ExecuteRequest { inputs: Default::default(), grant_ids: None, webhook_url: None },
    };
    assert!(matches!(
        platform.start_run(&bearer, wrong).await.unwrap_err(),
        PlatformError::WrongProfile { platform: Profile::Live, request: Profile::Guide }
    ));

    platform.revoke(RevokableToken::Refresh(&new_refresh)).await.unwrap();
    assert!(platform.refresh(&new_refresh, now()).await.unwrap_err().requires_reconnect());
    platform.revoke(RevokableToken::Access(&tokens.access_token)).await.unwrap();
    assert!(platform.identity(&bearer).await.unwrap_err().is_unauthorized());
}

/// The setup-wizard URL the client builds is read by the wizard page (standard Base64
/// providers, percent-encoded): bob connects a new Google account, Continue comes back with
/// `success=true` and the state, and the credentials list, the agent's credential
/// requirements and a run that uses the new credential all see it.
#[tokio::test]
async fn setup_wizard_url_connects_an_account_the_api_then_lists_and_a_run_uses() {
    let sb = start().await;
    let oauth = sb.oauth();
    let gmail = ProviderScope::new("https://www.googleapis.com/auth/gmail.readonly").unwrap();
    let providers = [WizardProvider::new(Provider::new("google"), Some(vec![gmail.clone()])).unwrap()];
    let state = State::generate();
    let url = oauth.setup_wizard_url(&providers, &RedirectUri::new(WIZARD_CALLBACK).unwrap(), &state);
    let browser = sb.browser();
    let login = browser.get(url.as_str()).await;
    assert_eq!(login.status, 307, "the wizard is protected");
    let page = browser.log_in(&browser.get(login.location.as_deref().unwrap()).await, BOB.0, BOB.1).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains(r#"id="wizard-none-google""#), "bob has no Google account: {}", page.html);
    let page = browser.submit(&page, "wizard-form", &[("action", "connect:google")]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains(r#"data-provider="google" data-selected="true""#), "{}", page.html);
    let done = browser.submit(&page, "wizard-form", &[("action", "continue")]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let callback = url::Url::parse(done.location.as_deref().unwrap()).unwrap();
    assert_eq!(callback.as_str().split('?').next(), Some(WIZARD_CALLBACK));
    assert_eq!(parse_wizard_callback(callback.query().unwrap()), WizardCallback::Success { state: Some(state) });

    let api = sb.api();
    let bob = api_key(BOB_KEY);
    let listed = api.all_credentials(&bob, Some(&Provider::new("google")), 5).await.unwrap();
    assert!(listed.complete);
    assert_eq!(listed.items.len(), 1);
    let cred = &listed.items[0];
    assert!(cred.has_scopes(std::slice::from_ref(&gmail)), "{cred:?}");
    let reqs = api.all_agent_credentials(&bob, &LibraryAgentId::new("lib-gmail"), 5).await.unwrap();
    let usable: Vec<&CredentialId> = reqs.items[0].usable_credentials().map(|c| &c.id).collect();
    assert_eq!(usable, [&cred.id]);
    let request = RunRequest {
        credentials_inputs: [("credentials".to_owned(), cred.as_input())].into_iter().collect(),
        ..RunRequest::default()
    };
    let run = api.start_run(&bob, &LibraryAgentId::new("lib-gmail"), &request, None).await.unwrap().value;
    let expected: CredentialsInput = cred.as_input();
    assert_eq!(run.credentials_inputs.as_ref().unwrap()["credentials"].id, expected.id);
    let done = sb.finished(&api, &bob, &run.id).await;
    assert!(done.succeeded_with(&["invoices", "summary"]), "{done:?}");
}
