//! Signed-out pages served from the page cache (issue 14 item 2): the kept page is the page a
//! fresh render gives, and nothing that depends on the visitor is ever served from it.

use reqwest::StatusCode;

use crate::browser::{Browser, signed_in};
use crate::support::spawn_app;

/// The page's body with its script nonces blanked, so two renders can be compared.
fn without_nonce(html: &str, csp: &str) -> String {
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce in the CSP");
    html.replace(nonce, "NONCE")
}

#[tokio::test]
async fn a_kept_signed_out_page_is_the_rendered_page_and_never_reaches_a_signed_in_browser() {
    let app = spawn_app().await;
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let r = reqwest::get(format!("{}/connect", app.url)).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get("set-cookie").is_none(), "a signed-out page starts no session");
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
        let html = r.text().await.unwrap();
        bodies.push(without_nonce(&html, &csp));
    }
    assert_eq!(bodies[0], bodies[1], "the kept page is the first render");
    assert_eq!(bodies[1], bodies[2]);
    assert!(bodies[0].contains("Sign in with AutoGPT"), "{}", bodies[0]);

    // A signed-in browser gets its own render: its account, not the kept page.
    let alice = signed_in(&app).await;
    let page = alice.get(&format!("{}/connect", app.url)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("alice@example.com") && page.body.contains("Sign out"), "{}", page.body);
    assert!(!page.body.contains("Sign in with AutoGPT"), "alice saw the signed-out page");

    // A query string is rendered (the error banner is the visitor's own).
    let r = reqwest::get(format!("{}/connect?error=The%20platform%20said%20no", app.url)).await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("The platform said no"), "{html}");
    let r = reqwest::get(format!("{}/connect", app.url)).await.unwrap();
    assert!(!r.text().await.unwrap().contains("The platform said no"), "the banner leaked into the kept page");

    // An unknown path is still a 404, never kept as a page.
    for _ in 0..2 {
        let r = reqwest::get(format!("{}/no-such-page", app.url)).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_stale_session_cookie_is_rendered_not_served_from_the_cache() {
    let app = spawn_app().await;
    let _ = reqwest::get(format!("{}/connect", app.url)).await.unwrap();
    let stranger = Browser::new(&app);
    let r = stranger
        .send(reqwest::Client::new().get(format!("{}/connect", app.url)).header("cookie", "agc_session=not-a-session"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Sign in with AutoGPT"), "an unknown session is signed out: {}", r.body);
}
