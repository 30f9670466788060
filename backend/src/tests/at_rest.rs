//! Checklist 36: tokens are AEAD-encrypted at rest, and PKCE verifiers never reach the
//! database at all (they travel sealed in the sign-in cookie, issue 11 item 4).

use autogpt::origin::RedirectUri;
use autogpt::pkce::PkceVerifier;
use autogpt::random::State;

use super::storage::{profile, tokens};
use super::{TestDb, both_backends};
use crate::crypto::{AppSecret, Purpose, Sealer};
use crate::services::auth::{AuthMode, Transactions};

const ACCESS: &str = "AT-plaintext-must-not-be-stored-0123456789";
const REFRESH: &str = "RT-plaintext-must-not-be-stored-0123456789";
const VERIFIER: &str = "verifier-plaintext-must-not-be-stored-0123456789";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn store_secrets(db: &TestDb) {
    let id = db.storage.connections().upsert(&profile("alice"), &tokens(ACCESS, REFRESH, 9_999), 1).await.unwrap();
    let t = db.storage.connections().tokens(&id).await.unwrap().unwrap();
    assert_eq!(t.access_token.unwrap().secret(), ACCESS, "still readable through the cipher");
    // A sign-in that starts and finishes: only its consumed state (hashed) is stored.
    let state = State::generate();
    assert!(db.storage.consumed_states().consume(state.as_str(), 601).await.unwrap());
}

/// Both backends: the stored column bytes are ciphertext.
async fn item36_columns_hold_ciphertext(db: &TestDb) {
    store_secrets(db).await;
    let rows: Vec<(Vec<u8>, Vec<u8>)> = sqlx::query_as("SELECT access_token_enc, refresh_token_enc FROM connections")
        .fetch_all(db.storage.pool())
        .await
        .unwrap();
    let states: Vec<String> =
        sqlx::query_scalar("SELECT state_hash FROM consumed_states").fetch_all(db.storage.pool()).await.unwrap();
    let all: Vec<u8> =
        rows.into_iter().flat_map(|(a, r)| [a, r]).flatten().chain(states.concat().into_bytes()).collect();
    assert!(!all.is_empty());
    for secret in [ACCESS, REFRESH, VERIFIER] {
        assert!(!contains(&all, secret), "{secret} stored in plaintext");
    }
}

/// Item 37: `Debug` of the types holding tokens or verifiers shows no secret.
async fn item37_debug_has_no_secrets(db: &TestDb) {
    let id = db.storage.connections().upsert(&profile("alice"), &tokens(ACCESS, REFRESH, 9_999), 1).await.unwrap();
    let stored = db.storage.connections().tokens(&id).await.unwrap().unwrap();
    let state = State::generate();
    let sealer = Sealer::new(&AppSecret::new(vec![1; 32]).unwrap(), Purpose::SignInTransaction);
    let mut tx = Transactions::default();
    let redirect = RedirectUri::new("http://127.0.0.1:3000/cb").unwrap();
    tx.push(&state, PkceVerifier::new(VERIFIER).unwrap(), "/", AuthMode::Window, &redirect, 1);
    let new_tx = format!("{tx:?}");
    let cookie = tx.seal(&sealer).unwrap();
    let taken = Transactions::open(&sealer, Some(&cookie), 2).take(state.as_str()).unwrap();
    let storage = format!("{:?}", db.storage);
    assert!(!cookie.contains(VERIFIER), "the cookie carries the verifier sealed");
    for out in [format!("{stored:?}"), new_tx, format!("{taken:?}"), storage.clone()] {
        for secret in [ACCESS, REFRESH, VERIFIER] {
            assert!(!out.contains(secret), "{out}");
        }
    }
    assert!(!storage.contains("postgres://") && !storage.contains("sqlite://"), "no URL (may hold a password)");
}

both_backends!(item36_columns_hold_ciphertext, item37_debug_has_no_secrets);

/// SQLite: the raw database file and its write-ahead log contain no token plaintext.
#[tokio::test]
async fn item36_sqlite_file_has_no_plaintext() {
    let db = TestDb::sqlite().await;
    store_secrets(&db).await;
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    let mut raw = std::fs::read(&path).unwrap();
    // Recent writes sit in the WAL until a checkpoint: scan it too.
    raw.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
    assert!(contains(&raw, "alice@example.com"), "the scan sees stored rows");
    for secret in [ACCESS, REFRESH, VERIFIER] {
        assert!(!contains(&raw, secret), "{secret} found in the database file");
    }
}
