//! Issue 11 item 3 at the extractor: a session is signed in only while its connection's epoch
//! is the one it signed in under, and only within its absolute lifetime (manual clock).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use tower::ServiceExt as _;

use super::storage::{profile, tokens};
use super::{TestDb, both_backends};
use crate::caller::sign_in;
use crate::testing::backend_settings;
use crate::{Caller, Context, ManualClock, Visitor};

const DAY: i64 = 86_400;

fn router(ctx: Context) -> Router {
    let sessions = tower_sessions::SessionManagerLayer::new(ctx.storage.sessions()).with_secure(false);
    Router::new()
        .route(
            "/sign-in",
            get(|State(ctx): State<Context>, visitor: Visitor| async move {
                let id = ctx
                    .storage
                    .connections()
                    .upsert(&profile("alice"), &tokens("AT", "RT", i64::MAX), 1)
                    .await
                    .unwrap();
                let account = ctx.storage.connections().get(&id).await.unwrap().unwrap();
                sign_in(&visitor.session, &account, ctx.now()).await.unwrap();
            }),
        )
        .route("/me", get(|caller: Caller| async move { caller.account.profile.email.unwrap_or_default() }))
        .layer(sessions)
        .with_state(ctx)
}

async fn call(router: &Router, path: &str, cookie: Option<&str>) -> (StatusCode, Option<String>) {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let set =
        response.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (response.status(), set)
}

async fn item3_sessions_end_at_their_absolute_lifetime_and_with_their_epoch(db: &TestDb) {
    let clock = ManualClock::new(1_000);
    let ctx = Context::build_with_clock(backend_settings(&db.url), Arc::new(clock.clone())).await.unwrap();
    let app = router(ctx.clone());
    let (_, cookie) = call(&app, "/sign-in", None).await;
    let cookie = cookie.expect("a session cookie");
    assert_eq!(call(&app, "/me", Some(&cookie)).await.0, StatusCode::OK);
    // Active all along, it still ends 30 days after it signed in.
    clock.advance(30 * DAY - 1);
    assert_eq!(call(&app, "/me", Some(&cookie)).await.0, StatusCode::OK);
    clock.advance(1);
    assert_eq!(call(&app, "/me", Some(&cookie)).await.0, StatusCode::UNAUTHORIZED);
    // A sign-out elsewhere (the epoch moves on) ends a fresh session too.
    let (_, cookie) = call(&app, "/sign-in", None).await;
    let cookie = cookie.unwrap();
    assert_eq!(call(&app, "/me", Some(&cookie)).await.0, StatusCode::OK);
    let id = ctx.storage.connections().find_by_user(&profile("alice").user_sub).await.unwrap().unwrap().id;
    ctx.tokens.forget(&id).await.unwrap();
    assert_eq!(call(&app, "/me", Some(&cookie)).await.0, StatusCode::UNAUTHORIZED);
    // Signing in again does not revive it.
    let (_, fresh) = call(&app, "/sign-in", None).await;
    assert_eq!(call(&app, "/me", Some(&fresh.unwrap())).await.0, StatusCode::OK);
    assert_eq!(call(&app, "/me", Some(&cookie)).await.0, StatusCode::UNAUTHORIZED);
}

both_backends!(item3_sessions_end_at_their_absolute_lifetime_and_with_their_epoch);
