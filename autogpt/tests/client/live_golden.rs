//! Live-profile golden fixtures: request bodies equal literal files byte for byte, and literal
//! response bodies (copied from the contract's tables) parse into the expected values.

use std::collections::BTreeMap;

use autogpt::ids::{ClientId, CredentialId, Provider};
use autogpt::live::api::{
    ApiErrorBody, ApiRequest, CredentialRequirement, CredentialType, CredentialsInput, ErrorCode, LibraryAgent, Me,
    Page, RateLimit, ResponseError, Review, ReviewDecision, ReviewId, ReviewStatus, ReviewsSubmitted, Run, RunId,
    RunRequest, RunStatus, parse_credentials_list,
};
use autogpt::live::schema::FieldKind;
use autogpt::live::token::{Introspection, TokenRef};
use autogpt::live::{LiveOAuthApp, LiveOAuthError, LiveTokenResponse, Permission};
use autogpt::origin::RedirectUri;
use autogpt::pkce::PkceVerifier;
use autogpt::secret::{AccessToken, AuthorizationCode, ClientSecret, RefreshToken};
use http::StatusCode;

use crate::live_fixture as fixture;

pub const AT: &str = "agpt_xt_sda5G2fCr6XjIpiNlGJjjTVN34oe9526mH-BXCK0uu4";
pub const RT_OLD: &str = "agpt_rt_zf_V3YyoEmwEgrqZSBS5AUzJ6XNDXTmfHPH2lHnmuQc";
pub const RT_NEW: &str = "agpt_rt_UKj62fChNCtV8JfJByYg4k14myz_pXK8cUNvtpQcJvc";

pub fn app() -> LiveOAuthApp {
    LiveOAuthApp {
        client_id: ClientId::new("agpt_client_1"),
        client_secret: ClientSecret::new("agpt_secret_1"),
        redirect_uri: RedirectUri::new("http://127.0.0.1:3000/api/autogpt/callback").unwrap(),
    }
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap()
}

#[test]
fn oauth_request_bodies_match_fixtures() {
    let v = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    let a = app();
    assert_eq!(text(a.code_exchange_body(&AuthorizationCode::new("code-123"), &v)), fixture("token_request_code.json"));
    assert_eq!(text(a.refresh_body(&RefreshToken::new(RT_OLD))), fixture("token_request_refresh.json"));
    assert_eq!(text(a.introspect_body(TokenRef::Access(&AccessToken::new(AT)))), fixture("introspect_request.json"));
    assert_eq!(text(a.revoke_body(TokenRef::Refresh(&RefreshToken::new(RT_OLD)))), fixture("revoke_request.json"));
}

#[test]
fn token_responses_with_and_without_fraction() {
    let t = LiveTokenResponse::parse(fixture("token_response_fraction.json").as_bytes()).unwrap();
    assert_eq!(t.access_token.secret(), AT);
    assert_eq!(t.refresh_token.secret(), RT_NEW);
    assert_eq!(t.access_token_expires_at, 1_791_468_192);
    assert_eq!(t.refresh_token_expires_at, Some(1_791_468_192 - 3_600 + 30 * 86_400));
    assert_eq!(t.token_type, "Bearer");
    assert_eq!(t.scopes[2], Permission::RunAgent);
    let p = LiveTokenResponse::parse(fixture("token_response_plain.json").as_bytes()).unwrap();
    assert_eq!(p.access_token_expires_at, t.access_token_expires_at);
    assert_eq!(p.refresh_token_expires_at, t.refresh_token_expires_at);
}

#[test]
fn token_error_fixtures() {
    let err = |status: u16, name: &str| {
        let res = http::Response::builder().status(status).body(fixture(name).into_bytes()).unwrap();
        LiveOAuthError::from_response(&res)
    };
    assert!(
        matches!(err(400, "token_error_invalid_grant.json"), LiveOAuthError::InvalidGrant { reason } if reason == "refresh token has been revoked")
    );
    assert!(err(400, "token_error_pkce.json").requires_reconnect());
    assert!(
        matches!(err(401, "token_error_client.json"), LiveOAuthError::InvalidClient { detail } if detail == "Invalid client_secret")
    );
    let v = err(422, "token_error_422.json");
    match &v {
        LiveOAuthError::Validation { issues, .. } => assert_eq!(issues[0].location(), "body.code_verifier"),
        other => panic!("{other:?}"),
    }
    assert!(!format!("{v:?}").contains("agpt_secret_1"), "the echoed input is dropped");
    assert!(
        matches!(err(500, "token_error_500.json"), LiveOAuthError::Server { status, .. } if status.as_u16() == 500)
    );
}

#[test]
fn introspection_fixtures() {
    match Introspection::parse(fixture("introspect_active.json").as_bytes()).unwrap() {
        Introspection::Active(a) => {
            assert_eq!(a.exp, Some(1_791_468_192));
            assert_eq!(a.client_id.unwrap().as_str(), "agpt_client_1");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(Introspection::parse(fixture("introspect_inactive.json").as_bytes()).unwrap(), Introspection::Inactive);
}

#[test]
fn v2_request_bodies_match_fixtures() {
    let mut inputs = serde_json::Map::new();
    inputs.insert("text".into(), "hello".into());
    inputs.insert("times".into(), 2.into());
    let credentials_inputs = BTreeMap::from([(
        "github_credentials".to_owned(),
        CredentialsInput {
            id: CredentialId::new("cred-gh-1"),
            provider: Provider::new("github"),
            kind: CredentialType::OAuth2,
            title: Some("Work GitHub".into()),
        },
    )]);
    let req = ApiRequest::start_run(
        &autogpt::live::api::LibraryAgentId::new("la-echo"),
        &RunRequest { inputs, credentials_inputs },
        None,
    )
    .unwrap();
    assert_eq!(std::str::from_utf8(req.body().unwrap()).unwrap(), fixture("run_request.json"));
    let decision = ReviewDecision::approve_edited(
        ReviewId::new("ne-1"),
        serde_json::json!({"to": "carol@example.com", "subject": "Invoice"}),
    )
    .with_message("Sent to Carol instead");
    let req = ApiRequest::submit_reviews(&RunId::new("run-3"), &[decision]).unwrap();
    let sent: serde_json::Value = serde_json::from_slice(req.body().unwrap()).unwrap();
    let want: serde_json::Value = serde_json::from_str(&fixture("reviews_request.json")).unwrap();
    assert_eq!(sent, want);
    // Key order inside `edited_payload` is serde_json's (sorted); the decision's own fields are fixed.
    assert!(
        std::str::from_utf8(req.body().unwrap())
            .unwrap()
            .starts_with(r#"{"reviews":[{"node_exec_id":"ne-1","approved":true,"edited_payload":"#)
    );
}

#[test]
fn v2_resources_parse() {
    let me: Me = serde_json::from_str(&fixture("me.json")).unwrap();
    assert_eq!(me.email, "alice@example.com");
    assert_eq!(me.time_zone(), None);
    assert!(me.organization.unwrap().is_personal);
    assert!(me.scopes.contains(&Permission::RunAgent));

    let page: Page<LibraryAgent> = serde_json::from_str(&fixture("library_agents_page.json")).unwrap();
    assert_eq!((page.items.len(), page.total_count), (1, Some(2)));
    assert!(page.items[0].input_schema.is_empty() && page.next_cursor.is_some());
    let agent: LibraryAgent = serde_json::from_str(&fixture("library_agent.json")).unwrap();
    assert_eq!(agent.image_url.as_ref().unwrap().host_str(), Some("cdn.example"));
    let fields = agent.input_fields();
    let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["text", "times", "api_token"], "schema order, not alphabetical");
    assert!(fields[0].required && fields[1].advanced && fields[2].secret);
    assert_eq!(fields[1].kind, FieldKind::Integer);
    assert_eq!(agent.output_names(), ["result"]);

    let reqs: Page<CredentialRequirement> = serde_json::from_str(&fixture("agent_credentials.json")).unwrap();
    assert_eq!(reqs.items[0].usable_credentials().count(), 1);
    let creds = parse_credentials_list(fixture("credentials_page.json").as_bytes()).unwrap();
    assert_eq!(creds.items[1].kind, CredentialType::ApiKey);
    assert!(creds.items[1].is_managed);
    let legacy = parse_credentials_list(fixture("credentials_legacy.json").as_bytes()).unwrap();
    assert_eq!((legacy.items.len(), legacy.next_cursor), (1, None));
    assert_eq!(legacy.items[0].title.as_deref(), Some("Work GitHub"));

    let run: Run = serde_json::from_str(&fixture("run_queued.json")).unwrap();
    assert_eq!(run.status, RunStatus::Queued);
    assert_eq!(run.credentials_inputs.unwrap()["github_credentials"].kind, CredentialType::OAuth2);
    let details: Run = serde_json::from_str(&fixture("run_details.json")).unwrap();
    assert!(details.is_final());
    assert_eq!(details.last_output("result"), Some(&serde_json::json!("hello hello")));
    assert_eq!((details.cost_cents, details.duration_seconds), (3, 3.75));
    assert_eq!(details.started_at.as_ref().unwrap().parse().unwrap().unix_timestamp(), 1_767_776_400);
    let errors = details.block_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].node_id.as_str(), errors[0].message.as_str()),
        ("node-notify", "Notification service timed out")
    );
    assert!(!details.succeeded_with(&["result"]), "COMPLETED with a failed block");
    let runs: Page<Run> = serde_json::from_str(&fixture("runs_page.json")).unwrap();
    assert_eq!(runs.items[0].status, RunStatus::Running, "lower case read too");
    assert!(runs.items[0].outputs.is_none());
    assert!(!format!("{runs:?}").contains("shr_9f8e7d6c5b4a"), "share token redacted");

    let reviews: Page<Review> = serde_json::from_str(&fixture("reviews_page.json")).unwrap();
    assert_eq!(reviews.items[0].status, ReviewStatus::Waiting);
    assert!(reviews.items[0].editable);
    let done: ReviewsSubmitted = serde_json::from_str(&fixture("reviews_submitted.json")).unwrap();
    assert_eq!((done.approved_count, done.rejected_count), (1, 0));
}

/// Every code of contract §4.4, with the contract's statuses and example messages.
#[test]
fn every_error_envelope_code() {
    let table = [
        (
            400,
            "bad_request",
            "Malformed cursor. Pass back the next_cursor of a previous response.",
            ErrorCode::BadRequest,
        ),
        (401, "unauthorized", "Invalid API key", ErrorCode::Unauthorized),
        (
            402,
            "payment_required",
            "Insufficient balance to execute the agent. Please top up your account.",
            ErrorCode::PaymentRequired,
        ),
        (403, "forbidden", "Missing required permission(s): RUN_AGENT", ErrorCode::Forbidden),
        (404, "not_found", "Run #run-9 not found", ErrorCode::NotFound),
        (405, "method_not_allowed", "Method Not Allowed", ErrorCode::MethodNotAllowed),
        (409, "conflict", "Run #run-1 has already finished (COMPLETED)", ErrorCode::Conflict),
        (413, "payload_too_large", "File too large", ErrorCode::PayloadTooLarge),
        (422, "validation_error", "Invalid data for POST /external-api/v2/schedules", ErrorCode::ValidationError),
        (428, "precondition_required", "Set up a payment method first", ErrorCode::PreconditionRequired),
        (
            429,
            "rate_limit_exceeded",
            "Rate limit exceeded (200 requests per 60s). Try again shortly.",
            ErrorCode::RateLimitExceeded,
        ),
        (500, "internal_error", "Failed to process GET /external-api/v2/runs", ErrorCode::InternalError),
        (502, "upstream_error", "Upstream failed", ErrorCode::UpstreamError),
        (503, "service_unavailable", "Idempotency store unavailable", ErrorCode::ServiceUnavailable),
        (418, "request_failed", "I'm a teapot", ErrorCode::RequestFailed),
    ];
    for (status, code, message, want) in table {
        let body = format!(r#"{{"error":{{"code":"{code}","message":"{message}","details":null}}}}"#);
        let parsed = ApiErrorBody::parse(body.as_bytes()).unwrap();
        assert_eq!((&parsed.code, parsed.message.as_str()), (&want, message));
        let e =
            ResponseError::from_status(StatusCode::from_u16(status).unwrap(), body.as_bytes(), RateLimit::default());
        assert_eq!(e.code(), Some(&want));
    }
    for name in
        ["error_unauthorized.json", "error_forbidden.json", "error_conflict_stop.json", "error_rate_limited.json"]
    {
        assert!(ApiErrorBody::parse(fixture(name).as_bytes()).is_some(), "{name}");
    }
    let v = ApiErrorBody::parse(fixture("error_validation.json").as_bytes()).unwrap();
    assert_eq!(v.issues_for_input("text").next().unwrap().msg, "Input required");
    assert_eq!(v.issues_for_input("colour").next().unwrap().kind, "extra_forbidden");
    assert!(!v.details.unwrap().to_string().contains("blue"), "echoed inputs scrubbed");
}
