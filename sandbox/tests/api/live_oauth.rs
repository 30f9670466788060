//! Live OAuth provider (`/api/oauth/*` on the backend origin): the browser round trip, JSON
//! token exchange, rotation, every code-exchange error in order, client errors, 422 bodies,
//! introspection, revocation, and the session-authenticated routes the consent page uses.

use reqwest::Method;
use sandbox::live::time;
use serde_json::{Value, json};

use crate::live_support::*;
use crate::support::{location, pkce, query_param, sorted_keys};

/// `2026-10-08T14:03:12.418000Z`
fn is_iso_micros(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 27
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && b[26] == b'Z'
        && s[20..26].bytes().all(|c| c.is_ascii_digit())
        && time::parse(s).is_some()
}

fn now_ms() -> i64 {
    sandbox::state::now_ms()
}

#[tokio::test]
async fn full_round_trip_login_consent_json_exchange_refresh_rotation_and_replay() {
    let live = spawn_live().await;
    let browser = crate::support::client(true);
    let (verifier, challenge) = pkce();
    let auth = live.authorize_url(&challenge, "state-live", APP_SCOPES);
    // 1. anonymous → /login?next=<the authorize path and query>
    let resp = browser.get(&auth).send().await.unwrap();
    assert_eq!(resp.status(), 307);
    let path_and_query = &auth[live.pages.len()..];
    let expected = format!("{}/login?{}", live.pages, serde_urlencoded::to_string([("next", path_and_query)]).unwrap());
    assert_eq!(location(&resp), expected);
    let html = browser.get(&expected).send().await.unwrap().text().await.unwrap();
    let next = crate::support::hidden(&html, "next");
    assert_eq!(next, path_and_query);
    // 2. login continues to the same authorize URL
    let resp = browser
        .post(live.pages_url("/login"))
        .header("Origin", live.pages.as_str())
        .form(&[("email", "alice@example.com"), ("password", "alice-password"), ("next", next.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), auth);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("agpt_live_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    // 3. the consent card
    let html = browser.get(&auth).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"<span id="authorize-app-name">AutoGPT Connect (dev)</span>"#), "{html}");
    assert!(
        html.contains(r#"<li data-scope="RUN_AGENT"><strong>Run Agent</strong>: Run agents from your library</li>"#)
    );
    assert_eq!(html.matches("<li data-scope=").count(), 8);
    assert!(html.contains(r#"id="authorize-approve""#) && html.contains(r#"id="authorize-deny""#));
    // 4. Authorize → callback with code then state
    let fields: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", CALLBACK),
        ("scope", APP_SCOPES),
        ("state", "state-live"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("response_type", "code"),
        ("decision", "authorize"),
    ];
    let resp = live.consent(&browser, &fields).await;
    assert_eq!(resp.status(), 303);
    let callback = location(&resp);
    let code = query_param(&callback, "code").unwrap();
    assert_eq!(callback, format!("{CALLBACK}?code={code}&state=state-live"));
    assert_eq!(code.len(), 43);
    // 5. JSON exchange
    let before = now_ms();
    let a = live.exchange(&code, &verifier).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = &a.json;
    assert_eq!(
        sorted_keys(body),
        [
            "access_token",
            "access_token_expires_at",
            "refresh_token",
            "refresh_token_expires_at",
            "scopes",
            "token_type"
        ]
    );
    assert_eq!(body["token_type"], "Bearer");
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("agpt_xt_") && access.len() == 8 + 43, "{access}");
    assert!(refresh.starts_with("agpt_rt_") && refresh.len() == 8 + 43, "{refresh}");
    let scopes: Vec<&str> = APP_SCOPES.split(' ').collect();
    assert_eq!(body["scopes"], json!(scopes));
    let access_exp = body["access_token_expires_at"].as_str().unwrap();
    let refresh_exp = body["refresh_token_expires_at"].as_str().unwrap();
    assert!(is_iso_micros(access_exp) && is_iso_micros(refresh_exp), "{access_exp} {refresh_exp}");
    let hour = time::parse(access_exp).unwrap() - before;
    assert!((3_599_000..=3_605_000).contains(&hour), "{hour}");
    let month = time::parse(refresh_exp).unwrap() - before;
    assert!((2_591_999_000..=2_592_005_000).contains(&month), "{month}");
    let me = live.v2(Method::GET, "/me", Auth::Bearer(&access), None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["credential_type"], "oauth");
    assert_eq!(me.json["scopes"], json!(scopes));
    // 6. refresh rotates both tokens; the old access token lives on
    let r = live.refresh(&refresh).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let access2 = r.json["access_token"].as_str().unwrap().to_owned();
    let refresh2 = r.json["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(access2, access);
    assert_ne!(refresh2, refresh);
    assert_eq!(r.json["scopes"], json!(scopes));
    assert!(r.json["refresh_token_expires_at"].as_str().unwrap() >= refresh_exp, "fresh 30 days");
    assert_eq!(live.v2(Method::GET, "/me", Auth::Bearer(&access), None).await.status, 200);
    assert_eq!(live.v2(Method::GET, "/me", Auth::Bearer(&access2), None).await.status, 200);
    // 7. replaying the rotated refresh token is refused; the new one works
    let replay = live.refresh(&refresh).await;
    assert_eq!(replay.status, 400);
    assert_eq!(replay.text, r#"{"detail":"Invalid grant: refresh token has been revoked"}"#);
    assert_eq!(live.refresh(&refresh2).await.status, 200);
    // 8. consent is never remembered
    let again = browser.get(live.authorize_url(&challenge, "again", APP_SCOPES)).send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("authorize-card"));
}

#[tokio::test]
async fn every_code_exchange_check_in_order_with_its_detail() {
    let live = spawn_live().await;
    let grant = |detail: &str| format!(r#"{{"detail":"Invalid grant: {detail}"}}"#);
    let a = live.exchange("no-such-code", "v").await;
    assert_eq!((a.status.as_u16(), a.text), (400, grant("authorization code not found")));

    let (code, verifier) = live.code_for("alice@example.com", "alice-password", "IDENTITY").await;
    // 2 before 5: another application, with a wrong redirect URI as well
    let other = live
        .oauth(
            "token",
            json!({"grant_type": "authorization_code", "code": code, "redirect_uri": "http://elsewhere/cb",
                   "code_verifier": verifier, "client_id": "agpt_client_test", "client_secret": "agpt_secret_test"}),
        )
        .await;
    assert_eq!(
        (other.status.as_u16(), other.text),
        (400, grant("authorization code does not belong to this application"))
    );
    let body = |redirect: &str, verifier: &str| {
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
               "code_verifier": verifier, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    };
    let a = live.oauth("token", body("http://127.0.0.1:3000/api/autogpt/callback/", &verifier)).await;
    assert_eq!((a.status.as_u16(), a.text), (400, grant("redirect_uri mismatch")));
    let a = live.oauth("token", body(CALLBACK, "")).await;
    assert_eq!((a.status.as_u16(), a.text), (400, grant("code_verifier required but not provided")));
    let a = live.oauth("token", body(CALLBACK, "wrong-verifier")).await;
    assert_eq!((a.status.as_u16(), a.text), (400, grant("PKCE verification failed")));
    // none of the failures burnt the code
    assert_eq!(live.exchange(&code, &verifier).await.status, 200);
    let used = live.exchange(&code, &verifier).await;
    assert_eq!(used.status, 400);
    let detail = used.json["detail"].as_str().unwrap();
    let at = detail.strip_prefix("Invalid grant: authorization code already used at ").expect(detail);
    // Python's str(datetime): 2026-10-08 14:03:12.418000+00:00
    assert!(at.len() == 32 && &at[10..11] == " " && at.ends_with("+00:00"), "{at}");

    // expired (3 before 4: a used code reports "used"; a fresh expired one "expired", even
    // with a wrong redirect URI)
    let (code, verifier) = live.code_for("alice@example.com", "alice-password", "IDENTITY").await;
    for c in live.sb.running.state().db().live.codes.iter_mut().filter(|c| c.code == code) {
        c.expires_at_ms = 0;
    }
    let a = live
        .oauth(
            "token",
            json!({"grant_type": "authorization_code", "code": code, "redirect_uri": "http://x/",
                   "code_verifier": verifier, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await;
    assert_eq!((a.status.as_u16(), a.text), (400, grant("authorization code expired")));
}

#[tokio::test]
async fn client_checks_come_first_with_401() {
    let live = spawn_live().await;
    let bad = |client_id: &str, secret: &str| {
        json!({"grant_type": "authorization_code", "code": "nope", "redirect_uri": CALLBACK,
               "code_verifier": "v", "client_id": client_id, "client_secret": secret})
    };
    let a = live.oauth("token", bad("agpt_client_nope", CLIENT_SECRET)).await;
    assert_eq!((a.status.as_u16(), a.text.as_str()), (401, r#"{"detail":"Invalid client_id"}"#));
    assert!(a.header("www-authenticate").is_none());
    let a = live.oauth("token", bad(CLIENT_ID, "agpt_secret_wrong")).await;
    assert_eq!((a.status.as_u16(), a.text.as_str()), (401, r#"{"detail":"Invalid client_secret"}"#));
    live.admin(Method::POST, "/live/apps/agpt_client_dev/active", json!({"active": false})).await;
    let a = live.oauth("token", bad(CLIENT_ID, CLIENT_SECRET)).await;
    assert_eq!((a.status.as_u16(), a.text.as_str()), (401, r#"{"detail":"Application is not active"}"#));
    for endpoint in ["introspect", "revoke"] {
        let a =
            live.oauth(endpoint, json!({"token": "x", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})).await;
        assert_eq!(a.status, 401, "{endpoint}");
    }
}

#[tokio::test]
async fn form_bodies_and_invalid_json_models_are_422_in_the_internal_app_shape() {
    let live = spawn_live().await;
    let resp = live
        .http
        .post(live.api_url("/api/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let text = resp.text().await.unwrap();
    assert!(!text.contains(CLIENT_SECRET), "the secret is never echoed");
    assert_json(
        &serde_json::from_str(&text).unwrap(),
        r#"{"message":"Invalid data for POST /api/oauth/token",
            "detail":[{"type":"model_attributes_type","loc":["body"],
                       "msg":"Input should be a valid dictionary or object to extract fields from"}],
            "hint":"Ensure the request matches the API schema."}"#,
    );
    let a = live.oauth("token", json!({"grant_type": "client_credentials", "client_id": CLIENT_ID})).await;
    assert_eq!(a.status, 422);
    assert_json(
        &a.json,
        r#"{"message":"Invalid data for POST /api/oauth/token",
            "detail":[{"type":"literal_error","loc":["body","grant_type"],
                       "msg":"Input should be 'authorization_code' or 'refresh_token'",
                       "ctx":{"expected":"'authorization_code' or 'refresh_token'"}},
                      {"type":"missing","loc":["body","client_secret"],"msg":"Field required"}],
            "hint":"Ensure the request matches the API schema."}"#,
    );
    let a = live
        .oauth(
            "token",
            json!({"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await;
    let missing: Vec<&Value> = a.json["detail"].as_array().unwrap().iter().map(|e| &e["loc"][1]).collect();
    assert_eq!(missing, [&json!("code"), &json!("redirect_uri"), &json!("code_verifier")]);
    let a = live.oauth("introspect", json!({"token": "x", "token_type_hint": "id_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})).await;
    assert_eq!(a.status, 422);
    assert_eq!(a.json["detail"][0]["loc"], json!(["body", "token_type_hint"]));
}

#[tokio::test]
async fn refresh_errors_not_found_other_app_and_expired() {
    let live = spawn_live().await;
    let a = live.refresh("agpt_rt_nope").await;
    assert_eq!(a.text, r#"{"detail":"Invalid grant: refresh token not found"}"#);
    // a token pair of the second app, presented by the first
    let (browser, sid) = live.browser("bob@example.com", "bob-password").await;
    drop(browser);
    let (verifier, challenge) = pkce();
    let r = live
        .http
        .post(live.api_url("/api/oauth/authorize"))
        .bearer_auth(&sid)
        .json(&json!({"client_id": "agpt_client_test", "redirect_uri": CALLBACK, "scopes": ["IDENTITY"],
                      "state": "s", "code_challenge": challenge}))
        .send()
        .await
        .unwrap();
    let url = r.json::<Value>().await.unwrap()["redirect_url"].as_str().unwrap().to_owned();
    let code = query_param(&url, "code").unwrap();
    let t = live
        .oauth(
            "token",
            json!({"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
                   "code_verifier": verifier, "client_id": "agpt_client_test", "client_secret": "agpt_secret_test"}),
        )
        .await;
    assert_eq!(t.status, 200, "{}", t.text);
    let foreign = live.refresh(t.json["refresh_token"].as_str().unwrap()).await;
    assert_eq!(foreign.text, r#"{"detail":"Invalid grant: refresh token does not belong to this application"}"#);
    let mine = live.alice_tokens("IDENTITY").await;
    let n =
        live.admin(Method::POST, "/live/tokens/expire", json!({"email": "alice@example.com", "kind": "refresh"})).await;
    assert_eq!(n, json!({"expired": 1}));
    assert_eq!(live.refresh(&mine.refresh).await.text, r#"{"detail":"Invalid grant: refresh token expired"}"#);
}

#[tokio::test]
async fn introspect_active_inactive_hint_and_disabled_app() {
    let live = spawn_live().await;
    let t = live.alice_tokens("IDENTITY READ_RUN").await;
    let creds = |token: &str, hint: Option<&str>| json!({"token": token, "token_type_hint": hint, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET});
    let a = live.oauth("introspect", creds(&t.access, None)).await;
    assert_eq!(a.status, 200);
    let exp = a.json["exp"].as_i64().unwrap();
    assert_eq!(exp, time::parse(t.body["access_token_expires_at"].as_str().unwrap()).unwrap() / 1000);
    assert_json(
        &a.json,
        &format!(
            r#"{{"active":true,"scopes":["IDENTITY","READ_RUN"],"client_id":"agpt_client_dev","user_id":"user-alice",
                "exp":{exp},"token_type":"access_token"}}"#
        ),
    );
    let a = live.oauth("introspect", creds(&t.refresh, Some("refresh_token"))).await;
    assert_eq!(a.json["token_type"], "refresh_token");
    let a = live.oauth("introspect", creds(&t.refresh, Some("access_token"))).await;
    assert_eq!(a.json["token_type"], "refresh_token", "the hint orders the lookup, it does not restrict it");
    let inactive = r#"{"active":false,"scopes":null,"client_id":null,"user_id":null,"exp":null,"token_type":null}"#;
    assert_json(&live.oauth("introspect", creds("agpt_xt_unknown", None)).await.json, inactive);
    live.oauth("revoke", creds(&t.access, None)).await;
    assert_json(&live.oauth("introspect", creds(&t.access, None)).await.json, inactive);

    // Q8: a token of a disabled app: the unhandled error (500), or inactive with the switch
    let (_, sid) = live.browser("alice@example.com", "alice-password").await;
    let (verifier, challenge) = pkce();
    let r: Value = live
        .http
        .post(live.api_url("/api/oauth/authorize"))
        .bearer_auth(&sid)
        .json(&json!({"client_id": "agpt_client_test", "redirect_uri": CALLBACK, "scopes": ["IDENTITY"],
                      "state": "s", "code_challenge": challenge}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = query_param(r["redirect_url"].as_str().unwrap(), "code").unwrap();
    let other = live
        .oauth(
            "token",
            json!({"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
                   "code_verifier": verifier, "client_id": "agpt_client_test", "client_secret": "agpt_secret_test"}),
        )
        .await;
    let other_access = other.json["access_token"].as_str().unwrap().to_owned();
    live.admin(Method::POST, "/live/apps/agpt_client_test/active", json!({"active": false})).await;
    let a = live.oauth("introspect", creds(&other_access, None)).await;
    assert_eq!(a.status, 500);
    assert_json(
        &a.json,
        r#"{"message":"Failed to process POST /api/oauth/introspect","detail":"Client application is disabled",
            "hint":"Check server logs and dependent services."}"#,
    );
    let me = live.v2(Method::GET, "/me", Auth::Bearer(&other_access), None).await;
    assert_eq!(me.json["error"]["message"], "Client application is disabled");
    live.switch(json!({"introspect_disabled_app_inactive": true})).await;
    assert_json(&live.oauth("introspect", creds(&other_access, None)).await.json, inactive);
}

#[tokio::test]
async fn revoke_is_always_ok_and_only_revokes_the_callers_own_token() {
    let live = spawn_live().await;
    let t = live.alice_tokens("IDENTITY").await;
    let revoke =
        |token: &str, client: (&str, &str)| json!({"token": token, "client_id": client.0, "client_secret": client.1});
    // another app cannot revoke it
    let a = live.oauth("revoke", revoke(&t.access, ("agpt_client_test", "agpt_secret_test"))).await;
    assert_eq!((a.status.as_u16(), a.text.as_str()), (200, r#"{"status":"ok"}"#));
    assert_eq!(live.v2(Method::GET, "/me", Auth::Bearer(&t.access), None).await.status, 200);
    // unknown token: still ok
    let a = live.oauth("revoke", revoke("agpt_xt_nothing", (CLIENT_ID, CLIENT_SECRET))).await;
    assert_eq!(a.text, r#"{"status":"ok"}"#);
    // the access token only: the refresh token still works
    live.oauth("revoke", revoke(&t.access, (CLIENT_ID, CLIENT_SECRET))).await;
    let me = live.v2(Method::GET, "/me", Auth::Bearer(&t.access), None).await;
    assert_eq!(me.status, 401);
    assert_json(
        &me.json,
        r#"{"error":{"code":"unauthorized","message":"Invalid token: access token has been revoked","details":null}}"#,
    );
    let r = live.refresh(&t.refresh).await;
    assert_eq!(r.status, 200);
    // a refresh token: refused afterwards
    let rt = r.json["refresh_token"].as_str().unwrap();
    live.oauth("revoke", json!({"token": rt, "token_type_hint": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})).await;
    assert_eq!(live.refresh(rt).await.text, r#"{"detail":"Invalid grant: refresh token has been revoked"}"#);
}

#[tokio::test]
async fn post_authorize_with_the_session_bearer_and_its_error_matrix() {
    let live = spawn_live().await;
    let (_, sid) = live.browser("alice@example.com", "alice-password").await;
    let call = |body: Value, session: Option<String>| {
        let mut req = live.http.post(live.api_url("/api/oauth/authorize")).json(&body);
        if let Some(s) = session {
            req = req.bearer_auth(s);
        }
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let base = |client: &str, redirect: &str, scopes: Value, response_type: &str| {
        json!({"client_id": client, "redirect_uri": redirect, "scopes": scopes, "state": "s t",
               "response_type": response_type, "code_challenge": "c", "code_challenge_method": "S256"})
    };
    let ok = base(CLIENT_ID, CALLBACK, json!(["IDENTITY"]), "code");
    assert_eq!(call(ok.clone(), None).await, (401, r#"{"detail":"Not authenticated"}"#.into()));
    assert_eq!(call(ok.clone(), Some("sess_unknown".into())).await.0, 401);
    let (status, text) = call(ok, Some(sid.clone())).await;
    assert_eq!(status, 200);
    let url: Value = serde_json::from_str(&text).unwrap();
    let url = url["redirect_url"].as_str().unwrap();
    let code = query_param(url, "code").unwrap();
    assert_eq!(url, format!("{CALLBACK}?code={code}&state=s+t"));

    let (s, t) = call(base("agpt_client_nope", CALLBACK, json!(["IDENTITY"]), "code"), Some(sid.clone())).await;
    assert_eq!((s, t.as_str()), (400, r#"{"detail":"Unknown or inactive client_id"}"#));
    let (s, t) = call(base(CLIENT_ID, "http://evil.example/cb", json!(["IDENTITY"]), "code"), Some(sid.clone())).await;
    assert_eq!(s, 400);
    assert!(
        t.starts_with(
            r#"{"detail":"Invalid redirect_uri. Must be one of: http://127.0.0.1:3000/api/autogpt/callback, "#
        ),
        "{t}"
    );
    let redirect_of =
        |t: String| serde_json::from_str::<Value>(&t).unwrap()["redirect_url"].as_str().unwrap().to_owned();
    let (s, t) = call(base(CLIENT_ID, CALLBACK, json!(["IDENTITY"]), "token"), Some(sid.clone())).await;
    assert_eq!(s, 200);
    assert_eq!(
        redirect_of(t),
        format!(
            "{CALLBACK}?error=unsupported_response_type&state=s+t&error_description=Only+%27code%27+response+type+is+supported"
        )
    );
    let (_, t) = call(base(CLIENT_ID, CALLBACK, json!(["IDENTITY", "NOPE"]), "code"), Some(sid.clone())).await;
    assert_eq!(
        redirect_of(t),
        format!("{CALLBACK}?error=invalid_scope&state=s+t&error_description=Invalid+scope%3A+NOPE")
    );
    let (_, t) = call(base(CLIENT_ID, CALLBACK, json!([]), "code"), Some(sid.clone())).await;
    assert_eq!(
        redirect_of(t),
        format!("{CALLBACK}?error=invalid_scope&state=s+t&error_description=At+least+one+scope+is+required")
    );
    let (_, t) = call(base("agpt_client_test", CALLBACK, json!(["RUN_AGENT"]), "code"), Some(sid.clone())).await;
    assert_eq!(
        redirect_of(t),
        format!(
            "{CALLBACK}?error=invalid_scope&state=s+t&error_description=Application+is+not+authorized+for+all+requested+scopes.+Allowed%3A+IDENTITY%2C+READ_LIBRARY"
        )
    );
    let mut bad = base(CLIENT_ID, CALLBACK, json!(["IDENTITY"]), "code");
    bad["code_challenge_method"] = json!("S512");
    let (s, t) = call(bad, Some(sid)).await;
    assert_eq!(s, 422);
    let v: Value = serde_json::from_str(&t).unwrap();
    assert_eq!(v["message"], "Invalid data for POST /api/oauth/authorize");
    assert_eq!(v["detail"][0]["loc"], json!(["body", "code_challenge_method"]));
}

#[tokio::test]
async fn app_info_variant_a_and_b() {
    let live = spawn_live().await;
    let (_, sid) = live.browser("alice@example.com", "alice-password").await;
    let get = |path: String| {
        let req = live.http.get(live.api_url(&path)).bearer_auth(&sid);
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (s, v) = get(format!("/api/oauth/app/{CLIENT_ID}")).await;
    assert_eq!(s, 200);
    assert_eq!(sorted_keys(&v), ["description", "logo_url", "name", "scopes"]);
    assert_eq!(v["name"], "AutoGPT Connect (dev)");
    assert_eq!(v["logo_url"], Value::Null);
    assert_eq!(v["scopes"].as_array().unwrap().len(), 25);
    let q = serde_urlencoded::to_string([("redirect_uri", CALLBACK)]).unwrap();
    assert_eq!(get(format!("/api/oauth/app/{CLIENT_ID}?{q}")).await.0, 200);
    let (s, v) = get(format!("/api/oauth/app/{CLIENT_ID}?redirect_uri=http%3A%2F%2Fevil.example%2F")).await;
    assert_json(&v, r#"{"detail":"redirect_uri is not registered for this application"}"#);
    assert_eq!(s, 400);
    let (s, v) = get("/api/oauth/app/agpt_client_nope".into()).await;
    assert_eq!((s, v), (404, json!({"detail": "Application not found"})));
    let anonymous = live.http.get(live.api_url(&format!("/api/oauth/app/{CLIENT_ID}"))).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    // variant B: redirect_uris in the body, no check here
    live.switch(json!({"app_info_variant_b": true})).await;
    let (s, v) = get(format!("/api/oauth/app/{CLIENT_ID}?redirect_uri=http%3A%2F%2Fevil.example%2F")).await;
    assert_eq!(s, 200);
    assert!(v["redirect_uris"].as_array().unwrap().contains(&json!(CALLBACK)));
}

#[tokio::test]
async fn unknown_oauth_paths_and_methods_answer_fastapi_defaults() {
    let live = spawn_live().await;
    let resp = live.http.get(live.api_url("/api/oauth/token")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.text().await.unwrap(), r#"{"detail":"Method Not Allowed"}"#);
    let resp = live.http.get(live.api_url("/api/oauth/nope")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.text().await.unwrap(), r#"{"detail":"Not Found"}"#);
    let resp = live.http.get(live.api_url("/oauth/token")).send().await.unwrap();
    assert_eq!(resp.status(), 404, "no OAuth routes at the backend root");
    let health = live.http.get(live.api_url("/healthz")).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), r#"{"status":"ok"}"#);
}
