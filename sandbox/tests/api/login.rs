//! Login page, session cookie, continuation, logout.

use crate::support::*;

#[tokio::test]
async fn login_page_has_form_fields() {
    let sb = spawn().await;
    let html = sb.http.get(sb.url("/login?continue=/x")).send().await.unwrap().text().await.unwrap();
    for needle in [
        "id=\"email\"",
        "id=\"password\"",
        "id=\"login-submit\"",
        ">Sign in</button>",
        "name=\"continue\" value=\"/x\"",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(html.contains(&format!("action=\"{}/login\"", sb.base)));
}

#[tokio::test]
async fn login_sets_httponly_cookie_and_continues() {
    let sb = spawn().await;
    let resp = sb
        .http
        .post(sb.url("/login"))
        .header("Origin", sb.base.as_str())
        .form(&[("email", "alice@example.com"), ("password", "alice-password"), ("continue", "/connect/google?a=b")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), sb.url("/connect/google?a=b"));
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("agpt_platform_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"));
    assert!(!cookie.contains("Secure"), "http public URL");
}

#[tokio::test]
async fn login_rejects_wrong_password_and_escapes() {
    let sb = spawn().await;
    let resp = sb
        .http
        .post(sb.url("/login"))
        .form(&[("email", "alice@example.com"), ("password", "nope"), ("continue", "/<script>")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Invalid email or password"));
    assert!(!html.contains("<script>"));
    assert!(html.contains("/&lt;script&gt;"));
}

#[tokio::test]
async fn login_never_continues_off_site() {
    let sb = spawn().await;
    for evil in ["//evil.test/x", "https://evil.test", "/\\evil.test", "javascript:alert(1)"] {
        let resp = sb
            .http
            .post(sb.url("/login"))
            .form(&[("email", "bob@example.com"), ("password", "bob-password"), ("continue", evil)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303);
        assert_eq!(location(&resp), sb.url("/"), "{evil}");
    }
}

#[tokio::test]
async fn login_cross_site_post_refused() {
    let sb = spawn().await;
    let resp = sb
        .http
        .post(sb.url("/login"))
        .header("Origin", "http://evil.test")
        .form(&[("email", "bob@example.com"), ("password", "bob-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn logout_ends_session() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "alice@example.com", "alice-password").await;
    let html = browser.get(sb.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Signed in as alice@example.com"));
    let resp = browser.post(sb.url("/logout")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let html = browser.get(sb.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Not signed in"));
}

#[tokio::test]
async fn secure_cookie_on_https_public_url() {
    let sb = spawn_with(|c| c.public_url = Some("https://platform.test".into())).await;
    let resp = sb
        .http
        .post(sb.url("/login").replace("https://platform.test", &format!("http://{}", sb.running.addr())))
        .header("Origin", "https://platform.test")
        .form(&[("email", "bob@example.com"), ("password", "bob-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert!(resp.headers()["set-cookie"].to_str().unwrap().contains("; Secure"));
}

#[tokio::test]
async fn get_logout_and_userinfo_post() {
    let sb = spawn().await;
    let browser = client(true);
    login(&browser, &sb, "bob@example.com", "bob-password").await;
    let resp = browser.get(sb.url("/logout")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert!(resp.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let t = sb.alice().await;
    let resp = sb.http.post(sb.url("/oauth/userinfo")).bearer_auth(&t.access).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}
