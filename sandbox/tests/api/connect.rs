//! The Connect popup: validation order, login, consent, result message, grants.

use serde_json::Value;

use crate::support::*;

fn connect_url(sb: &Sandbox, provider: &str, client: &str, scopes: &str, nonce: &str, origin: &str) -> String {
    let q = serde_urlencoded::to_string([
        ("client_id", client),
        ("scopes", scopes),
        ("nonce", nonce),
        ("redirect_origin", origin),
    ])
    .unwrap();
    sb.url(&format!("/connect/{provider}?{q}"))
}

#[tokio::test]
async fn validation_errors_show_an_error_page_without_message() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "alice@example.com", "alice-password").await;
    let used = fresh_nonce();
    sb.alice_grant("google", "google:gmail.readonly").await;
    // use a nonce
    let html = connect_page(&browser, &sb, "github", "github:repo.read", &used).await;
    let token = hidden(&html, "connect_token");
    browser
        .post(sb.url("/connect/github/decision"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "deny")])
        .send()
        .await
        .unwrap();
    let cases = [
        connect_url(&sb, "google", "nope", "google:gmail.readonly", "n1", APP_ORIGIN),
        connect_url(&sb, "google", "dev-client", "google:gmail.readonly", "n1", "http://evil.test"),
        connect_url(&sb, "google", "dev-client", "google:gmail.readonly", "n1", "http://127.0.0.1:3000/"),
        connect_url(&sb, "google", "dev-client", "google:gmail.readonly", "n1", "https://127.0.0.1:3000"),
        connect_url(&sb, "google", "dev-client", "google:gmail.readonly", "", APP_ORIGIN),
        connect_url(&sb, "github", "dev-client", "github:repo.read", &used, APP_ORIGIN),
        connect_url(&sb, "dropbox", "dev-client", "dropbox:read", "n1", APP_ORIGIN),
        connect_url(&sb, "google", "dev-client", "github:repo.read", "n1", APP_ORIGIN),
        connect_url(&sb, "google", "dev-client", "google:everything", "n1", APP_ORIGIN),
        connect_url(&sb, "google", "dev-client", "", "n1", APP_ORIGIN),
        connect_url(&sb, "google", "dev-client", "google:<script>alert(1)</script>", "n1", APP_ORIGIN),
    ];
    for url in cases {
        let resp = browser.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{url}");
        let html = resp.text().await.unwrap();
        assert!(!html.contains("postMessage"), "{url}");
        assert!(!html.contains("<script>"), "escaped: {url}");
    }
}

#[tokio::test]
async fn validation_comes_before_login() {
    let sb = spawn().await;
    let resp = sb
        .http
        .get(connect_url(&sb, "google", "dev-client", "google:gmail.readonly", "n", "http://evil.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let url = connect_url(&sb, "google", "dev-client", "google:gmail.readonly,google:gmail.send", "n", APP_ORIGIN);
    let resp = sb.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let loc = location(&resp);
    let cont = query_param(&loc, "continue").unwrap();
    assert_eq!(sb.url(&cont), url);
}

#[tokio::test]
async fn consent_page_lists_credentials_and_buttons() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "alice@example.com", "alice-password").await;
    let html = connect_page(&browser, &sb, "google", "google:gmail.readonly,google:gmail.send", &fresh_nonce()).await;
    for needle in [
        "id=\"credential-cred-alice-google\"",
        "value=\"cred-alice-google\" checked",
        "id=\"connect-approve\"",
        ">Approve</button>",
        "id=\"connect-new-account\"",
        ">Connect new account</button>",
        "id=\"connect-deny\"",
        ">Deny</button>",
        "<code>google:gmail.send</code>",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(!html.contains("cred-alice-github"));
    assert!(html.contains(&format!("action=\"{}/connect/google/decision\"", sb.base)));
}

#[tokio::test]
async fn scripted_connect_approve_posts_success_message_to_redirect_origin() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "alice@example.com", "alice-password").await;
    let nonce = fresh_nonce();
    let html = connect_page(&browser, &sb, "google", "google:gmail.readonly", &nonce).await;
    let token = hidden(&html, "connect_token");
    let resp = browser
        .post(sb.url("/connect/google/decision"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "approve"), ("credential_id", "cred-alice-google")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("cross-origin-opener-policy").is_none());
    let html = resp.text().await.unwrap();
    assert!(html.contains("window.opener.postMessage(msg,target)"));
    assert!(html.contains(r#"var target="http://127.0.0.1:3000";"#));
    assert!(html.contains("setTimeout(function(){window.close();},1500)"));
    assert!(html.contains("id=\"connect-result\" data-success=\"true\""));
    let msg = message_of(&html);
    let grant_id = msg["grant_id"].as_str().unwrap().to_owned();
    let fixture = format!(
        r#"{{"type":"autogpt_connect_result","success":true,"nonce":"{nonce}","grant_id":"{grant_id}","credential_id":"cred-alice-google","provider":"google"}}"#
    );
    assert_eq!(msg, serde_json::from_str::<Value>(&fixture).unwrap());
    // the grant is visible through the External API
    let t = sb.alice().await;
    let (s, _, body) = sb.api(reqwest::Method::GET, &format!("/grants/{grant_id}"), Some(&t.access), None).await;
    assert_eq!(s, 200);
    let g: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(g["credential_id"], "cred-alice-google");
    assert_eq!(g["granted_scopes"], serde_json::json!(["google:gmail.readonly"]));
    // nonce is single use
    let resp = browser
        .get(connect_url(&sb, "google", "dev-client", "google:gmail.readonly", &nonce, APP_ORIGIN))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // token is single use
    let resp = browser
        .post(sb.url("/connect/google/decision"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "approve"), ("credential_id", "cred-alice-google")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn reapproval_keeps_grant_id_and_merges_scopes() {
    let sb = spawn().await;
    let first = sb.alice_grant("google", "google:gmail.readonly").await;
    let second = sb.alice_grant("google", "google:gmail.send,google:gmail.readonly").await;
    assert_eq!(first["grant_id"], second["grant_id"]);
    let grants = sb.admin(reqwest::Method::GET, "/grants", Value::Null).await;
    assert_eq!(grants.as_array().unwrap().len(), 1);
    assert_eq!(grants[0]["scopes"], serde_json::json!(["google:gmail.readonly", "google:gmail.send"]));
}

#[tokio::test]
async fn deny_posts_access_denied() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "alice@example.com", "alice-password").await;
    let nonce = fresh_nonce();
    let html = connect_page(&browser, &sb, "notion", "notion:read", &nonce).await;
    let token = hidden(&html, "connect_token");
    let html = browser
        .post(sb.url("/connect/notion/decision"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "deny")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fixture = format!(
        r#"{{"type":"autogpt_connect_result","success":false,"nonce":"{nonce}","error":"access_denied","error_description":"The user denied the connection request"}}"#
    );
    assert_eq!(message_of(&html), serde_json::from_str::<Value>(&fixture).unwrap());
    assert!(html.contains("Connection failed: The user denied the connection request"));
}

#[tokio::test]
async fn connect_new_account_through_simulated_provider() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "bob@example.com", "bob-password").await;
    let nonce = fresh_nonce();
    let html = connect_page(&browser, &sb, "github", "github:repo.read", &nonce).await;
    assert!(html.contains("id=\"no-credentials\""));
    assert!(!html.contains("id=\"connect-approve\""));
    let token = hidden(&html, "connect_token");
    let resp = browser
        .post(sb.url("/connect/github/decision"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "new")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let page = browser.get(location(&resp)).send().await.unwrap().text().await.unwrap();
    for needle in ["id=\"provider-account\"", "id=\"provider-allow\"", ">Allow</button>", "id=\"provider-cancel\""] {
        assert!(page.contains(needle), "{needle}");
    }
    let resp = browser
        .post(sb.url("/connect/github/provider-consent"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "allow"), ("account", "bob-gh")])
        .send()
        .await
        .unwrap();
    let msg = message_of(&resp.text().await.unwrap());
    assert_eq!(msg["success"], true);
    assert_eq!(msg["provider"], "github");
    assert_eq!(msg["nonce"], nonce.as_str());
    let cred = msg["credential_id"].as_str().unwrap().to_owned();
    // the new credential is listed next time
    let html = connect_page(&browser, &sb, "github", "github:repo.read", &fresh_nonce()).await;
    assert!(html.contains(&format!("id=\"credential-{cred}\"")));
    assert!(html.contains("bob-gh"));
}

#[tokio::test]
async fn provider_cancel_posts_oauth_error() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "bob@example.com", "bob-password").await;
    let html = connect_page(&browser, &sb, "google", "google:gmail.readonly", &fresh_nonce()).await;
    let token = hidden(&html, "connect_token");
    let html = browser
        .post(sb.url("/connect/google/provider-consent"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "cancel")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let msg = message_of(&html);
    assert_eq!(msg["success"], false);
    assert_eq!(msg["error"], "oauth_error");
}

#[tokio::test]
async fn decision_requires_platform_origin_and_same_session() {
    let sb = spawn().await;
    let alice = client(true);
    login(&alice, &sb, "alice@example.com", "alice-password").await;
    let html = connect_page(&alice, &sb, "google", "google:gmail.readonly", &fresh_nonce()).await;
    let token = hidden(&html, "connect_token");
    for origin in ["http://evil.test", APP_ORIGIN] {
        let resp = alice
            .post(sb.url("/connect/google/decision"))
            .header("Origin", origin)
            .form(&[("connect_token", token.as_str()), ("action", "approve"), ("credential_id", "cred-alice-google")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{origin}");
    }
    let bob = client(true);
    login(&bob, &sb, "bob@example.com", "bob-password").await;
    let resp = bob
        .post(sb.url("/connect/google/decision"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "approve"), ("credential_id", "cred-alice-google")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // another user's credential cannot be granted
    let html = connect_page(&bob, &sb, "google", "google:gmail.readonly", &fresh_nonce()).await;
    let token = hidden(&html, "connect_token");
    let html = bob
        .post(sb.url("/connect/google/decision"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "approve"), ("credential_id", "cred-alice-google")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(message_of(&html)["error"], "grant_error");
}

#[tokio::test]
async fn guide_and_platform_scope_names_are_accepted() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "alice@example.com", "alice-password").await;
    for (provider, scopes) in [
        ("twitter", "twitter:tweet.read,twitter:tweet.write"),
        ("slack", "slack:read"),
        ("google", "google:sheets.readonly,google:drive.read"),
        ("github", "github:repos.read,github:user.read"),
    ] {
        connect_page(&browser, &sb, provider, scopes, &fresh_nonce()).await;
    }
}

#[tokio::test]
async fn result_page_json_cannot_break_out_of_script() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "alice@example.com", "alice-password").await;
    let nonce = "</script><script>alert(1)</script>\u{2028}";
    let html = connect_page(&browser, &sb, "google", "google:gmail.readonly", nonce).await;
    assert!(!html.contains("<script>alert"));
    let token = hidden(&html, "connect_token");
    let html = browser
        .post(sb.url("/connect/google/decision"))
        .header("Origin", sb.base.as_str())
        .form(&[("connect_token", token.as_str()), ("action", "deny")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains('\u{2028}'));
    assert_eq!(message_of(&html)["nonce"], nonce);
}

#[tokio::test]
async fn two_popups_with_one_nonce_produce_one_result() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "alice@example.com", "alice-password").await;
    let nonce = fresh_nonce();
    let first = hidden(&connect_page(&browser, &sb, "google", "google:gmail.readonly", &nonce).await, "connect_token");
    let second = hidden(&connect_page(&browser, &sb, "google", "google:gmail.readonly", &nonce).await, "connect_token");
    let mut statuses = Vec::new();
    for token in [first, second] {
        let resp = browser
            .post(sb.url("/connect/google/decision"))
            .header("Origin", sb.base.as_str())
            .form(&[("connect_token", token.as_str()), ("action", "deny")])
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [200, 400]);
}

#[tokio::test]
async fn provider_page_needs_a_pending_request_of_this_session() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "bob@example.com", "bob-password").await;
    let resp = browser.get(sb.url("/connect/google/provider-consent?connect_token=forged")).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let html = connect_page(&browser, &sb, "google", "google:gmail.readonly", &fresh_nonce()).await;
    let token = hidden(&html, "connect_token");
    let stranger = client(true);
    let resp =
        stranger.get(sb.url(&format!("/connect/google/provider-consent?connect_token={token}"))).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let resp = browser
        .post(sb.url("/connect/google/provider-consent"))
        .header("Origin", "http://evil.test")
        .form(&[("connect_token", token.as_str()), ("action", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}
