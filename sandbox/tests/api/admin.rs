//! The admin API: faults, token expiry, settings, reset.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn fault_status_applies_to_next_n_requests_only() {
    let sb = spawn().await;
    let f = sb.admin(Method::POST, "/faults", json!({"route": "/oauth/token", "status": 503, "count": 2})).await;
    assert_eq!(f["remaining"], 2);
    assert_eq!(sb.refresh("x").await.status(), 503);
    assert_eq!(sb.refresh("x").await.status(), 503);
    assert_eq!(sb.refresh("x").await.status(), 400);
    let faults = sb.admin(Method::GET, "/faults", Value::Null).await;
    assert_eq!(faults, json!([]));
}

#[tokio::test]
async fn fault_prefix_method_and_delay() {
    let sb = spawn().await;
    let t = sb.alice().await;
    sb.admin(
        Method::POST,
        "/faults",
        json!({"route": "/api/external/v1/*", "method": "GET", "delay_ms": 50, "status": 500}),
    )
    .await;
    let start = std::time::Instant::now();
    let (s, _, text) = sb.api(Method::GET, "/grants/", Some(&t.access), None).await;
    assert!(start.elapsed() >= std::time::Duration::from_millis(50));
    assert_eq!((s.as_u16(), text.as_str()), (500, r#"{"detail":"Injected fault"}"#));
    let (s, _, _) = sb.api(Method::GET, "/grants/", Some(&t.access), None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn fault_drop_connection() {
    let sb = spawn().await;
    sb.admin(Method::POST, "/faults", json!({"route": "/oauth/userinfo", "drop": true})).await;
    let result = async {
        let resp = sb.http.get(sb.url("/oauth/userinfo")).send().await?;
        resp.bytes().await
    }
    .await;
    assert!(result.is_err(), "connection dropped");
    let resp = sb.http.get(sb.url("/oauth/userinfo")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn fault_validation_and_clear() {
    let sb = spawn().await;
    for body in
        [json!({"route": "oauth/token", "status": 500}), json!({"route": "/x"}), json!({"route": "/x", "status": 1000})]
    {
        let resp = sb.http.post(sb.url("/__admin/faults")).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{body}");
    }
    let resp = sb
        .http
        .post(sb.url("/__admin/faults"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    sb.admin(Method::POST, "/faults", json!({"route": "/healthz", "status": 500, "count": 5})).await;
    let r = sb.admin(Method::DELETE, "/faults", Value::Null).await;
    assert_eq!(r, json!({"cleared": 1}));
}

#[tokio::test]
async fn expire_tokens_by_user_and_by_token() {
    let sb = spawn().await;
    let alice = sb.alice().await;
    let bob = sb.tokens_for("agpt_bob_dev_key", ALL_SCOPES).await;
    let r = sb.admin(Method::POST, "/tokens/expire", json!({"email": "alice@example.com"})).await;
    assert_eq!(r, json!({"expired": 1}));
    let (s, h, text) = sb.api(Method::GET, "/grants/", Some(&alice.access), None).await;
    assert_eq!((s.as_u16(), text.as_str()), (401, r#"{"detail":"Access token has expired"}"#));
    assert_eq!(h["www-authenticate"], "Bearer");
    let (s, _, _) = sb.api(Method::GET, "/grants/", Some(&bob.access), None).await;
    assert_eq!(s, 200);
    // refresh still works after access expiry (that is what the client does)
    assert_eq!(sb.refresh(&alice.refresh).await.status(), 200);
    let r = sb.admin(Method::POST, "/tokens/expire", json!({"token": bob.refresh, "kind": "refresh"})).await;
    assert_eq!(r, json!({"expired": 1}));
    let resp = sb.refresh(&bob.refresh).await;
    assert_eq!(resp.status(), 400);
    let resp = sb
        .http
        .post(sb.url("/__admin/tokens/expire"))
        .json(&json!({"email": "nobody@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn settings_change_at_run_time() {
    let sb = spawn().await;
    let s = sb.admin(Method::GET, "/settings", Value::Null).await;
    assert_eq!(s["token_rate_limit"], 20);
    assert_eq!(s["quirks"]["nested_token_errors"], false);
    let s = sb
        .admin(Method::POST, "/settings", json!({"access_token_ttl_secs": 5, "quirks": {"nested_token_errors": true}}))
        .await;
    assert_eq!(s["access_token_ttl_secs"], 5);
    let t = sb.alice().await;
    assert_eq!(t.body["expires_in"], 5);
    let body: Value = sb.refresh("nope").await.json().await.unwrap();
    assert_eq!(body["detail"]["error"], "invalid_grant");
    let resp = sb.http.post(sb.url("/__admin/settings")).json(&json!({"time_factor": -1.0})).send().await.unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn reset_restores_seed() {
    let sb = spawn().await;
    sb.alice_grant("google", "google:gmail.readonly").await;
    sb.admin(Method::POST, "/settings", json!({"token_rate_limit": 1})).await;
    let r = sb.admin(Method::POST, "/reset", Value::Null).await;
    assert_eq!(r, json!({"reset": true}));
    assert_eq!(sb.admin(Method::GET, "/grants", Value::Null).await, json!([]));
    assert_eq!(sb.admin(Method::GET, "/settings", Value::Null).await["token_rate_limit"], 20);
    assert_eq!(sb.admin(Method::GET, "/executions", Value::Null).await, json!([]));
    assert_eq!(sb.admin(Method::POST, "/snapshot", Value::Null).await, json!({"saved": false}));
}

#[tokio::test]
async fn admin_revoke_unknown_grant_is_404() {
    let sb = spawn().await;
    let resp = sb.http.post(sb.url("/__admin/grants/nope/revoke")).json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = sb.http.post(sb.url("/__admin/deliveries/nope/redeliver")).json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

/// Only loopback peers may use the admin API. Checked in process with a mocked peer address
/// (a test may not send traffic to any other address): the guard refuses before any handler.
#[tokio::test]
async fn admin_api_refuses_peers_that_are_not_loopback() {
    use axum::body::Body;
    use axum::extract::connect_info::MockConnectInfo;
    use axum::http::Request;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    use tower::ServiceExt;

    let sb = spawn().await;
    let peers: [(IpAddr, u16); 5] = [
        (Ipv4Addr::new(10, 0, 0, 7).into(), 403),
        (Ipv4Addr::new(192, 168, 1, 2).into(), 403),
        ("2001:db8::1".parse::<Ipv6Addr>().unwrap().into(), 403),
        (Ipv4Addr::LOCALHOST.into(), 200),
        (Ipv6Addr::LOCALHOST.into(), 200),
    ];
    for (ip, expected) in peers {
        let app =
            sandbox::routes::router(sb.running.state().clone()).layer(MockConnectInfo(SocketAddr::new(ip, 40_000)));
        let request =
            Request::post("/__admin/reset").header("content-type", "application/json").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status().as_u16(), expected, "peer {ip}");
    }
    // The public routes are not guarded.
    let app = sandbox::routes::router(sb.running.state().clone())
        .layer(MockConnectInfo(SocketAddr::new(Ipv4Addr::new(10, 0, 0, 7).into(), 40_000)));
    let response = app.oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

/// The admin router on a mocked loopback peer, for requests a real client cannot shape (Host).
async fn admin_oneshot(sb: &Sandbox, request: axum::http::Request<axum::body::Body>) -> (u16, String) {
    use axum::extract::connect_info::MockConnectInfo;
    use std::net::{Ipv4Addr, SocketAddr};
    use tower::ServiceExt;
    let app = sandbox::routes::router(sb.running.state().clone())
        .layer(MockConnectInfo(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 40_000)));
    let response = app.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Item 10: a page the developer visits can POST `text/plain` (or a form) cross-origin without a
/// preflight; the admin API only takes JSON.
#[tokio::test]
async fn item10_admin_posts_need_a_json_content_type() {
    let sb = spawn().await;
    for content_type in
        [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data; boundary=x"), None]
    {
        let mut req = sb.http.post(sb.url("/__admin/reset")).body("{}");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 403, "{content_type:?}");
        assert_eq!(
            resp.text().await.unwrap(),
            r#"{"detail":"Admin API: POST requests need Content-Type: application/json"}"#
        );
    }
    let resp = sb
        .http
        .post(sb.url("/__admin/reset"))
        .header("content-type", "application/json; charset=utf-8")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // reads and DELETE (not a simple cross-origin method) need no body type
    assert_eq!(sb.http.get(sb.url("/__admin/faults")).send().await.unwrap().status(), 200);
    assert_eq!(sb.http.delete(sb.url("/__admin/faults")).send().await.unwrap().status(), 200);
}

/// Item 10: any `Origin` but the sandbox's own three is refused, reads included.
#[tokio::test]
async fn item10_admin_refuses_foreign_origins() {
    let sb = spawn().await;
    for origin in ["https://evil.example", "null", "http://127.0.0.1:3000", "http://localhost:1"] {
        for req in [sb.http.post(sb.url("/__admin/reset")).json(&json!({})), sb.http.get(sb.url("/__admin/deliveries"))]
        {
            let resp = req.header("Origin", origin).send().await.unwrap();
            assert_eq!(resp.status(), 403, "{origin}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["detail"], format!("Admin API: cross-origin request from {origin:?} refused"));
        }
    }
    let own = [sb.base.clone(), sb.running.live_api_url().to_owned(), sb.running.live_pages_url().to_owned()];
    for origin in own {
        let resp =
            sb.http.post(sb.url("/__admin/reset")).header("Origin", &origin).json(&json!({})).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{origin}");
    }
}

/// Item 10: DNS rebinding — a hostile name resolving to 127.0.0.1 arrives with its own `Host`.
#[tokio::test]
async fn item10_admin_checks_host_against_dns_rebinding() {
    use axum::body::Body;
    use axum::http::Request;
    let sb = spawn().await;
    let port = sb.running.addr().port();
    let post = |host: &str| {
        Request::post("/__admin/reset")
            .header("host", host)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap()
    };
    for host in [format!("evil.example:{port}"), "evil.example".to_owned(), format!("127.0.0.1.nip.io:{port}")] {
        let (status, body) = admin_oneshot(&sb, post(&host)).await;
        assert_eq!(status, 403, "{host}");
        assert!(body.contains("DNS rebinding"), "{body}");
    }
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}"), "LOCALHOST".into()]
    {
        let (status, _) = admin_oneshot(&sb, post(&host)).await;
        assert_eq!(status, 200, "{host}");
    }
    // a configured public host name is the sandbox's own
    let named = spawn_with(|c| c.public_url = Some("http://sandbox.test:0".into())).await;
    let (status, _) = admin_oneshot(&named, post("sandbox.test:1234")).await;
    assert_eq!(status, 200);
    // the real listener: reqwest sends Host 127.0.0.1:PORT
    assert_eq!(sb.http.get(sb.url("/__admin/settings")).send().await.unwrap().status(), 200);
}

/// Item 10 on the live backend origin too: its admin API has the same guards.
#[tokio::test]
async fn item10_live_backend_admin_has_the_same_guards() {
    let sb = spawn().await;
    let api = sb.running.live_api_url().to_owned();
    let resp = sb
        .http
        .post(format!("{api}/__admin/reset"))
        .body("{}")
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp =
        sb.http.get(format!("{api}/__admin/settings")).header("Origin", "https://evil.example").send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let resp = sb.http.get(format!("{api}/__admin/live/settings")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // the pages origin has no admin API at all
    let pages = sb.running.live_pages_url().to_owned();
    assert_eq!(sb.http.get(format!("{pages}/__admin/settings")).send().await.unwrap().status(), 404);
}
