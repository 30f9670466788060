//! HTTP-level tests of the server: a real listener on 127.0.0.1:0 (checklist 66, 67).

use crate::support::spawn_app;

#[tokio::test]
async fn healthz_answers_json() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/healthz", app.url)).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn connect_page_is_server_rendered_with_the_sign_in_panel() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/connect", app.url)).await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Sign in with AutoGPT"), "{html}");
    assert!(html.contains("Or use API key instead"));
    assert!(html.contains(r#"href="/api/autogpt/authorize""#));
    // Islands mode: the island is marked for hydration and the bundle is referenced.
    assert!(html.contains("<leptos-island"), "{html}");
    assert!(html.contains("/pkg/autogpt-connect.js"));
}

#[tokio::test]
async fn connect_page_shows_the_error_banner_as_text() {
    let app = spawn_app().await;
    let url = format!("{}/connect?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E", app.url);
    let html = reqwest::get(url).await.unwrap().text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(!html.contains("<script>alert(1)</script>"));
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/no-such-page", app.url)).await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn pages_are_compressed_when_the_browser_accepts_it() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let page = client.get(format!("{}/connect", app.url)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(page.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
}

#[tokio::test]
async fn the_bundle_is_revalidated_on_every_use() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let file = client.get(format!("{}/pkg/probe.js", app.url)).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers().get("cache-control").unwrap(), "no-cache");
    // Unchanged since the browser's copy: 304, no body.
    let modified = file.headers().get("last-modified").expect("Last-Modified").clone();
    let again =
        client.get(format!("{}/pkg/probe.js", app.url)).header("if-modified-since", modified).send().await.unwrap();
    assert_eq!(again.status(), 304);
    // Pages are not affected.
    let page = client.get(format!("{}/connect", app.url)).send().await.unwrap();
    assert!(page.headers().get("cache-control").is_none_or(|v| v != "no-cache"));
}
