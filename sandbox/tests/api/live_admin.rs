//! Admin switches for the live profile: faults on live endpoints in each route's own error
//! shape, settings validation, reset of the live seed, credentials, app activation.

use reqwest::Method;
use serde_json::json;

use crate::live_support::*;

#[tokio::test]
async fn faults_answer_in_the_shape_of_their_route() {
    let live = spawn_live().await;
    live.admin(
        Method::POST,
        "/faults",
        json!({"route": "/external-api/v2/runs*", "method": "GET", "status": 503, "origin": "live_api"}),
    )
    .await;
    let a = live.alice_get("/runs").await;
    assert_eq!(a.status, 503);
    assert_json(
        &a.json,
        r#"{"error":{"code":"service_unavailable","message":"Failed to process GET /external-api/v2/runs","details":null}}"#,
    );
    assert_eq!(live.alice_get("/runs").await.status, 200, "count 1 by default");
    live.admin(Method::POST, "/faults", json!({"route": "/external-api/v2/me", "status": 429})).await;
    let a = live.alice_get("/me").await;
    assert_json(&a.json, r#"{"error":{"code":"rate_limit_exceeded","message":"Injected fault","details":null}}"#);
    live.admin(Method::POST, "/faults", json!({"route": "/api/oauth/token", "status": 500})).await;
    let a = live.refresh("x").await;
    assert_eq!(a.status, 500);
    assert_json(
        &a.json,
        r#"{"message":"Failed to process POST /api/oauth/token","detail":"Injected fault","hint":"Check server logs and dependent services."}"#,
    );
    // a pattern with a wildcard segment, until cleared, with a delay
    live.admin(
        Method::POST,
        "/faults",
        json!({"route": "/external-api/v2/runs/*/stop", "status": 502, "delay_ms": 30, "until_cleared": true}),
    )
    .await;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let a = live.v2(Method::POST, "/runs/abc/stop", Auth::Key(ALICE_KEY), None).await;
        assert_eq!(a.json["error"]["code"], "upstream_error");
        assert!(started.elapsed() >= std::time::Duration::from_millis(30));
    }
    assert_eq!(live.alice_get("/runs/abc").await.status, 404, "other routes unaffected");
    assert_eq!(live.admin(Method::DELETE, "/faults", json!(null)).await, json!({"cleared": 1}));
    assert_eq!(live.v2(Method::POST, "/runs/abc/stop", Auth::Key(ALICE_KEY), None).await.status, 404);
    // origin filter: a guide-only fault leaves the live /healthz alone
    live.admin(Method::POST, "/faults", json!({"route": "/healthz", "status": 500, "origin": "guide"})).await;
    assert_eq!(live.http.get(live.api_url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(live.http.get(live.sb.url("/healthz")).send().await.unwrap().status(), 500);
    // the pages origin answers an HTML error page
    live.admin(Method::POST, "/faults", json!({"route": "/login", "status": 502, "origin": "live_pages"})).await;
    let resp = live.http.get(live.pages_url("/login")).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let bad = live
        .http
        .post(live.api_url("/__admin/faults"))
        .json(&json!({"route": "/x", "status": 500, "origin": "moon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn live_settings_validation_and_reset() {
    let live = spawn_live().await;
    let s = live.admin(Method::GET, "/live/settings", json!(null)).await;
    assert_json(
        &s,
        r#"{"rate_limit":200,"run_rate_limit":60,"rate_window_secs":60,"payment_required":false,
            "consent_mode":"interactive","run_start_delay_ms":0,"idempotency_unavailable":false,
            "app_info_variant_b":false,"legacy_credentials_list":false,"timestamps_without_fraction":false,
            "reviews_allow_partial":false,"run_start_incomplete":false,"introspect_disabled_app_inactive":false}"#,
    );
    for bad in
        [json!({"rate_limitt": 1}), json!({"rate_limit": "many"}), json!({"consent_mode": "sometimes"}), json!([1])]
    {
        let resp = live.http.post(live.api_url("/__admin/live/settings")).json(&bad).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }
    live.switch(json!({"payment_required": true})).await;
    live.admin(Method::POST, "/live/apps/agpt_client_dev/active", json!({"active": false})).await;
    live.start_expecting_402().await;
    live.admin(Method::POST, "/credentials/cred-alice-github/delete", json!({})).await;
    assert_eq!(live.admin(Method::POST, "/reset", json!({})).await, json!({"reset": true}));
    assert_eq!(live.admin(Method::GET, "/live/settings", json!(null)).await["payment_required"], false);
    assert_eq!(live.alice_get("/integrations/credentials").await.json["total_count"], 3, "seed restored");
    let t = live.alice_tokens("IDENTITY").await;
    assert!(!t.access.is_empty(), "the app is active again");
    assert_eq!(live.admin(Method::GET, "/live/runs", json!(null)).await, json!([]));
    let missing =
        live.http.post(live.api_url("/__admin/credentials/nope/delete")).json(&json!({})).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let missing = live
        .http
        .post(live.api_url("/__admin/live/apps/nope/active"))
        .json(&json!({"active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let creds = live.admin(Method::GET, "/credentials", json!(null)).await;
    assert_eq!(creds.as_array().unwrap().len(), 3);
}

impl Live {
    async fn start_expecting_402(&self) {
        let a = self
            .v2(
                Method::POST,
                "/library/agents/lib-echo/runs",
                Auth::Key(ALICE_KEY),
                Some(json!({"inputs": {"message": "m"}})),
            )
            .await;
        assert_eq!(a.status, 402);
    }
}
