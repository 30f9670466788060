//! Discovery, health, readiness and start-up.

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn discovery_matches_literal_fixture() {
    let sb = spawn().await;
    let resp = sb.http.get(sb.url("/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let got: Value = resp.json().await.unwrap();
    let fixture = r#"{
      "issuer": "BASE",
      "authorization_endpoint": "BASE/oauth/authorize",
      "token_endpoint": "BASE/oauth/token",
      "revocation_endpoint": "BASE/oauth/revoke",
      "userinfo_endpoint": "BASE/oauth/userinfo",
      "response_types_supported": ["code"],
      "response_modes_supported": ["query"],
      "grant_types_supported": ["authorization_code", "refresh_token"],
      "code_challenge_methods_supported": ["S256"],
      "token_endpoint_auth_methods_supported": ["client_secret_post"],
      "revocation_endpoint_auth_methods_supported": ["client_secret_post", "none"],
      "scopes_supported": ["openid","profile","email","agents:execute","integrations:list","integrations:connect","integrations:delete"],
      "subject_types_supported": ["public"],
      "authorization_response_iss_parameter_supported": false
    }"#;
    let want: Value = serde_json::from_str(&fixture.replace("BASE", &sb.base)).unwrap();
    assert_eq!(got, want);
}

#[tokio::test]
async fn item24_discovery_advertises_iss_when_switched_on() {
    let sb = spawn_with(|c| c.quirks.iss_parameter = true).await;
    let got: Value =
        sb.http.get(sb.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["authorization_response_iss_parameter_supported"], true);
}

#[tokio::test]
async fn healthz_and_index() {
    let sb = spawn().await;
    let resp = sb.http.get(sb.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), r#"{"status":"ok"}"#);
    let resp = sb.http.get(sb.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("Not signed in"));
}

#[tokio::test]
async fn base_url_is_loopback_with_bound_port_and_public_url_overrides() {
    let sb = spawn().await;
    assert_eq!(sb.base, format!("http://127.0.0.1:{}", sb.running.addr().port()));
    let sb2 = spawn_with(|c| c.public_url = Some("http://localhost:8006/".into())).await;
    assert_eq!(sb2.base, "http://localhost:8006");
    sb2.running.shutdown().await;
    let sb3 = spawn_with(|c| c.public_url = Some("http://localhost:0".into())).await;
    assert_eq!(sb3.base, format!("http://localhost:{}", sb3.running.addr().port()));
    let bad =
        sandbox::spawn(sandbox::Config { public_url: Some("not a url".into()), ..sandbox::Config::for_tests() }).await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let sb = spawn().await;
    let url = sb.url("/healthz");
    sb.running.shutdown().await;
    assert!(client(false).get(url).send().await.is_err());
}

#[tokio::test]
async fn data_file_round_trip_keeps_grants() {
    let dir = std::env::temp_dir().join(format!("sandbox-test-{}", sandbox::state::random_uuid()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.json");
    let f = file.clone();
    let sb = spawn_with(move |c| c.data_file = Some(f)).await;
    let msg = sb.alice_grant("google", "google:gmail.readonly").await;
    sb.running.shutdown().await;
    assert!(file.exists());
    let f = file.clone();
    let sb = spawn_with(move |c| c.data_file = Some(f)).await;
    let grants = sb.admin(reqwest::Method::GET, "/grants", Value::Null).await;
    assert_eq!(grants[0]["id"], msg["grant_id"]);
    sb.running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn extra_client_origin_registers_origin_and_callback() {
    let sb = spawn_with(|c| c.extra_client_origins = vec!["http://127.0.0.1:4555".into()]).await;
    let (_, challenge) = pkce();
    let url = sb.authorize_url(&challenge, "s", "openid").replace(
        &serde_urlencoded::to_string([("x", CALLBACK)]).unwrap()[2..],
        &serde_urlencoded::to_string([("x", "http://127.0.0.1:4555/api/autogpt/callback")]).unwrap()[2..],
    );
    let resp = sb.http.get(url).header("X-API-Key", "agpt_alice_dev_key").send().await.unwrap();
    assert_eq!(resp.status(), 200, "consent page for the extra redirect URI");
    let q = serde_urlencoded::to_string([
        ("client_id", "dev-client"),
        ("scopes", "google:gmail.readonly"),
        ("nonce", "n-extra"),
        ("redirect_origin", "http://127.0.0.1:4555"),
    ])
    .unwrap();
    let resp = sb.http.get(sb.url(&format!("/connect/google?{q}"))).send().await.unwrap();
    assert_eq!(resp.status(), 302, "valid request, login needed");
}
