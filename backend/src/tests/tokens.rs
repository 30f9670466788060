//! Token manager: expiry skew, single-flight refresh in one process and across replicas,
//! rotation stored atomically, `invalid_grant` (checklist 30–33).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use autogpt::secret::{AccessToken, RefreshToken};
use autogpt::types::TokenResponse;
use tokio::sync::watch;

use super::storage::{profile, tokens};
use super::{TestDb, both_backends, eventually};
use crate::clock::ManualClock;
use crate::storage::{ConnectionId, ConnectionStatus, Storage};
use crate::tokens::{RefreshError, Refresher, TokenError, TokenManager};

const NOW: i64 = 1_000_000;

/// A token endpoint with rotation and reuse detection like the sandbox's: presenting any
/// refresh token but the current one is `invalid_grant` (and would revoke the grant).
struct FakeEndpoint {
    calls: AtomicUsize,
    current: Mutex<String>,
    reject: bool,
    open: watch::Receiver<bool>,
}

impl Refresher for FakeEndpoint {
    async fn refresh(&self, token: &RefreshToken) -> Result<TokenResponse, RefreshError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let mut open = self.open.clone();
        open.wait_for(|o| *o).await.expect("gate sender alive");
        if self.reject {
            return Err(RefreshError::InvalidGrant);
        }
        let mut current = self.current.lock().unwrap();
        if *current != token.secret() {
            return Err(RefreshError::InvalidGrant);
        }
        *current = format!("RT-{n}");
        Ok(tokens(&format!("AT-{n}"), &current, NOW + 3_600))
    }
}

struct Setup {
    endpoint: Arc<FakeEndpoint>,
    gate: watch::Sender<bool>,
    clock: ManualClock,
    id: ConnectionId,
}

/// A connection whose access token expires at `NOW + 30` (inside the 60 s skew).
async fn setup(db: &TestDb, gate_open: bool, reject: bool) -> Setup {
    let (gate, open) = watch::channel(gate_open);
    let endpoint =
        Arc::new(FakeEndpoint { calls: AtomicUsize::new(0), current: Mutex::new("RT-0".to_owned()), reject, open });
    let id = db
        .storage
        .connections()
        .upsert(&profile("alice"), &tokens("AT-0", "RT-0", NOW + 30), NOW - 3_000)
        .await
        .unwrap();
    Setup { endpoint, gate, clock: ManualClock::new(NOW), id }
}

fn manager(storage: Storage, s: &Setup) -> TokenManager<Arc<FakeEndpoint>> {
    TokenManager::new(storage, Arc::clone(&s.endpoint), Arc::new(s.clock.clone()))
}

/// Item 33: refresh exactly when the token expires within the 60 s skew.
async fn item33_refresh_within_skew(db: &TestDb) {
    let s = setup(db, true, false).await;
    let tm = manager(db.storage.clone(), &s);
    s.clock.set(NOW + 30 - 61);
    assert_eq!(tm.access_token(&s.id).await.unwrap().secret(), "AT-0");
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 0);
    s.clock.set(NOW + 30 - 60);
    assert_eq!(tm.access_token(&s.id).await.unwrap().secret(), "AT-1");
    assert_eq!(tm.access_token(&s.id).await.unwrap().secret(), "AT-1", "fresh now");
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 1);
    assert_eq!(tm.force_refresh(&s.id).await.unwrap(), Some(NOW + 3_600));
    assert_eq!(tm.access_token(&s.id).await.unwrap().secret(), "AT-2");
}

/// Item 30: after a refresh the stored refresh token is the new one; the old one is gone.
async fn item30_rotated_refresh_token_stored(db: &TestDb) {
    let s = setup(db, true, false).await;
    let tm = manager(db.storage.clone(), &s);
    tm.access_token(&s.id).await.unwrap();
    let stored = db.storage.connections().tokens(&s.id).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().secret(), "RT-1");
    assert_eq!((stored.access_expires_at, stored.lease_until), (Some(NOW + 3_600), None));
    // The old refresh token is no longer usable at the endpoint, and never needed again.
    assert_eq!(tm.force_refresh(&s.id).await.unwrap(), Some(NOW + 3_600));
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 2, "no invalid_grant from reuse");
}

/// Item 31: 20 concurrent callers needing a refresh → one token-endpoint call.
async fn item31_single_flight_in_process(db: &TestDb) {
    let s = setup(db, false, false).await;
    let tm = manager(db.storage.clone(), &s);
    let callers: Vec<_> = (0..20)
        .map(|_| {
            let (tm, id) = (tm.clone(), s.id.clone());
            tokio::spawn(async move { tm.access_token(&id).await })
        })
        .collect();
    eventually("the first refresh call", || async { s.endpoint.calls.load(Ordering::SeqCst) == 1 }).await;
    s.gate.send(true).unwrap();
    for c in callers {
        assert_eq!(c.await.unwrap().unwrap().secret(), "AT-1");
    }
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 1);
    assert_eq!(tm.refresh_count(), 1);
}

/// Two replicas (two managers on two pools over one database) asking for the expiring token:
/// A holds the refresh lease with its token call held at the gate, B waits on the lease.
struct Race {
    a: TokenManager<Arc<FakeEndpoint>>,
    b: TokenManager<Arc<FakeEndpoint>>,
    first: tokio::task::JoinHandle<Result<AccessToken, TokenError>>,
    second: tokio::task::JoinHandle<Result<AccessToken, TokenError>>,
}

async fn two_replicas_refresh(db: &TestDb, s: &Setup) -> Race {
    let a = manager(db.storage.clone(), s);
    let b = manager(db.replica().await, s);
    let first = tokio::spawn({
        let (a, id) = (a.clone(), s.id.clone());
        async move { a.access_token(&id).await }
    });
    eventually("replica A holds the lease", || async {
        db.storage.connections().tokens(&s.id).await.unwrap().unwrap().lease_until.is_some()
    })
    .await;
    let second = tokio::spawn({
        let (b, id) = (b.clone(), s.id.clone());
        async move { b.access_token(&id).await }
    });
    eventually("replica B waits for the lease", || async { b.lease_wait_count() >= 1 }).await;
    Race { a, b, first, second }
}

/// Item 31 across replicas: two managers on two pools over one database → one refresh; the
/// second waits on the database lease and then uses the first one's tokens.
async fn item31_single_flight_across_replicas(db: &TestDb) {
    let s = setup(db, false, false).await;
    let Race { a, b, first, second } = two_replicas_refresh(db, &s).await;
    s.gate.send(true).unwrap();
    assert_eq!(first.await.unwrap().unwrap().secret(), "AT-1");
    assert_eq!(second.await.unwrap().unwrap().secret(), "AT-1");
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 1);
    assert_eq!((a.refresh_count(), b.refresh_count()), (1, 0));
}

/// Item 32: `invalid_grant` → reconnect required, tokens deleted, no retry (also for a
/// replica that was waiting on the lease).
async fn item32_invalid_grant(db: &TestDb) {
    let s = setup(db, false, true).await;
    let Race { a, first, second, .. } = two_replicas_refresh(db, &s).await;
    s.gate.send(true).unwrap();
    assert!(matches!(first.await.unwrap(), Err(TokenError::ReconnectRequired)));
    assert!(matches!(second.await.unwrap(), Err(TokenError::ReconnectRequired)));
    assert!(matches!(a.access_token(&s.id).await, Err(TokenError::ReconnectRequired)));
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 1, "no retry");
    let rec = db.storage.connections().get(&s.id).await.unwrap().unwrap();
    assert_eq!((rec.status, rec.has_tokens), (ConnectionStatus::ReconnectRequired, false));
    let t = db.storage.connections().tokens(&s.id).await.unwrap().unwrap();
    assert!(t.refresh_token.is_none() && t.access_token.is_none());
    // Signing in again restores the connection.
    a.store_initial(&profile("alice"), &tokens("AT-new", "RT-new", NOW + 3_600)).await.unwrap();
    assert_eq!(a.access_token(&s.id).await.unwrap().secret(), "AT-new");
}

/// A failing endpoint (not `invalid_grant`) leaves the tokens and frees the lease.
async fn transient_refresh_failure_keeps_tokens(db: &TestDb) {
    struct Down;
    impl Refresher for Down {
        async fn refresh(&self, _: &RefreshToken) -> Result<TokenResponse, RefreshError> {
            Err(RefreshError::Other("503".into()))
        }
    }
    let s = setup(db, true, false).await;
    let tm = TokenManager::new(db.storage.clone(), Down, Arc::new(s.clock.clone()));
    assert!(matches!(tm.access_token(&s.id).await, Err(TokenError::Refresh(m)) if m == "503"));
    let t = db.storage.connections().tokens(&s.id).await.unwrap().unwrap();
    assert_eq!((t.status, t.lease_until, t.refresh_token.unwrap().secret()), (ConnectionStatus::Active, None, "RT-0"));
    assert!(matches!(tm.access_token(&ConnectionId::new("nope")).await, Err(TokenError::UnknownConnection)));
    assert_eq!(tm.forget(&s.id).await.unwrap().unwrap().secret(), "RT-0");
    assert!(matches!(tm.access_token(&s.id).await, Err(TokenError::ReconnectRequired)));
}

/// Without a refresh token: a forced refresh fails harmlessly; expiry needs a new sign-in.
async fn no_refresh_token(db: &TestDb) {
    let s = setup(db, true, false).await;
    let mut initial = tokens("AT-x", "unused", NOW + 600);
    initial.refresh_token = None;
    let tm = manager(db.storage.clone(), &s);
    let id = tm.store_initial(&profile("bob"), &initial).await.unwrap();
    assert!(matches!(tm.force_refresh(&id).await, Err(TokenError::Refresh(_))));
    assert_eq!(tm.access_token(&id).await.unwrap().secret(), "AT-x");
    s.clock.set(NOW + 600 - 60);
    assert!(matches!(tm.access_token(&id).await, Err(TokenError::ReconnectRequired)));
    let rec = db.storage.connections().get(&id).await.unwrap().unwrap();
    assert_eq!(rec.status, ConnectionStatus::ReconnectRequired);
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 0);
}

/// Item 30: a caller dropped mid-refresh (client disconnect) does not lose the rotated
/// refresh token: the refresh completes and is stored.
async fn item30_refresh_survives_caller_cancellation(db: &TestDb) {
    let s = setup(db, false, false).await;
    let tm = manager(db.storage.clone(), &s);
    let caller = tokio::spawn({
        let (tm, id) = (tm.clone(), s.id.clone());
        async move { tm.access_token(&id).await }
    });
    eventually("the refresh call", || async { s.endpoint.calls.load(Ordering::SeqCst) == 1 }).await;
    caller.abort();
    s.gate.send(true).unwrap();
    eventually("the rotated token stored", || async {
        let t = db.storage.connections().tokens(&s.id).await.unwrap().unwrap();
        t.refresh_token.is_some_and(|r| r.secret() == "RT-1")
    })
    .await;
    assert_eq!(tm.access_token(&s.id).await.unwrap().secret(), "AT-1");
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 1);
}

/// A platform 401: the refused token is replaced once, however many callers were refused;
/// a caller refused after the replacement gets the new token without another refresh.
async fn refused_token_replaced_once(db: &TestDb) {
    let s = setup(db, true, false).await;
    let tm = manager(db.storage.clone(), &s);
    s.clock.set(NOW - 3_000); // AT-0 is fresh: no refresh for expiry
    let (token, refused) = tm.access_token_versioned(&s.id).await.unwrap();
    assert_eq!(token.secret(), "AT-0");
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 0);
    // Five requests with AT-0 all answered 401 at once.
    let callers: Vec<_> = (0..5)
        .map(|_| {
            let (tm, id) = (tm.clone(), s.id.clone());
            tokio::spawn(async move { tm.replace_refused(&id, refused).await })
        })
        .collect();
    for c in callers {
        assert_eq!(c.await.unwrap().unwrap().secret(), "AT-1");
    }
    // And one more that only learns of the 401 now.
    assert_eq!(tm.replace_refused(&s.id, refused).await.unwrap().secret(), "AT-1");
    assert_eq!(s.endpoint.calls.load(Ordering::SeqCst), 1, "one refresh for one refused token");
    let (token, version) = tm.access_token_versioned(&s.id).await.unwrap();
    assert_eq!((token.secret(), version > refused), ("AT-1", true));
    // The new token refused in turn: replaced again.
    assert_eq!(tm.replace_refused(&s.id, version).await.unwrap().secret(), "AT-2");
}

both_backends!(
    refused_token_replaced_once,
    item30_refresh_survives_caller_cancellation,
    no_refresh_token,
    item33_refresh_within_skew,
    item30_rotated_refresh_token_stored,
    item31_single_flight_in_process,
    item31_single_flight_across_replicas,
    item32_invalid_grant,
    transient_refresh_failure_keeps_tokens,
);
