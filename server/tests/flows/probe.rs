use reqwest::StatusCode;
use server::middleware::RateLimits;
use url::Url;

use crate::common::{PgSchema, spawn_app_with, spawn_replica, temp_sqlite};
use crate::support::{Browser, authorize, signed_in, to_callback, token_activity};

#[tokio::test]
async fn probe_missing_iss() {
    let mut platform = sandbox::Config::for_tests();
    platform.quirks.iss_parameter = true;
    let app = spawn_app_with(RateLimits::default(), temp_sqlite(), platform).await;
    let other = Browser::new(&app);
    let start = authorize(&other, "").await;
    let callback = to_callback(&other, start, "approve").await;
    let mut u = Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = u.query_pairs().filter(|(k, _)| k != "iss").map(|(k, v)| (k.into(), v.into())).collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    let r = other.get(u.as_str()).await;
    eprintln!("PROBE missing iss: {} {:?} activity {:?}", r.status, r.location, token_activity(&app));
}

#[tokio::test]
async fn probe_refresh_counts() {
    let db = PgSchema::create();
    let a = spawn_app_with(RateLimits::default(), db.url.clone(), sandbox::Config::for_tests()).await;
    let b = spawn_replica(&a).await;
    let alice = signed_in(&a).await;
    let calls = (0..20).map(|i| {
        let base = if i % 2 == 0 { a.url.clone() } else { b.url.clone() };
        let alice = &alice;
        async move { alice.post_app(&base, "/api/autogpt/refresh").await }
    });
    futures::future::join_all(calls).await;
    eprintln!("PROBE force refresh: a={} b={}", a.state.ctx.tokens.refresh_count(), b.state.ctx.tokens.refresh_count());
    let before = a.state.ctx.tokens.refresh_count() + b.state.ctx.tokens.refresh_count();
    let s0 = alice.call("session", &[]).await;
    eprintln!("PROBE session before expire: {} {}", s0.status, s0.body);
    let g0 = alice.call("grants", &[]).await;
    eprintln!("PROBE grants before expire: {} {}", g0.status, g0.body);
    let c = reqwest::Client::new();
    let r = c.post(format!("{}/__admin/tokens/expire", a.platform.base_url())).body("{}").send().await.unwrap();
    eprintln!("expire {}", r.text().await.unwrap());
    let one = alice.call("grants", &[]).await;
    eprintln!("PROBE single after expire: {} {}", one.status, one.body);
    let one = alice.call("grants", &[]).await;
    eprintln!("PROBE single post_app: {} {}", one.status, one.body);
    let calls = (0..20).map(|i| {
        let base = if i % 2 == 0 { a.url.clone() } else { b.url.clone() };
        let alice = &alice;
        async move { alice.call_from(Some(&alice.app.clone()), if i < 100 { "grants" } else { "" }, &[]).await.status.as_u16() + 0 * base.len() as u16 }
    });
    let st = futures::future::join_all(calls).await;
    eprintln!("PROBE statuses {st:?} refreshes={}", a.state.ctx.tokens.refresh_count() + b.state.ctx.tokens.refresh_count() - before);
    let calls = (0..20).map(|i| {
        let base = if i % 2 == 0 { a.url.clone() } else { b.url.clone() };
        let alice = &alice;
        async move { alice.call_on(&base, Some(&alice.app.clone()), "grants", &[]).await }
    });
    let rs = futures::future::join_all(calls).await;
    let ok = rs.iter().filter(|r| r.status == StatusCode::OK).count();
    eprintln!("PROBE 401 path: ok={ok} refreshes={} bodies={:?}", a.state.ctx.tokens.refresh_count() + b.state.ctx.tokens.refresh_count() - before, rs.iter().filter(|r| r.status != StatusCode::OK).map(|r| r.body.clone()).collect::<Vec<_>>());
    let s = alice.call("session", &[]).await;
    eprintln!("PROBE session after: {}", s.body);
}
