//! The sign-in transaction — `state`, PKCE verifier, window or popup, where to return —
//! carried by the browser itself in a sealed cookie from `/api/autogpt/authorize` to the
//! callback, so starting a sign-in writes nothing durable (issue 11 item 4).
//!
//! The cookie is ChaCha20-Poly1305 under a key derived from `APP_SECRET` for this purpose
//! only ([`crate::crypto::Sealer`]): the browser can neither read the verifier (checklist 19)
//! nor forge a transaction. It is bound to the browser by being in its cookie jar: a stranger
//! holding a leaked `state` has no transaction to finish (checklist 21). A few pending
//! transactions fit in it, so two tabs signing in at once both work.

use autogpt::origin::RedirectUri;
use autogpt::pkce::PkceVerifier;
use autogpt::random::State;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use crate::crypto::Sealer;

/// How long a user may take on the platform's login and consent pages (the guide's 10 min).
pub const TRANSACTION_TTL_SECS: i64 = 600;
/// Pending sign-ins one browser may have at once (the oldest is dropped beyond).
const MAX_PENDING: usize = 3;

/// Where the callback renders its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Full-page redirect flow.
    Window,
    /// Popup: the callback tells its opener and closes.
    Popup,
}

#[derive(Clone, Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    return_to: String,
    mode: AuthMode,
    redirect_uri: String,
    expires_at: i64,
}

/// A transaction taken out of the cookie by its callback.
#[derive(Debug)]
pub struct TakenTransaction {
    /// The PKCE verifier for the token request.
    pub verifier: PkceVerifier,
    /// Where to send the user afterwards (validated again by the caller).
    pub return_to: String,
    /// Window or popup.
    pub mode: AuthMode,
    /// The `redirect_uri` of the authorization request (checklist 23).
    pub redirect_uri: RedirectUri,
    /// When the transaction would have expired (how long its `state` stays consumed).
    pub expires_at: i64,
}

/// The pending sign-ins a browser carries.
#[derive(Default)]
pub struct Transactions(Vec<Pending>);

impl std::fmt::Debug for Transactions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the state or the verifier (checklist 37).
        f.debug_tuple("Transactions").field(&self.0.len()).finish()
    }
}

impl Transactions {
    /// What the cookie holds, minus the expired; nothing for a missing, tampered or foreign
    /// cookie.
    pub fn open(sealer: &Sealer, cookie: Option<&str>, now: i64) -> Self {
        let pending: Vec<Pending> = cookie
            .and_then(|c| sealer.open(c))
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self(pending.into_iter().filter(|p| p.expires_at > now).collect())
    }

    /// Adds a transaction valid for [`TRANSACTION_TTL_SECS`] from `now`.
    pub fn push(
        &mut self,
        state: &State,
        verifier: PkceVerifier,
        return_to: &str,
        mode: AuthMode,
        redirect_uri: &RedirectUri,
        now: i64,
    ) {
        self.0.insert(
            0,
            Pending {
                state: state.as_str().to_owned(),
                verifier: verifier.secret().to_owned(),
                return_to: return_to.to_owned(),
                mode,
                redirect_uri: redirect_uri.as_str().to_owned(),
                expires_at: now + TRANSACTION_TTL_SECS,
            },
        );
        self.0.truncate(MAX_PENDING);
    }

    /// Takes out the transaction `state` names (compared in constant time), if this browser
    /// has it.
    pub fn take(&mut self, state: &str) -> Option<TakenTransaction> {
        let at = self.0.iter().position(|p| bool::from(p.state.as_bytes().ct_eq(state.as_bytes())))?;
        let p = self.0.remove(at);
        Some(TakenTransaction {
            verifier: PkceVerifier::new(p.verifier).ok()?,
            return_to: p.return_to,
            mode: p.mode,
            redirect_uri: RedirectUri::new(p.redirect_uri).ok()?,
            expires_at: p.expires_at,
        })
    }

    /// The cookie value, or `None` when nothing is pending (clear the cookie).
    pub fn seal(&self, sealer: &Sealer) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        let json = serde_json::to_vec(&self.0).expect("plain strings and integers serialize");
        Some(sealer.seal(&json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{AppSecret, Purpose};

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&AppSecret::new(vec![byte; 32]).unwrap(), Purpose::SignInTransaction)
    }

    fn verifier() -> PkceVerifier {
        PkceVerifier::new("v".repeat(43)).unwrap()
    }

    fn redirect() -> RedirectUri {
        RedirectUri::new("http://127.0.0.1:3000/api/autogpt/callback").unwrap()
    }

    #[test]
    fn item4_item19_the_cookie_carries_the_transaction_sealed() {
        let (s, state) = (sealer(1), State::generate());
        let mut tx = Transactions::default();
        tx.push(&state, verifier(), "/agents", AuthMode::Popup, &redirect(), 1_000);
        let cookie = tx.seal(&s).unwrap();
        assert!(!cookie.contains(&"v".repeat(20)) && !cookie.contains(state.as_str()), "readable: {cookie}");
        let mut back = Transactions::open(&s, Some(&cookie), 1_001);
        let taken = back.take(state.as_str()).expect("the same browser finishes its sign-in");
        assert_eq!((taken.return_to.as_str(), taken.mode, taken.expires_at), ("/agents", AuthMode::Popup, 1_600));
        assert_eq!(taken.verifier.secret(), "v".repeat(43));
        assert!(back.seal(&s).is_none(), "nothing left: the cookie is cleared");
        assert!(!format!("{back:?}{taken:?}").contains(&"v".repeat(20)));
    }

    #[test]
    fn item20_item21_unknown_expired_foreign_or_tampered_transactions_are_refused() {
        let (s, state) = (sealer(1), State::generate());
        let mut tx = Transactions::default();
        tx.push(&state, verifier(), "/", AuthMode::Window, &redirect(), 1_000);
        let cookie = tx.seal(&s).unwrap();
        // Another state, after 10 minutes, another APP_SECRET, no cookie, a flipped character.
        assert!(Transactions::open(&s, Some(&cookie), 1_001).take(State::generate().as_str()).is_none());
        assert!(Transactions::open(&s, Some(&cookie), 1_600).take(state.as_str()).is_none());
        assert!(Transactions::open(&sealer(2), Some(&cookie), 1_001).take(state.as_str()).is_none());
        assert!(Transactions::open(&s, None, 1_001).take(state.as_str()).is_none());
        let mut tampered = cookie.into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(Transactions::open(&s, Some(&tampered), 1_001).take(state.as_str()).is_none());
    }

    #[test]
    fn a_few_tabs_may_sign_in_at_once() {
        let s = sealer(1);
        let states: Vec<State> = (0..4).map(|_| State::generate()).collect();
        let mut tx = Transactions::default();
        for state in &states {
            tx.push(state, verifier(), "/", AuthMode::Window, &redirect(), 1_000);
        }
        let mut back = Transactions::open(&s, tx.seal(&s).as_deref(), 1_001);
        assert!(back.take(states[0].as_str()).is_none(), "the oldest of four is dropped");
        for state in &states[1..] {
            assert!(back.take(state.as_str()).is_some());
        }
    }
}
