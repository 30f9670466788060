//! External API v2: authentication and its 401 variants, scopes (403), identity, library
//! agents and paging (422 limits, 400 cursors), credential requirements, credentials (and the
//! Q3 switch), the envelope on unknown paths and 405, rate limits (429), the 402 switch.

use reqwest::Method;
use serde_json::{Value, json};

use crate::live_support::*;

fn envelope(code: &str, message: &str) -> String {
    json!({"error": {"code": code, "message": message, "details": null}}).to_string()
}

#[tokio::test]
async fn authentication_resolution_and_401_variants() {
    let live = spawn_live().await;
    let t = live.alice_tokens("IDENTITY").await;
    let missing = live.v2(Method::GET, "/me", Auth::None, None).await;
    assert_eq!(missing.status, 401);
    assert_json(&missing.json, &envelope("unauthorized", "Missing authentication. Provide API key or access token."));
    assert!(missing.header("www-authenticate").is_none());
    // X-API-Key wins: an invalid key is refused even next to a valid bearer
    let a = live.v2_with(Method::GET, "/me", Auth::Bearer(&t.access), None, &[("X-API-Key", "agpt_wrong")]).await;
    assert_json(&a.json, &envelope("unauthorized", "Invalid API key"));
    let a = live.v2(Method::GET, "/me", Auth::Key(ALICE_KEY), None).await;
    assert_eq!((a.status.as_u16(), a.json["credential_type"].as_str()), (200, Some("api_key")));
    // an API key as a bearer
    let a = live.v2(Method::GET, "/me", Auth::Bearer(BOB_KEY), None).await;
    assert_eq!((a.json["user_id"].as_str(), a.json["credential_type"].as_str()), (Some("user-bob"), Some("api_key")));
    for bearer in ["agpt_xt_unknown", "something-else"] {
        let a = live.v2(Method::GET, "/me", Auth::Bearer(bearer), None).await;
        assert_json(&a.json, &envelope("unauthorized", "Invalid token: access token not found"));
    }
    let basic =
        live.http.get(live.api_url("/external-api/v2/me")).basic_auth("alice", Some("pw")).send().await.unwrap();
    assert_eq!(basic.status(), 401);
    assert_eq!(live.v2(Method::GET, "/me", Auth::Bearer(&t.access), None).await.status, 200);
    let n = live.admin(Method::POST, "/live/tokens/expire", json!({"email": "alice@example.com"})).await;
    assert_eq!(n, json!({"expired": 1}));
    let a = live.v2(Method::GET, "/me", Auth::Bearer(&t.access), None).await;
    assert_json(&a.json, &envelope("unauthorized", "Invalid token: access token expired"));
}

#[tokio::test]
async fn scopes_are_checked_per_route_with_403() {
    let live = spawn_live().await;
    let t = live.alice_tokens("IDENTITY READ_LIBRARY").await;
    let a = live.v2(Method::POST, "/library/agents/lib-echo/runs", Auth::Bearer(&t.access), Some(json!({}))).await;
    assert_eq!(a.status, 403);
    assert_json(&a.json, &envelope("forbidden", "Missing required permission(s): RUN_AGENT"));
    for (method, path, scope) in [
        (Method::GET, "/runs", "READ_RUN"),
        (Method::GET, "/runs/x", "READ_RUN"),
        (Method::POST, "/runs/x/stop", "WRITE_RUN"),
        (Method::GET, "/runs/reviews", "READ_RUN_REVIEW"),
        (Method::POST, "/runs/x/reviews", "WRITE_RUN_REVIEW"),
        (Method::GET, "/integrations/credentials", "READ_INTEGRATIONS"),
        (Method::GET, "/library/agents/lib-gmail/credentials", "READ_INTEGRATIONS"),
    ] {
        let a = live.v2(method, path, Auth::Bearer(&t.access), Some(json!({}))).await;
        assert_eq!(a.json["error"]["message"], format!("Missing required permission(s): {scope}"), "{path}");
    }
    assert_eq!(live.v2(Method::GET, "/library/agents", Auth::Bearer(&t.access), None).await.status, 200);
    let narrow = live.alice_tokens("READ_RUN").await;
    assert_eq!(
        live.v2(Method::GET, "/me", Auth::Bearer(&narrow.access), None).await.json["error"]["code"],
        "forbidden"
    );
    // a team header names a team nobody is in
    let a = live.v2_with(Method::GET, "/me", Auth::Key(ALICE_KEY), None, &[("X-Team-Id", "team-1")]).await;
    assert_json(&a.json, &envelope("forbidden", "You are not an active member of team team-1"));
}

#[tokio::test]
async fn me_golden() {
    let live = spawn_live().await;
    let all: Vec<&str> = sandbox::live::scopes::PERMISSIONS.iter().map(|(s, _)| *s).collect();
    let a = live.alice_get("/me").await;
    assert_json(
        &a.json,
        &json!({
            "user_id": "user-alice", "email": "alice@example.com", "name": "Alice Example",
            "timezone": "Europe/Berlin",
            "organization": {"id": "org-alice", "name": "Alice Example", "is_personal": true},
            "team": null, "scopes": all, "credential_type": "api_key"
        })
        .to_string(),
    );
    let bob = live.v2(Method::GET, "/me", Auth::Key(BOB_KEY), None).await;
    assert_eq!(bob.json["timezone"], "not-set");
}

#[tokio::test]
async fn library_agents_oldest_first_with_cursor_paging_and_full_schemas_on_get() {
    let live = spawn_live().await;
    let a = live.alice_get("/library/agents").await;
    assert_eq!(a.status, 200);
    let ids: Vec<&str> = a.json["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["lib-echo", "lib-review", "lib-partial", "lib-failing", "lib-slow", "lib-gmail"]);
    assert_eq!((a.json["total_count"].clone(), a.json["next_cursor"].clone()), (json!(6), Value::Null));
    assert_json(
        &a.json["items"][0],
        r#"{"id":"lib-echo","graph_id":"graph-echo","graph_version":1,"name":"Echo",
            "description":"Completes with outputs derived from its inputs; its form uses every field kind",
            "is_favorite":true,"can_access_graph":true,"is_latest_version":true,"image_url":null,
            "creator_name":"AutoGPT Sandbox","input_schema":{},"output_schema":{},"trigger_setup_info":null,
            "recommended_schedule_cron":null,"folder_id":null,"folder_name":null,"organization_id":"org-alice",
            "team_id":null,"created_at":"2026-01-05T09:00:00.000000Z","updated_at":"2026-01-05T09:00:00.000000Z"}"#,
    );
    // pages of 4 then 2
    let first = live.alice_get("/library/agents?limit=4").await;
    assert_eq!(first.json["items"].as_array().unwrap().len(), 4);
    let cursor = first.json["next_cursor"].as_str().unwrap().to_owned();
    let second = live.alice_get(&format!("/library/agents?limit=4&cursor={cursor}")).await;
    let ids: Vec<&str> = second.json["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["lib-slow", "lib-gmail"]);
    assert_eq!((second.json["next_cursor"].clone(), second.json["total_count"].clone()), (Value::Null, json!(6)));
    let fav = live.alice_get("/library/agents?favorite=true").await;
    assert_eq!(fav.json["total_count"], 1);
    assert_eq!(live.alice_get("/library/agents?published=false").await.json["total_count"], 5);
    // 422 limits and booleans, 400 cursors
    let a = live.alice_get("/library/agents?limit=0").await;
    assert_eq!(a.status, 422);
    assert_json(
        &a.json,
        r#"{"error":{"code":"validation_error","message":"Invalid data for GET /external-api/v2/library/agents",
            "details":{"errors":[{"type":"greater_than_equal","loc":["query","limit"],
                                  "msg":"Input should be greater than or equal to 1","ctx":{"ge":1}}]}}}"#,
    );
    assert_eq!(
        live.alice_get("/library/agents?limit=101").await.json["error"]["details"]["errors"][0]["type"],
        "less_than_equal"
    );
    assert_eq!(
        live.alice_get("/library/agents?limit=ten").await.json["error"]["details"]["errors"][0]["type"],
        "int_parsing"
    );
    assert_eq!(live.alice_get("/library/agents?favorite=maybe").await.status, 422);
    let a = live.alice_get("/library/agents?cursor=garbage").await;
    assert_eq!(a.status, 400);
    assert_json(
        &a.json,
        &envelope("bad_request", "Malformed cursor. Pass back the next_cursor of a previous response."),
    );
    let runs_cursor = sandbox::live::v2::paging::encode(sandbox::live::v2::paging::Kind::Runs, 1);
    let a = live.alice_get(&format!("/library/agents?cursor={runs_cursor}")).await;
    assert_json(
        &a.json,
        &envelope(
            "bad_request",
            "This endpoint expects a library_agents cursor. Cursors are not interchangeable between endpoints.",
        ),
    );
    // the single GET has the full schemas
    let echo = live.alice_get("/library/agents/lib-echo").await;
    let props = &echo.json["input_schema"]["properties"];
    assert_eq!(echo.json["input_schema"]["required"], json!(["message"]));
    assert_json(
        &props["attachment"],
        r#"{"title":"Attachment","advanced":false,"secret":false,
            "anyOf":[{"type":"string","format":"file"},{"type":"null"}],"default":null,
            "description":"A workspace://<file_id>#<mime> reference"}"#,
    );
    assert_eq!(props["api_token"]["secret"], true);
    assert_eq!(props["temperature"]["advanced"], true);
    assert_eq!(props["tone"]["enum"], json!(["neutral", "friendly", "formal"]));
    assert!(props["payload"].get("type").is_none());
    assert_eq!(props["notes"]["format"], "long-text");
    assert_eq!(echo.json["output_schema"]["properties"]["result"]["type"], "string");
    let a = live.alice_get("/library/agents/nope").await;
    assert_json(&a.json, &envelope("not_found", "Agent #nope not found"));
}

#[tokio::test]
async fn credential_requirements_with_every_matching_credential() {
    let live = spawn_live().await;
    let a = live.alice_get("/library/agents/lib-gmail/credentials").await;
    assert_eq!(a.status, 200);
    assert_json(
        &a.json,
        r#"{"items":[{"field_name":"credentials","provider":"google","supported_types":["oauth2"],
            "required_scopes":["https://www.googleapis.com/auth/gmail.readonly"],
            "matching_credentials":[{"id":"cred-alice-google","type":"oauth2","provider":"google",
               "title":"alice@gmail.example","username":"alice@gmail.example",
               "scopes":["email","profile","openid","https://www.googleapis.com/auth/gmail.readonly"],
               "expires_at":null,"is_managed":false}]}],
            "next_cursor":null,"total_count":1}"#,
    );
    let bob = live.v2(Method::GET, "/library/agents/lib-gmail/credentials", Auth::Key(BOB_KEY), None).await;
    assert_eq!(bob.json["items"][0]["matching_credentials"], json!([]));
    let none = live.alice_get("/library/agents/lib-echo/credentials").await;
    assert_json(&none.json, r#"{"items":[],"next_cursor":null,"total_count":0}"#);
    assert_eq!(live.alice_get("/library/agents/nope/credentials").await.status, 404);
}

#[tokio::test]
async fn integration_credentials_list_filter_and_legacy_shape() {
    let live = spawn_live().await;
    let a = live.alice_get("/integrations/credentials").await;
    let providers: Vec<&str> =
        a.json["items"].as_array().unwrap().iter().map(|c| c["provider"].as_str().unwrap()).collect();
    assert_eq!(providers, ["google", "github", "notion"]);
    assert_eq!(a.json["total_count"], 3);
    let g = live.alice_get("/integrations/credentials?provider=GITHUB").await;
    assert_json(
        &g.json,
        r#"{"items":[{"id":"cred-alice-github","type":"oauth2","provider":"github","title":"alice-gh","username":"alice-gh",
            "scopes":["repo","read:user"],"expires_at":null,"is_managed":false}],"next_cursor":null,"total_count":1}"#,
    );
    let bob = live.v2(Method::GET, "/integrations/credentials", Auth::Key(BOB_KEY), None).await;
    assert_json(&bob.json, r#"{"items":[],"next_cursor":null,"total_count":0}"#);
    live.switch(json!({"legacy_credentials_list": true})).await;
    let legacy = live.alice_get("/integrations/credentials?provider=notion").await;
    assert_eq!(sandbox_keys(&legacy.json), ["credentials"]);
    assert_eq!(legacy.json["credentials"][0]["id"], "cred-alice-notion");
}

fn sandbox_keys(v: &Value) -> Vec<String> {
    crate::support::sorted_keys(v)
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_the_envelope() {
    let live = spawn_live().await;
    let a = live.v2(Method::GET, "/nope", Auth::None, None).await;
    assert_eq!(a.status, 404);
    assert_json(&a.json, &envelope("not_found", "Not Found"));
    let a = live.v2(Method::DELETE, "/me", Auth::Key(ALICE_KEY), None).await;
    assert_eq!(a.status, 405);
    assert_json(&a.json, &envelope("method_not_allowed", "Method Not Allowed"));
    let a = live.v2(Method::GET, "/runs/no-such-run", Auth::Key(ALICE_KEY), None).await;
    assert_json(&a.json, &envelope("not_found", "Run #no-such-run not found"));
}

#[tokio::test]
async fn rate_limits_per_user_with_headers_and_429() {
    let live = spawn_live().await;
    let t = live.alice_tokens("IDENTITY").await;
    let a = live.alice_get("/me").await;
    assert_eq!((a.header("x-ratelimit-limit"), a.header("x-ratelimit-remaining")), (Some("200"), Some("199")));
    let reset: u64 = a.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!((1..=60).contains(&reset), "seconds until the minute rolls over: {reset}");
    // a window long enough that no test crosses its boundary
    live.switch(json!({"rate_limit": 3, "rate_window_secs": 1_000_000_000u64})).await;
    for remaining in ["2", "1"] {
        let a = live.alice_get("/me").await;
        assert_eq!((a.status.as_u16(), a.header("x-ratelimit-remaining")), (200, Some(remaining)));
    }
    // the same user through an OAuth token shares the window
    let a = live.v2(Method::GET, "/me", Auth::Bearer(&t.access), None).await;
    assert_eq!((a.status.as_u16(), a.header("x-ratelimit-remaining")), (200, Some("0")));
    let a = live.alice_get("/library/agents").await;
    assert_eq!(a.status, 429);
    assert_json(
        &a.json,
        &envelope("rate_limit_exceeded", "Rate limit exceeded (3 requests per 1000000000s). Try again shortly."),
    );
    assert_eq!(a.header("x-ratelimit-limit"), Some("3"));
    assert_eq!(a.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(a.header("retry-after"), a.header("x-ratelimit-reset"));
    assert!(a.header("retry-after").unwrap().parse::<u64>().unwrap() > 0);
    // another user is not affected; resetting the counters lets alice in again
    assert_eq!(live.v2(Method::GET, "/me", Auth::Key(BOB_KEY), None).await.status, 200);
    live.admin(Method::POST, "/live/rate-limits/reset", json!({})).await;
    assert_eq!(live.alice_get("/me").await.status, 200);
}

#[tokio::test]
async fn run_starts_have_their_own_limiter_and_headers() {
    let live = spawn_live().await;
    live.switch(json!({"run_rate_limit": 2, "rate_window_secs": 1_000_000_000u64})).await;
    let start = || {
        live.v2(
            Method::POST,
            "/library/agents/lib-echo/runs",
            Auth::Key(ALICE_KEY),
            Some(json!({"inputs": {"message": "x"}})),
        )
    };
    for remaining in ["1", "0"] {
        let a = start().await;
        assert_eq!(a.status, 202, "{}", a.text);
        assert_eq!((a.header("x-ratelimit-limit"), a.header("x-ratelimit-remaining")), (Some("2"), Some(remaining)));
    }
    let a = start().await;
    assert_eq!(a.status, 429);
    assert_eq!(a.json["error"]["message"], "Rate limit exceeded (2 requests per 1000000000s). Try again shortly.");
    assert!(a.header("retry-after").is_some());
    // other endpoints report the request limiter
    assert_eq!(live.alice_get("/runs").await.header("x-ratelimit-limit"), Some("200"));
}

#[tokio::test]
async fn payment_required_switch_refuses_run_starts_and_releases_the_key() {
    let live = spawn_live().await;
    live.switch(json!({"payment_required": true})).await;
    let body = json!({"inputs": {"message": "pay"}});
    let a = live
        .v2_with(
            Method::POST,
            "/library/agents/lib-echo/runs",
            Auth::Key(ALICE_KEY),
            Some(body.clone()),
            &[("Idempotency-Key", "pay-1")],
        )
        .await;
    assert_eq!(a.status, 402);
    assert_json(
        &a.json,
        &envelope("payment_required", "Insufficient balance to execute the agent. Please top up your account."),
    );
    assert_eq!(live.alice_get("/runs").await.json["total_count"], 0, "nothing started");
    live.switch(json!({"payment_required": false})).await;
    let a = live
        .v2_with(
            Method::POST,
            "/library/agents/lib-echo/runs",
            Auth::Key(ALICE_KEY),
            Some(body),
            &[("Idempotency-Key", "pay-1")],
        )
        .await;
    assert_eq!(a.status, 202, "the key was released: {}", a.text);
}
