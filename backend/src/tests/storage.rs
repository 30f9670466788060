//! The storage suite: every table's behaviour, on both databases.

use autogpt::ids::{AgentId, CredentialId, ExecutionId, GrantId, Provider, UserId};
use autogpt::random::{Nonce, State};
use autogpt::scope::Scope;
use autogpt::secret::{AccessToken, RefreshToken};
use autogpt::types::{ExecutionStatus, TokenResponse};
use serde_json::json;
use sqlx::Row as _;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion as _, SessionStore as _};

use super::{TestDb, both_backends};
use crate::storage::{
    AfterFailure, ConnectionId, ConnectionStatus, ConsumeAttemptError, GrantUpsert, InsertOutcome, NewExecution,
    NewGrant, Profile, UpdateOutcome, retention_cutoff,
};

pub(super) fn profile(sub: &str) -> Profile {
    Profile { user_sub: UserId::new(sub), email: Some(format!("{sub}@example.com")), name: Some(sub.to_owned()) }
}

pub(super) fn tokens(access: &str, refresh: &str, expires_at: i64) -> TokenResponse {
    TokenResponse {
        access_token: AccessToken::new(access),
        token_type: "Bearer".to_owned(),
        refresh_token: Some(RefreshToken::new(refresh)),
        expires_in: None,
        expires_at: Some(expires_at),
        scopes: vec![Scope::OPENID, Scope::AGENTS_EXECUTE],
        id_token: None,
    }
}

pub(super) async fn connection(db: &TestDb, sub: &str) -> ConnectionId {
    db.storage.connections().upsert(&profile(sub), &tokens("AT", "RT", 5_000), 1_000).await.unwrap()
}

async fn ping_and_sweep(db: &TestDb) {
    db.storage.ping().await.unwrap();
    let alice = connection(db, "alice").await;
    db.storage.attempts().issue(&alice, &Provider::new("google"), &Nonce::generate(), 1_000).await.unwrap();
    db.storage.inbox().insert("k", "execution.started", None, "{}", 1_000).await.unwrap();
    db.storage.inbox().mark_processed("k", 1_000).await.unwrap();
    assert_eq!(db.storage.sweep(1_000 + 2 * 600 - 1, 600).await.unwrap(), 1, "the attempt only");
    assert_eq!(db.storage.sweep(1_000 + 2 * 600 + 1, 600).await.unwrap(), 1, "then the inbox record");
}

/// Item 39 (granted scopes stored); a returning user keeps their connection row.
async fn connection_upsert_reuses_row(db: &TestDb) {
    let c = db.storage.connections();
    let id = c.upsert(&profile("alice"), &tokens("AT-1", "RT-1", 2_000), 1_000).await.unwrap();
    let mut p = profile("alice");
    p.name = Some("Alice A.".into());
    let again = c.upsert(&p, &tokens("AT-2", "RT-2", 3_000), 1_500).await.unwrap();
    assert_eq!(id, again);
    let rec = c.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.profile, p);
    assert_eq!(rec.status, ConnectionStatus::Active);
    assert_eq!(rec.scopes, vec![Scope::OPENID, Scope::AGENTS_EXECUTE]);
    assert_eq!(
        (rec.access_expires_at, rec.has_tokens, rec.created_at, rec.updated_at),
        (Some(3_000), true, 1_000, 1_500)
    );
    let t = c.tokens(&id).await.unwrap().unwrap();
    assert_eq!(t.access_token.unwrap().secret(), "AT-2");
    assert_eq!(t.refresh_token.unwrap().secret(), "RT-2");
    assert_eq!(c.find_by_user(&UserId::new("alice")).await.unwrap().unwrap().id, id);
    assert!(c.find_by_user(&UserId::new("bob")).await.unwrap().is_none());
    let bob = c.upsert(&profile("bob"), &tokens("B", "B", 1), 1).await.unwrap();
    assert_ne!(bob, id);
}

/// Item 34: sign-out deletes local tokens first and hands back the refresh token to revoke.
async fn item34_forget_deletes_tokens(db: &TestDb) {
    let c = db.storage.connections();
    let id = connection(db, "alice").await;
    assert_eq!(c.forget(&id, 2_000).await.unwrap().unwrap().secret(), "RT");
    let rec = c.get(&id).await.unwrap().unwrap();
    assert_eq!((rec.status, rec.has_tokens), (ConnectionStatus::Disconnected, false));
    assert!(c.forget(&id, 2_001).await.unwrap().is_none());
}

/// Item 20: a callback's state is consumed once (stored hashed), so a replay is refused even
/// with a copy of the transaction cookie; expired ones are purged.
async fn item20_transaction_single_use(db: &TestDb) {
    let t = db.storage.consumed_states();
    let state = State::generate();
    assert!(t.consume(state.as_str(), 1_600).await.unwrap(), "first callback");
    assert!(!t.consume(state.as_str(), 1_600).await.unwrap(), "a replay");
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT state_hash FROM consumed_states").fetch_all(db.storage.pool()).await.unwrap();
    assert_eq!(keys, vec![crate::crypto::state_hash(state.as_str())]);
}

/// Item 21 (storage side): consumed states are kept until they would have expired, then
/// purged by upkeep; the transaction itself (and its refusals) lives in the sealed cookie
/// (`services::auth::transaction` tests).
async fn item21_transaction_refusals(db: &TestDb) {
    let t = db.storage.consumed_states();
    t.consume(State::generate().as_str(), 1_600).await.unwrap();
    t.consume(State::generate().as_str(), 1_700).await.unwrap();
    assert_eq!(t.purge_expired(1_600).await.unwrap(), 1);
    assert_eq!(db.storage.sweep(1_700, 600).await.unwrap(), 1, "upkeep's sweep purges them too");
}

/// Item 5/8/15: a Connect nonce is spent once, only by its connection, within 10 minutes.
async fn connect_attempt_single_use(db: &TestDb) {
    let a = db.storage.attempts();
    let alice = connection(db, "alice").await;
    let bob = connection(db, "bob").await;
    let nonce = Nonce::generate();
    a.issue(&alice, &Provider::new("google"), &nonce, 1_000).await.unwrap();
    assert!(matches!(a.consume(&bob, nonce.as_str(), 1_001).await, Err(ConsumeAttemptError::Missing)));
    assert_eq!(a.consume(&alice, nonce.as_str(), 1_001).await.unwrap(), Provider::new("google"));
    assert!(matches!(a.consume(&alice, nonce.as_str(), 1_001).await, Err(ConsumeAttemptError::Missing)));
    let late = Nonce::generate();
    a.issue(&alice, &Provider::new("github"), &late, 1_000).await.unwrap();
    assert!(matches!(a.consume(&alice, late.as_str(), 1_600).await, Err(ConsumeAttemptError::Expired)));
    a.issue(&alice, &Provider::new("github"), &Nonce::generate(), 1_000).await.unwrap();
    assert_eq!(a.purge_expired(1_600).await.unwrap(), 1);
}

async fn grants_merge_list_and_revoke(db: &TestDb) {
    let g = db.storage.grants();
    let alice = connection(db, "alice").await;
    let bob = connection(db, "bob").await;
    let (id, google) = (GrantId::new("g-1"), Provider::new("google"));
    let cred = CredentialId::new("cred-1");
    let grant = |scopes| NewGrant { grant_id: &id, provider: &google, credential_id: None, scopes };
    assert_eq!(g.upsert(&alice, grant(&[Scope::GOOGLE_GMAIL_READONLY]), 10).await.unwrap(), GrantUpsert::Inserted);
    let more = [Scope::GOOGLE_GMAIL_READONLY, Scope::GOOGLE_GMAIL_SEND];
    let with_cred = NewGrant { credential_id: Some(&cred), ..grant(&more) };
    assert_eq!(g.upsert(&alice, with_cred, 20).await.unwrap(), GrantUpsert::Updated);
    assert_eq!(g.upsert(&bob, grant(&more), 30).await.unwrap(), GrantUpsert::OtherConnection);
    let other = GrantId::new("g-2");
    let notion = NewGrant {
        grant_id: &other,
        provider: &Provider::new("notion"),
        credential_id: None,
        scopes: &[Scope::NOTION_READ],
    };
    g.upsert(&alice, notion, 40).await.unwrap();
    let list = g.list_active(&alice).await.unwrap();
    assert_eq!(list.iter().map(|r| r.grant_id.as_str()).collect::<Vec<_>>(), ["g-1", "g-2"]);
    assert_eq!(
        (list[0].scopes.as_slice(), list[0].credential_id.as_ref(), list[0].created_at),
        (&more[..], Some(&cred), 10)
    );
    assert!(g.list_active(&bob).await.unwrap().is_empty());
    let revoked = g.mark_revoked(&id, 50).await.unwrap();
    assert_eq!(revoked.len(), 1);
    assert_eq!((&revoked[0].connection_id, &revoked[0].provider), (&alice, &google));
    assert!(g.mark_revoked(&id, 60).await.unwrap().is_empty(), "idempotent");
    assert_eq!(g.upsert(&alice, grant(&more), 70).await.unwrap(), GrantUpsert::Updated);
    assert_eq!(g.get(&alice, &id).await.unwrap().unwrap().revoked_at, Some(50), "never revived");
    assert_eq!(g.list_active(&alice).await.unwrap().len(), 1);
    assert!(g.mark_revoked(&GrantId::new("unknown"), 1).await.unwrap().is_empty());
}

fn new_exec<'a>(
    id: &'a ExecutionId,
    agent: &'a AgentId,
    status: &'a ExecutionStatus,
    inputs: &'a serde_json::Value,
) -> NewExecution<'a> {
    NewExecution { execution_id: id, agent_id: agent, status, inputs }
}

/// Monotonic, idempotent status updates; reads scoped by connection.
async fn executions_monotonic_and_scoped(db: &TestDb) {
    let e = db.storage.executions();
    let alice = connection(db, "alice").await;
    let bob = connection(db, "bob").await;
    let (x1, agent, inputs) = (ExecutionId::new("x-1"), AgentId::new("echo-agent"), json!({"q": "é"}));
    e.insert(&alice, new_exec(&x1, &agent, &ExecutionStatus::Queued, &inputs), 100).await.unwrap();
    e.insert(&alice, new_exec(&x1, &agent, &ExecutionStatus::Running, &inputs), 101).await.unwrap();
    let running = ExecutionStatus::parse("RUNNING");
    let UpdateOutcome::Applied(r) = e.apply_update(&x1, &running, None, None, 110).await.unwrap() else { panic!() };
    assert_eq!((r.status.as_str(), r.started_at, r.completed_at), ("running", Some(110), None));
    let out = json!({"answer": 42});
    let done = e.apply_update(&x1, &ExecutionStatus::parse("COMPLETED"), Some(&out), None, 120).await.unwrap();
    let UpdateOutcome::Applied(r) = done else { panic!("{done:?}") };
    assert_eq!(
        (r.status.clone(), r.outputs.clone(), r.completed_at, r.is_final()),
        (ExecutionStatus::Completed, Some(out.clone()), Some(120), true)
    );
    for late in [ExecutionStatus::Running, ExecutionStatus::Failed, ExecutionStatus::Completed] {
        assert_eq!(e.apply_update(&x1, &late, None, Some("x"), 130).await.unwrap(), UpdateOutcome::Unchanged);
    }
    assert_eq!(
        e.apply_update(&ExecutionId::new("nope"), &running, None, None, 1).await.unwrap(),
        UpdateOutcome::Unknown
    );
    let got = e.get(&alice, &x1).await.unwrap().unwrap();
    assert_eq!((got.inputs, got.outputs, got.error, got.updated_at), (inputs.clone(), Some(out), None, 120));
    assert!(e.get(&bob, &x1).await.unwrap().is_none(), "another user's execution is invisible");

    let x2 = ExecutionId::new("x-2");
    e.insert(&alice, new_exec(&x2, &agent, &ExecutionStatus::Running, &inputs), 200).await.unwrap();
    assert_eq!(e.apply_update(&x2, &ExecutionStatus::Queued, None, None, 210).await.unwrap(), UpdateOutcome::Unchanged);
    let failed = e.apply_update(&x2, &ExecutionStatus::Failed, None, Some("boom"), 220).await.unwrap();
    assert!(matches!(failed, UpdateOutcome::Applied(r) if r.error.as_deref() == Some("boom")));
    let x3 = ExecutionId::new("x-3");
    e.insert(&alice, new_exec(&x3, &agent, &ExecutionStatus::Queued, &inputs), 300).await.unwrap();
    let cancelled = ExecutionStatus::parse("CANCELLED");
    assert!(
        matches!(e.apply_update(&x3, &cancelled, None, None, 310).await.unwrap(), UpdateOutcome::Applied(r) if r.is_final())
    );
    assert_eq!(e.apply_update(&x3, &running, None, None, 320).await.unwrap(), UpdateOutcome::Unchanged);
    let list = e.list(&alice, 2).await.unwrap();
    assert_eq!(list.iter().map(|r| r.execution_id.as_str()).collect::<Vec<_>>(), ["x-3", "x-2"]);
    assert!(e.list(&bob, 10).await.unwrap().is_empty());
}

/// Item 64: not-final executions without news are listed for reconciliation.
async fn item64_stale_executions(db: &TestDb) {
    let executions = db.storage.executions();
    let e = &executions;
    let alice = connection(db, "alice").await;
    let (agent, inputs) = (AgentId::new("slow-agent"), json!({}));
    for (id, status, at) in [
        ("old-q", ExecutionStatus::Queued, 100),
        ("old-r", ExecutionStatus::Running, 150),
        ("new", ExecutionStatus::Running, 900),
        ("done", ExecutionStatus::Queued, 100),
    ] {
        e.insert(&alice, new_exec(&ExecutionId::new(id), &agent, &status, &inputs), at).await.unwrap();
    }
    e.apply_update(&ExecutionId::new("done"), &ExecutionStatus::Completed, None, None, 200).await.unwrap();
    let stale = |cutoff| async move {
        e.stale(cutoff, 10).await.unwrap().into_iter().map(|r| r.execution_id.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(stale(500).await, ["old-q", "old-r"]);
    e.touch_polled(&ExecutionId::new("old-q"), 600).await.unwrap();
    assert_eq!(stale(500).await, ["old-r"], "polled recently");
    assert_eq!(stale(700).await, ["old-q", "old-r"], "poll is old again");
    assert_eq!(e.stale(700, 1).await.unwrap().len(), 1);
}

/// L5: one watcher per run across replicas: the lease goes to one owner, is renewed by it,
/// is taken over once it ran out, and is never held on a final run.
async fn run_watch_lease_has_one_owner(db: &TestDb) {
    let executions = db.storage.executions();
    let e = &executions;
    let alice = connection(db, "alice").await;
    let (agent, inputs) = (AgentId::new("lib-echo"), json!({}));
    let (run, done) = (ExecutionId::new("run-1"), ExecutionId::new("run-2"));
    e.insert(&alice, new_exec(&run, &agent, &ExecutionStatus::Queued, &inputs), 100).await.unwrap();
    e.insert(&alice, new_exec(&done, &agent, &ExecutionStatus::Queued, &inputs), 100).await.unwrap();
    e.apply_update(&done, &ExecutionStatus::Completed, None, None, 101).await.unwrap();
    let unwatched = |now| async move {
        e.unwatched(now, 10).await.unwrap().into_iter().map(|r| r.execution_id.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(unwatched(100).await, ["run-1"], "a final run is never watched");
    assert!(e.claim_watch(&run, "a", 100, 130).await.unwrap());
    assert!(!e.claim_watch(&run, "b", 110, 140).await.unwrap(), "replica b does not get a held lease");
    assert!(e.claim_watch(&run, "a", 120, 150).await.unwrap(), "the owner renews it");
    assert!(unwatched(140).await.is_empty());
    assert_eq!(unwatched(151).await, ["run-1"], "a lease that ran out is up for adoption");
    assert!(e.claim_watch(&run, "b", 151, 180).await.unwrap(), "b takes over a dead watcher's run");
    assert_eq!(e.watch_lease(&run).await.unwrap(), Some(("b".to_owned(), 180)));
    e.release_watch(&run, "a").await.unwrap();
    assert_eq!(e.watch_lease(&run).await.unwrap(), Some(("b".to_owned(), 180)), "only the owner releases");
    e.release_watch(&run, "b").await.unwrap();
    assert!(e.claim_watch(&run, "a", 152, 190).await.unwrap(), "released: free at once");
    assert!(!e.claim_watch(&done, "a", 152, 190).await.unwrap());
}

/// Items 57 and 61: a delivery is stored once; a redelivery is a duplicate; a failed store is
/// an error (the receiver answers 5xx).
async fn item57_61_inbox_dedupe_and_failure(db: &TestDb) {
    let i = db.storage.inbox();
    let body = r#"{"event":"execution.completed","data":{"execution_id":"x-1"}}"#;
    let first = i.insert("k1", "execution.completed", Some("x-1"), body, 1_000).await.unwrap();
    assert_eq!(first, InsertOutcome::Inserted);
    for _ in 0..2 {
        assert_eq!(
            i.insert("k1", "execution.completed", Some("x-1"), body, 1_001).await.unwrap(),
            InsertOutcome::Duplicate
        );
    }
    let pending = i.unprocessed(10).await.unwrap();
    assert_eq!((pending.len(), pending[0].body.as_str(), pending[0].received_at), (1, body, 1_000));
    i.mark_failed("k1", "platform down", AfterFailure::RetryAt(1_005)).await.unwrap();
    let pending = i.unprocessed(10).await.unwrap();
    assert_eq!((pending[0].attempts, pending[0].last_error.as_deref()), (1, Some("platform down")));
    i.mark_processed("k1", 1_010).await.unwrap();
    i.mark_processed("k1", 1_020).await.unwrap();
    assert!(i.unprocessed(10).await.unwrap().is_empty());
    // Item 61: the store failing surfaces as an error, never as a silent success.
    let replica = db.replica().await;
    replica.close().await;
    assert!(replica.inbox().insert("k2", "execution.failed", None, "{}", 1_030).await.is_err());
}

/// One processor at a time per delivery, across replicas: a claim holds it until the lease
/// runs out or the outcome is recorded; processed deliveries are never claimed again.
async fn inbox_claims_are_exclusive(db: &TestDb) {
    let i = db.storage.inbox();
    let replica = db.replica().await;
    i.insert("k", "execution.completed", Some("x-1"), "{}", 1_000).await.unwrap();
    let mine = i.claim("a", "k", 1_000, 120).await.unwrap().expect("first claim wins");
    assert_eq!((mine.idempotency_key.as_str(), mine.subject_id.as_deref()), ("k", Some("x-1")));
    assert!(replica.inbox().claim("b", "k", 1_001, 120).await.unwrap().is_none(), "held by the first");
    assert!(i.claim("a", "k", 1_119, 120).await.unwrap().is_none(), "held until the lease ends");
    // The holder crashed: once the lease ran out, another processor takes over.
    assert!(replica.inbox().claim("b", "k", 1_120, 120).await.unwrap().is_some(), "lease ran out");
    // A failure releases the claim at once (the next sweep retries).
    replica.inbox().mark_failed("k", "platform down", AfterFailure::RetryAt(1_121)).await.unwrap();
    assert!(i.claim("a", "k", 1_121, 120).await.unwrap().is_some(), "released by the failure");
    i.mark_processed("k", 1_122).await.unwrap();
    assert!(replica.inbox().claim("b", "k", 9_999, 120).await.unwrap().is_none(), "processed: never again");
    assert!(i.claim("a", "unknown", 1_000, 120).await.unwrap().is_none());
    // Twenty concurrent claims of a new delivery: exactly one wins.
    i.insert("k2", "execution.completed", None, "{}", 2_000).await.unwrap();
    let claims: Vec<_> = (0..20)
        .map(|n| {
            let s = if n % 2 == 0 { db.storage.clone() } else { replica.clone() };
            tokio::spawn(async move { s.inbox().claim("a", "k2", 2_000, 120).await.unwrap().is_some() })
        })
        .collect();
    let mut won = 0;
    for c in claims {
        won += usize::from(c.await.unwrap());
    }
    assert_eq!(won, 1);
}

/// Batched processing: one statement claims many (skipping processed and held ones, across
/// replicas), one marks many processed; more keys than one statement carries work too.
async fn inbox_claims_many_at_once(db: &TestDb) {
    let i = db.storage.inbox();
    let replica = db.replica().await;
    let keys: Vec<String> = (0..1_200).map(|n| format!("k{n}")).collect();
    for key in &keys {
        i.insert(key, "execution.completed", None, "{}", 1_000).await.unwrap();
    }
    i.mark_processed("k0", 1_000).await.unwrap();
    assert!(replica.inbox().claim("b", "k1", 1_000, 120).await.unwrap().is_some());
    let mine = i.claim_many("a", &keys, 1_001, 120).await.unwrap();
    assert_eq!(mine.len(), 1_198, "all but the processed one and the one b holds");
    assert!(replica.inbox().claim_many("b", &keys, 1_002, 120).await.unwrap().is_empty(), "a holds them");
    let taken: Vec<String> = mine.iter().map(|(key, _)| key.clone()).collect();
    i.mark_processed_many(&taken, 1_003).await.unwrap();
    assert_eq!(i.due(1_050, 2_000).await.unwrap().len(), 0, "processed, or held by b until its lease ends");
    assert_eq!(
        replica.inbox().claim_many("b", &keys, 9_999, 120).await.unwrap().len(),
        1,
        "only b's own, after its lease"
    );
}

/// Group commit: a batch larger than one statement, with a key already stored and a key twice
/// in the batch; each outcome in order, the first of a repeated key inserted.
async fn inbox_insert_batch_outcomes_in_order(db: &TestDb) {
    let i = db.storage.inbox();
    i.insert("old", "execution.completed", None, "{}", 1).await.unwrap();
    let delivery = |key: &str| crate::storage::NewDelivery {
        key: key.to_owned(),
        event: "execution.completed".into(),
        subject_id: Some("x".into()),
        body: format!("{{\"k\":\"{key}\"}}"),
        received_at: 2,
        settled: false,
    };
    let mut batch: Vec<_> = (0..250).map(|n| delivery(&format!("n{n}"))).collect();
    batch.insert(3, delivery("old"));
    batch.push(delivery("n7"));
    let outcomes = i.insert_batch(&batch, None).await.unwrap();
    assert_eq!(outcomes.len(), 252);
    assert_eq!(outcomes[3], InsertOutcome::Duplicate, "already stored");
    assert_eq!(outcomes[251], InsertOutcome::Duplicate, "second of a repeated key");
    assert_eq!(outcomes.iter().filter(|o| **o == InsertOutcome::Inserted).count(), 250);
    assert_eq!(i.due(9, 1_000).await.unwrap().len(), 251);
}

/// Concurrent group commits (two replicas' writers; on SQLite one waits for the other):
/// batches sharing keys in opposite orders store each key once and fail none (rows are
/// inserted in key order, so no deadlock); a held batch is stored claimed, a settled one
/// processed, and released deliveries are due again.
async fn inbox_concurrent_batches_store_each_key_once(db: &TestDb) {
    let replica = db.replica().await;
    let delivery = |n: usize| crate::storage::NewDelivery {
        key: format!("c{n:03}"),
        event: "execution.completed".into(),
        subject_id: Some("x".into()),
        body: "{}".into(),
        received_at: 10,
        settled: n.is_multiple_of(10),
    };
    let forward: Vec<_> = (0..300).map(delivery).collect();
    let backward: Vec<_> = (0..300).rev().map(delivery).collect();
    let holder = crate::storage::Holder { owner: "a", lease_secs: 30 };
    let (mine, theirs) = (db.storage.inbox(), replica.inbox());
    let (a, b) = tokio::join!(mine.insert_batch(&forward, Some(holder)), theirs.insert_batch(&backward, Some(holder)));
    let (a, b) = (a.unwrap(), b.unwrap());
    for n in 0..300 {
        let inserted = [a[n], b[299 - n]].iter().filter(|o| **o == InsertOutcome::Inserted).count();
        assert_eq!(inserted, 1, "key {n} stored once");
    }
    let i = db.storage.inbox();
    assert!(i.due(20, 1_000).await.unwrap().is_empty(), "held by a, or settled");
    assert_eq!(i.unprocessed(1_000).await.unwrap().len(), 270, "the settled ones are processed");
    let keys: Vec<String> = (0..300).map(|n| format!("c{n:03}")).collect();
    i.release_many("b", &keys).await.unwrap();
    assert!(i.due(20, 1_000).await.unwrap().is_empty(), "only the holder releases");
    i.release_many("a", &keys[..50]).await.unwrap();
    assert_eq!(i.due(20, 1_000).await.unwrap().len(), 45, "due again for the sweep");
    assert_eq!(i.due(41, 1_000).await.unwrap().len(), 270, "all, once the lease ran out");
}

/// The intake hands stored deliveries to the processor while its queue has room; a batch that
/// does not fit is released in the inbox (due for the sweep at once, not after its lease) and
/// the processor is woken to sweep. Deliveries about runs that are not ours are stored processed.
async fn intake_overflow_is_released_and_announced(db: &TestDb) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let intake = crate::intake::Intake::start(db.storage.clone(), "a".into(), tx);
    let backlog = intake.backlog();
    let delivery = |key: &str, event: &str| crate::storage::NewDelivery {
        key: key.to_owned(),
        event: event.to_owned(),
        subject_id: Some(format!("{key}-subject")),
        body: "{}".into(),
        received_at: 100,
        settled: false,
    };
    assert_eq!(intake.store(delivery("k1", "grant.revoked")).await.unwrap(), InsertOutcome::Inserted);
    assert_eq!(intake.store(delivery("k2", "grant.revoked")).await.unwrap(), InsertOutcome::Inserted);
    assert_eq!(intake.store(delivery("k3", "execution.completed")).await.unwrap(), InsertOutcome::Inserted);
    tokio::time::timeout(std::time::Duration::from_secs(5), backlog.notified()).await.expect("the processor is woken");
    let i = db.storage.inbox();
    let due: Vec<String> = i.due(101, 10).await.unwrap().into_iter().map(|r| r.idempotency_key).collect();
    assert_eq!(due, ["k2"], "k1 is held for the processor, k2 released, k3 not ours");
    let (handed, _permit) = rx.recv().await.unwrap();
    assert_eq!(handed.iter().map(|r| r.idempotency_key.as_str()).collect::<Vec<_>>(), ["k1"]);
    assert_eq!(handed[0].body, "{}", "handed over with its body");
    let unprocessed: Vec<String> = i.unprocessed(10).await.unwrap().into_iter().map(|r| r.idempotency_key).collect();
    assert_eq!(unprocessed, ["k1", "k2"], "k3 was stored processed");
    assert_eq!(intake.store(delivery("k1", "grant.revoked")).await.unwrap(), InsertOutcome::Duplicate);
}

/// Issue 11 item 5: 100 deliveries that keep failing cannot hold back a fresh one: given up
/// for good after the last attempt (kept, counted), retries wait for their due time, the most
/// overdue first; a restarted instance releases what it held.
async fn item5_dead_deliveries_do_not_block_the_queue(db: &TestDb) {
    let i = db.storage.inbox();
    for n in 0..100 {
        let key = format!("dead-{n}");
        i.insert(&key, "execution.completed", None, "{}", 1_000).await.unwrap();
        i.mark_failed(&key, "boom", AfterFailure::GiveUp(1_001)).await.unwrap();
    }
    i.insert("fresh", "execution.completed", None, "{}", 1_002).await.unwrap();
    let due = i.due(1_003, 100).await.unwrap();
    assert_eq!(due.iter().map(|r| r.idempotency_key.as_str()).collect::<Vec<_>>(), ["fresh"]);
    assert_eq!(i.dead_count().await.unwrap(), 100);
    assert!(i.claim("a", "dead-0", 1_003, 30).await.unwrap().is_none(), "given up: never claimed again");
    // A retry waits for its time; the most overdue comes first.
    i.insert("later", "execution.completed", None, "{}", 1_000).await.unwrap();
    i.mark_failed("fresh", "boom", AfterFailure::RetryAt(1_100)).await.unwrap();
    i.mark_failed("later", "boom", AfterFailure::RetryAt(1_050)).await.unwrap();
    assert!(i.due(1_049, 100).await.unwrap().is_empty());
    let due: Vec<String> = i.due(1_100, 100).await.unwrap().into_iter().map(|r| r.idempotency_key).collect();
    assert_eq!(due, ["later", "fresh"]);
    // Held by an instance that died: its next incarnation releases the lease at start-up.
    assert!(i.claim("host:3000", "later", 1_100, 30).await.unwrap().is_some());
    assert!(i.due(1_101, 100).await.unwrap().iter().all(|r| r.idempotency_key != "later"));
    assert_eq!(i.release_leases_of("host:3000").await.unwrap(), 1);
    assert!(i.due(1_101, 100).await.unwrap().iter().any(|r| r.idempotency_key == "later"));
    // Given-up deliveries stay for operators: never purged.
    assert_eq!(i.purge_older_than(9_999_999).await.unwrap(), 0);
}

/// Item 58: deliveries are kept at least twice the freshness window (a replay stays a
/// duplicate); unprocessed ones are never purged.
async fn item58_inbox_retention(db: &TestDb) {
    let i = db.storage.inbox();
    let window = 600;
    i.insert("done", "execution.completed", None, "{}", 1_000).await.unwrap();
    i.mark_processed("done", 1_001).await.unwrap();
    i.insert("pending", "execution.completed", None, "{}", 1_000).await.unwrap();
    let just_inside = 1_000 + 2 * window;
    assert_eq!(i.purge_older_than(retention_cutoff(just_inside, window)).await.unwrap(), 0);
    assert_eq!(
        i.insert("done", "execution.completed", None, "{}", just_inside).await.unwrap(),
        InsertOutcome::Duplicate
    );
    assert_eq!(i.purge_older_than(retention_cutoff(just_inside + 1, window)).await.unwrap(), 1);
    assert_eq!(i.unprocessed(10).await.unwrap()[0].idempotency_key, "pending");
}

/// The executions page lists the webhook events of one of the user's executions.
async fn inbox_events_for_execution(db: &TestDb) {
    let alice = connection(db, "alice").await;
    let bob = connection(db, "bob").await;
    let x1 = ExecutionId::new("x-1");
    let e = NewExecution {
        execution_id: &x1,
        agent_id: &AgentId::new("a"),
        status: &ExecutionStatus::Queued,
        inputs: &json!({}),
    };
    db.storage.executions().insert(&alice, e, 1).await.unwrap();
    let i = db.storage.inbox();
    i.insert("k1", "execution.started", Some("x-1"), "{}", 10).await.unwrap();
    i.insert("k2", "execution.completed", Some("x-1"), "{}", 20).await.unwrap();
    i.insert("k3", "execution.completed", Some("x-9"), "{}", 30).await.unwrap();
    let events = i.events_for_execution(&alice, &x1).await.unwrap();
    assert_eq!(
        events.iter().map(|r| r.event.as_str()).collect::<Vec<_>>(),
        ["execution.started", "execution.completed"]
    );
    assert!(i.events_for_execution(&bob, &x1).await.unwrap().is_empty());
}

/// Sessions are shared by every replica through the database.
async fn sessions_store_round_trip(db: &TestDb) {
    let store = db.storage.sessions();
    let future = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let mut record = Record {
        id: Id::default(),
        data: [("connection".to_owned(), json!("c-1"))].into_iter().collect(),
        expiry_date: future,
    };
    store.create(&mut record).await.unwrap();
    let other_replica = db.replica().await.sessions();
    let loaded = other_replica.load(&record.id).await.unwrap().unwrap();
    assert_eq!(loaded, record);
    // A colliding id is never overwritten: create picks another.
    let mut clash = Record { id: record.id, data: Default::default(), expiry_date: future };
    store.create(&mut clash).await.unwrap();
    assert_ne!(clash.id, record.id);
    record.data.insert("k".into(), json!(1));
    store.save(&record).await.unwrap();
    assert_eq!(store.load(&record.id).await.unwrap().unwrap().data["k"], json!(1));
    store.delete(&record.id).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
    let expired = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() - time::Duration::seconds(5),
    };
    store.save(&expired).await.unwrap();
    assert!(store.load(&expired.id).await.unwrap().is_none(), "expired sessions do not load");
    store.delete_expired().await.unwrap();
    let left: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM sessions").fetch_one(db.storage.pool()).await.unwrap().get("n");
    assert_eq!(left, 1, "only the live clash record is left");
}

both_backends!(
    ping_and_sweep,
    connection_upsert_reuses_row,
    item34_forget_deletes_tokens,
    item20_transaction_single_use,
    item21_transaction_refusals,
    connect_attempt_single_use,
    grants_merge_list_and_revoke,
    executions_monotonic_and_scoped,
    item64_stale_executions,
    run_watch_lease_has_one_owner,
    item57_61_inbox_dedupe_and_failure,
    item58_inbox_retention,
    inbox_claims_are_exclusive,
    inbox_claims_many_at_once,
    inbox_insert_batch_outcomes_in_order,
    inbox_concurrent_batches_store_each_key_once,
    intake_overflow_is_released_and_announced,
    item5_dead_deliveries_do_not_block_the_queue,
    inbox_events_for_execution,
    sessions_store_round_trip,
);
