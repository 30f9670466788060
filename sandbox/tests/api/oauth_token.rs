//! `/oauth/token`, `/oauth/revoke`, `/oauth/userinfo`, and the scripted end-to-end OAuth run.

use serde_json::Value;

use crate::support::*;

async fn json_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn userinfo_status(sb: &Sandbox, token: &str) -> u16 {
    sb.http.get(sb.url("/oauth/userinfo")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

/// Items 28 and 30: login → consent → code → token → refresh → reuse detection, in a browser-like
/// client with a cookie store.
#[tokio::test]
async fn item28_item30_scripted_login_flow_end_to_end() {
    let sb = spawn().await;
    let browser = client(true);
    let (verifier, challenge) = pkce();
    let auth = sb.authorize_url(&challenge, "state-e2e", "openid profile email agents:execute integrations:list");
    // 1. not signed in → login page
    let resp = browser.get(&auth).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let login_page = location(&resp);
    let html = browser.get(&login_page).send().await.unwrap().text().await.unwrap();
    let cont = hidden(&html, "continue");
    // 2. login → continues the authorization
    let resp = browser
        .post(sb.url("/login"))
        .header("Origin", sb.base.as_str())
        .form(&[("email", "alice@example.com"), ("password", "alice-password"), ("continue", cont.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), auth);
    // 3. consent page
    let html = browser.get(&auth).send().await.unwrap().text().await.unwrap();
    let token = hidden(&html, "consent_token");
    let resp = browser
        .post(sb.url("/oauth/consent"))
        .header("Origin", sb.base.as_str())
        .form(&[("consent_token", token.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    assert_eq!(query_param(&loc, "state").as_deref(), Some("state-e2e"));
    let code = query_param(&loc, "code").unwrap();
    // 4. token
    let (status, body) = json_of(sb.exchange(&code, &verifier).await).await;
    assert_eq!(status, 200);
    let keys = sorted_keys(&body);
    assert_eq!(keys, ["access_token", "expires_in", "id_token", "refresh_token", "scope", "token_type"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["id_token"], Value::Null);
    assert_eq!(body["scope"], "openid profile email agents:execute integrations:list");
    let access1 = body["access_token"].as_str().unwrap().to_owned();
    let refresh1 = body["refresh_token"].as_str().unwrap().to_owned();
    // 5. userinfo literal fixture
    let resp = sb.http.get(sb.url("/oauth/userinfo")).bearer_auth(&access1).send().await.unwrap();
    let mut got: Value = resp.json().await.unwrap();
    assert!(got["updated_at"].as_str().is_some());
    got["updated_at"] = Value::Null;
    let want: Value = serde_json::from_str(
        r#"{"sub":"user-alice","email":"alice@example.com","email_verified":true,"name":"Alice Example","updated_at":null}"#,
    )
    .unwrap();
    assert_eq!(got, want);
    // 6. refresh rotates
    let (status, body) = json_of(sb.refresh(&refresh1).await).await;
    assert_eq!(status, 200);
    let refresh2 = body["refresh_token"].as_str().unwrap().to_owned();
    let access2 = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh1, refresh2);
    assert_eq!(userinfo_status(&sb, &access2).await, 200);
    // item 30: the old refresh token is gone; presenting it is reuse → whole grant revoked
    let (status, body) = json_of(sb.refresh(&refresh1).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(userinfo_status(&sb, &access2).await, 401);
    assert_eq!(userinfo_status(&sb, &access1).await, 401);
    let (status, body) = json_of(sb.refresh(&refresh2).await).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn item29_wrong_verifier_is_invalid_grant_literal() {
    let sb = spawn().await;
    let (code, _) = sb.code_via_api_key("agpt_alice_dev_key", "openid").await;
    let (wrong, _) = pkce();
    let resp = sb.exchange(&code, &wrong).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"error":"invalid_grant","error_description":"PKCE verification failed"}"#
    );
}

#[tokio::test]
async fn item68_authorization_header_is_rejected_invalid_client() {
    let sb = spawn().await;
    let (code, verifier) = sb.code_via_api_key("agpt_alice_dev_key", "openid").await;
    let resp = sb
        .http
        .post(sb.url("/oauth/token"))
        .basic_auth("dev-client", Some("dev-client-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier.as_str()),
            ("client_id", "dev-client"),
            ("client_secret", "dev-client-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // The code was not consumed by the rejected request.
    assert_eq!(sb.exchange(&code, &verifier).await.status(), 200);
}

#[tokio::test]
async fn item68_nested_errors_quirk() {
    let sb = spawn_with(|c| c.quirks.nested_token_errors = true).await;
    let resp = sb
        .http
        .post(sb.url("/oauth/token"))
        .header("Authorization", "Basic ZGV2LWNsaWVudDpkZXYtY2xpZW50LXNlY3JldA==")
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_id", "dev-client")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"detail":{"error":"invalid_client","error_description":"Client authentication must use client_secret_post (no Authorization header)"}}"#
    );
    let resp = sb.refresh("unknown").await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"detail":{"error":"invalid_grant","error_description":"Invalid refresh token"}}"#
    );
}

#[tokio::test]
async fn client_authentication_and_request_errors() {
    let sb = spawn().await;
    let post = |form: Vec<(&'static str, &'static str)>| {
        let sb = &sb;
        async move { json_of(sb.http.post(sb.url("/oauth/token")).form(&form).send().await.unwrap()).await }
    };
    let (s, b) = post(vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", "dev-client"),
        ("client_secret", "wrong"),
    ])
    .await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));
    let (s, b) = post(vec![("grant_type", "refresh_token"), ("refresh_token", "x")]).await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));
    let (s, b) =
        post(vec![("grant_type", "password"), ("client_id", "dev-client"), ("client_secret", "dev-client-secret")])
            .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("unsupported_grant_type")));
    let (s, b) = post(vec![("client_id", "dev-client"), ("client_secret", "dev-client-secret")]).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
    let (s, b) = post(vec![
        ("grant_type", "authorization_code"),
        ("client_id", "dev-client"),
        ("client_secret", "dev-client-secret"),
    ])
    .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
    let (s, b) = post(vec![
        ("grant_type", "authorization_code"),
        ("code", "forged"),
        ("client_id", "dev-client"),
        ("client_secret", "dev-client-secret"),
    ])
    .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
    // JSON body is not accepted
    let resp = sb
        .http
        .post(sb.url("/oauth/token"))
        .json(&serde_json::json!({"grant_type": "refresh_token", "client_id": "dev-client"}))
        .send()
        .await
        .unwrap();
    let (s, b) = json_of(resp).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
    let resp = sb
        .http
        .post(sb.url("/oauth/token"))
        .header("content-type", "text/plain")
        .body("grant_type=refresh_token&client_id=dev-client&client_secret=dev-client-secret")
        .send()
        .await
        .unwrap();
    let (s, b) = json_of(resp).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn redirect_uri_must_be_byte_identical_and_verifier_required() {
    let sb = spawn().await;
    let (code, verifier) = sb.code_via_api_key("agpt_alice_dev_key", "openid").await;
    let resp = sb
        .http
        .post(sb.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:3000/api/autogpt/callback/"),
            ("code_verifier", verifier.as_str()),
            ("client_id", "dev-client"),
            ("client_secret", "dev-client-secret"),
        ])
        .send()
        .await
        .unwrap();
    let (s, b) = json_of(resp).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
    let (code, _) = sb.code_via_api_key("agpt_alice_dev_key", "openid").await;
    let (s, b) = json_of(sb.exchange(&code, "").await).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn code_reuse_revokes_tokens_issued_from_it() {
    let sb = spawn().await;
    let (code, verifier) = sb.code_via_api_key("agpt_alice_dev_key", "openid").await;
    let (s, body) = json_of(sb.exchange(&code, &verifier).await).await;
    assert_eq!(s, 200);
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&sb, access).await, 200);
    let resp = sb.exchange(&code, &verifier).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"error":"invalid_grant","error_description":"Authorization code has already been used"}"#
    );
    assert_eq!(userinfo_status(&sb, access).await, 401);
    let (s, b) = json_of(sb.refresh(body["refresh_token"].as_str().unwrap()).await).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn rate_limit_429_with_retry_after() {
    let sb = spawn_with(|c| c.token_rate_limit = 3).await;
    for _ in 0..3 {
        assert_eq!(sb.refresh("x").await.status(), 400);
    }
    let resp = sb.refresh("x").await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=61).contains(&retry));
    assert_eq!(resp.text().await.unwrap(), r#"{"detail":"Rate limit exceeded"}"#);
}

#[tokio::test]
async fn short_access_token_lifetime_expires() {
    let sb = spawn_with(|c| c.access_token_ttl = std::time::Duration::from_secs(1)).await;
    let t = sb.alice().await;
    assert_eq!(t.body["expires_in"], 1);
    eventually(|| async { (userinfo_status(&sb, &t.access).await == 401).then_some(()) }).await;
    let resp = sb.http.get(sb.url("/oauth/userinfo")).bearer_auth(&t.access).send().await.unwrap();
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    assert_eq!(resp.text().await.unwrap(), r#"{"detail":"Access token has expired"}"#);
    // refresh still works
    assert_eq!(sb.refresh(&t.refresh).await.status(), 200);
}

#[tokio::test]
async fn revoke_always_200_and_revokes() {
    let sb = spawn().await;
    let t = sb.alice().await;
    for token in ["unknown", t.access.as_str(), ""] {
        let resp = sb
            .http
            .post(sb.url("/oauth/revoke"))
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(userinfo_status(&sb, &t.access).await, 401);
    let resp = sb.http.post(sb.url("/oauth/revoke")).form(&[("token", t.refresh.as_str())]).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let (s, b) = json_of(sb.refresh(&t.refresh).await).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn userinfo_requires_bearer() {
    let sb = spawn().await;
    let resp = sb.http.get(sb.url("/oauth/userinfo")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    assert_eq!(resp.text().await.unwrap(), r#"{"detail":"Not authenticated"}"#);
    assert_eq!(userinfo_status(&sb, "agpt_at_forged").await, 401);
}
