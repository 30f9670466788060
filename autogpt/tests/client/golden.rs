//! Golden fixtures (issue item 7): request bodies equal literal files and literal response
//! bodies parse, independently of any serde round trip the sandbox might share.

use autogpt::client::{OAuthClient, RevokableToken, parse_token_response};
use autogpt::error::OAuthErrorBody;
use autogpt::ids::ClientId;
use autogpt::origin::RedirectUri;
use autogpt::pkce::PkceVerifier;
use autogpt::scope::Scope;
use autogpt::secret::{AuthorizationCode, ClientSecret, RefreshToken};
use autogpt::types::{
    Capabilities, ExecuteRequest, ExecuteResponse, ExecutionResult, ExecutionStatus, Grant, UserInfo,
};

use crate::{fixture, platform, transport};

fn client() -> OAuthClient {
    OAuthClient::new(
        transport(),
        platform("https://platform.test"),
        ClientId::new("agpt_client_1"),
        ClientSecret::new("s3cr3t+/="),
        RedirectUri::new("http://127.0.0.1:3000/oauth/callback").unwrap(),
    )
}

#[test]
fn form_bodies_match_fixtures() {
    let c = client();
    let v = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    assert_eq!(c.code_exchange_body(&AuthorizationCode::new("code-123"), &v), fixture("token_request_code.form"));
    assert_eq!(c.refresh_body(&RefreshToken::new("rt-old")), fixture("token_request_refresh.form"));
    assert_eq!(c.revoke_body(RevokableToken::Refresh(&RefreshToken::new("rt-old"))), fixture("revoke_request.form"));
}

#[test]
fn execute_body_with_nulls_matches_fixture() {
    let req = ExecuteRequest { inputs: serde_json::Map::new(), grant_ids: None, webhook_url: None };
    assert_eq!(serde_json::to_string(&req).unwrap(), fixture("execute_request_nulls.json"));
}

#[test]
fn responses_parse() {
    let res = http::Response::builder().status(200).body(fixture("token_response.json").into_bytes()).unwrap();
    let t = parse_token_response(&res, 10).unwrap();
    assert_eq!(t.expires_at, Some(3_610));
    assert_eq!(t.scopes, [Scope::OPENID, Scope::PROFILE, Scope::AGENTS_EXECUTE, Scope::INTEGRATIONS_LIST]);
    assert!(OAuthErrorBody::parse(fixture("token_error_nested.json").as_bytes()).is_some());

    let e: ExecuteResponse = serde_json::from_str(&fixture("execute_response.json")).unwrap();
    assert_eq!(e.status, ExecutionStatus::Queued);
    let r: ExecutionResult = serde_json::from_str(&fixture("execution_completed_upper.json")).unwrap();
    assert_eq!(r.status, ExecutionStatus::Completed);
    assert_eq!(r.outputs.unwrap()["result"][1]["nested"][1], 2.5);
    assert!(r.started_at.unwrap().parse().is_some());
    let f: ExecutionResult = serde_json::from_str(&fixture("execution_failed_lower.json")).unwrap();
    assert_eq!(f.error.as_deref(), Some("Block failed: timeout"));
    let c: Capabilities = serde_json::from_str(&fixture("capabilities.json")).unwrap();
    assert_eq!(c.grants[0].scopes[1].as_str(), "google:sheets.readonly");
    let g: Vec<Grant> = serde_json::from_str(&fixture("grants_list.json")).unwrap();
    assert_eq!(g[1].granted_scopes[0].as_str(), "github:repos.read");
    let one: Grant = serde_json::from_str(&fixture("grant.json")).unwrap();
    assert!(one.revoked_at.is_none());
    let u: UserInfo = serde_json::from_str(&fixture("userinfo.json")).unwrap();
    assert_eq!(u.name.as_deref(), Some("Ada"));
}
