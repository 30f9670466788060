//! Checklist 1–14 against a fake window and a fake clock.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde_json::{Value, json};

use super::*;

const PLATFORM: &str = "http://127.0.0.1:8006";

#[derive(Clone, Default)]
struct FakeWindow {
    closed: Rc<Cell<bool>>,
    focused: Rc<Cell<u32>>,
    close_calls: Rc<Cell<u32>>,
}

impl PopupWindow for FakeWindow {
    fn is_closed(&self) -> bool {
        self.closed.get()
    }
    fn focus(&self) {
        self.focused.set(self.focused.get() + 1);
    }
    fn close(&self) {
        self.close_calls.set(self.close_calls.get() + 1);
        self.closed.set(true);
    }
}

/// Records every `open` call; `blocked` makes it return `None`.
#[derive(Default)]
struct FakeHost {
    opened: RefCell<Vec<(String, String)>>,
    blocked: bool,
    closed_at_once: bool,
    last: Option<FakeWindow>,
}

impl PopupHost for FakeHost {
    type Window = FakeWindow;
    fn open(&mut self, url: &str, features: &str) -> Option<FakeWindow> {
        self.opened.borrow_mut().push((url.to_owned(), features.to_owned()));
        if self.blocked {
            return None;
        }
        let window = FakeWindow::default();
        window.closed.set(self.closed_at_once);
        self.last = Some(window.clone());
        Some(window)
    }
}

fn prepared(nonce: &str) -> PreparedAttempt {
    PreparedAttempt {
        provider: "google".into(),
        nonce: nonce.into(),
        popup_url: format!("{PLATFORM}/connect/google?nonce={nonce}"),
        platform_origin: PLATFORM.into(),
    }
}

fn success(nonce: &str) -> Value {
    json!({"type": "autogpt_connect_result", "success": true, "nonce": nonce, "grant_id": "g-1",
           "credential_id": "c-1", "provider": "google"})
}

fn started(host: &mut FakeHost) -> Attempt<FakeWindow> {
    let mut attempt = Attempt::new(DEFAULT_TIMEOUT_MS);
    attempt.prepare(prepared("n-1"));
    assert_eq!(attempt.click(host, "f", 0.0), Effect::Listen);
    attempt
}

#[test]
fn item1_click_opens_synchronously_with_the_prepared_url() {
    let mut host = FakeHost::default();
    let mut attempt = Attempt::new(DEFAULT_TIMEOUT_MS);
    attempt.prepare(prepared("n-1"));
    // `click` is a plain function: the open happens inside the call, before it returns.
    attempt.click(&mut host, "width=500", 0.0);
    assert_eq!(host.opened.borrow().len(), 1);
    assert_eq!(host.opened.borrow()[0].0, format!("{PLATFORM}/connect/google?nonce=n-1"));
    assert_eq!(attempt.phase(), &Phase::InFlight);
}

#[test]
fn item1_click_before_the_nonce_arrives_opens_nothing() {
    let mut host = FakeHost::default();
    let mut attempt: Attempt<FakeWindow> = Attempt::new(DEFAULT_TIMEOUT_MS);
    assert_eq!(attempt.click(&mut host, "f", 0.0), Effect::None);
    assert!(host.opened.borrow().is_empty());
}

#[test]
fn item2_blocked_popup_offers_a_link() {
    for (blocked, closed_at_once) in [(true, false), (false, true)] {
        let mut host = FakeHost { blocked, closed_at_once, ..FakeHost::default() };
        let mut attempt = Attempt::new(DEFAULT_TIMEOUT_MS);
        attempt.prepare(prepared("n-1"));
        attempt.click(&mut host, "f", 0.0);
        assert_eq!(attempt.phase(), &Phase::Blocked { url: format!("{PLATFORM}/connect/google?nonce=n-1") });
    }
}

#[test]
fn items6_7_8_forged_messages_are_ignored() {
    let mut host = FakeHost::default();
    let mut attempt = started(&mut host);
    for (origin, data) in [
        ("https://127.0.0.1:8006", success("n-1")),
        ("http://127.0.0.1:8007", success("n-1")),
        ("http://127.0.0.1:80061", success("n-1")),
        ("http://evil.127.0.0.1:8006", success("n-1")),
        ("null", success("n-1")),
        (PLATFORM, json!("autogpt_connect_result")),
        (PLATFORM, json!({"type": "other", "success": true, "nonce": "n-1", "grant_id": "g"})),
        (PLATFORM, success("n-2")),
        (PLATFORM, json!({"type": "autogpt_connect_result", "success": true, "nonce": "n-1"})),
    ] {
        assert_eq!(attempt.on_message(origin, &data), Effect::None, "{origin} {data}");
        assert_eq!(attempt.phase(), &Phase::InFlight);
    }
    assert_eq!(
        attempt.on_message(PLATFORM, &success("n-1")),
        Effect::Confirm { nonce: "n-1".into(), grant_id: "g-1".into() }
    );
}

#[test]
fn item9_only_the_first_accepted_message_counts() {
    let mut host = FakeHost::default();
    let mut attempt = started(&mut host);
    assert_eq!(
        attempt.on_message(PLATFORM, &success("n-1")),
        Effect::Confirm { nonce: "n-1".into(), grant_id: "g-1".into() }
    );
    assert_eq!(attempt.on_message(PLATFORM, &success("n-1")), Effect::None);
    attempt.on_confirmed(Ok("g-1".into()));
    assert_eq!(attempt.on_message(PLATFORM, &success("n-1")), Effect::None);
    assert_eq!(attempt.phase(), &Phase::Connected { grant_id: "g-1".into() });
    // The popup was closed once, on the accepted message.
    assert_eq!(host.last.unwrap().close_calls.get(), 1);
}

#[test]
fn item10_closed_is_not_cancelled_a_later_message_still_wins() {
    let mut host = FakeHost::default();
    let mut attempt = started(&mut host);
    host.last.as_ref().unwrap().closed.set(true); // COOP: reads closed at 1 s
    assert_eq!(attempt.on_tick(1_000.0), Effect::Reconcile);
    assert_eq!(attempt.on_reconciled(None), Effect::None);
    assert_eq!(attempt.phase(), &Phase::InFlight);
    assert_eq!(attempt.on_tick(2_000.0), Effect::None, "one reconciliation per attempt");
    // The message at 5 s is accepted.
    assert_eq!(
        attempt.on_message(PLATFORM, &success("n-1")),
        Effect::Confirm { nonce: "n-1".into(), grant_id: "g-1".into() }
    );
}

#[test]
fn item11_reconciliation_finding_a_grant_connects() {
    let mut host = FakeHost::default();
    let mut attempt = started(&mut host);
    assert_eq!(attempt.on_focus(), Effect::Reconcile);
    assert_eq!(attempt.on_focus(), Effect::None);
    assert_eq!(attempt.on_reconciled(Some("g-9".into())), Effect::StopListening);
    assert_eq!(attempt.phase(), &Phase::Connected { grant_id: "g-9".into() });
}

#[test]
fn item12_attempt_times_out_and_stops_listening() {
    let mut host = FakeHost::default();
    let mut attempt = started(&mut host);
    assert_eq!(attempt.on_tick(599_999.0), Effect::None);
    assert_eq!(attempt.on_tick(600_000.0), Effect::StopListening);
    assert_eq!(attempt.phase(), &Phase::TimedOut);
    assert_eq!(attempt.on_message(PLATFORM, &success("n-1")), Effect::None);
}

#[test]
fn item13_second_click_focuses_instead_of_opening() {
    let mut host = FakeHost::default();
    let mut attempt = started(&mut host);
    assert_eq!(attempt.click(&mut host, "f", 10.0), Effect::None);
    assert_eq!(host.opened.borrow().len(), 1);
    assert_eq!(host.last.as_ref().unwrap().focused.get(), 1);
}

#[test]
fn item14_failure_text_is_kept_verbatim_and_retry_needs_a_new_nonce() {
    let mut host = FakeHost::default();
    let mut attempt = started(&mut host);
    let failure = json!({"type": "autogpt_connect_result", "success": false, "nonce": "n-1",
                         "error": "access_denied", "error_description": "<img src=x onerror=alert(1)>"});
    assert_eq!(attempt.on_message(PLATFORM, &failure), Effect::StopListening);
    // Plain text: the view renders it as a text node.
    assert_eq!(attempt.phase(), &Phase::Failed { message: "<img src=x onerror=alert(1)>".into() });
    // The used nonce is gone: a click before a new one arrives opens nothing.
    assert_eq!(attempt.click(&mut host, "f", 1.0), Effect::None);
    attempt.prepare(prepared("n-2"));
    assert_eq!(attempt.click(&mut host, "f", 2.0), Effect::Listen);
    assert!(host.opened.borrow()[1].0.ends_with("nonce=n-2"));
}

#[test]
fn failure_without_description_shows_the_code() {
    let mut host = FakeHost::default();
    let mut attempt = started(&mut host);
    let failure = json!({"type": "autogpt_connect_result", "success": false, "nonce": "n-1", "error": "access_denied"});
    attempt.on_message(PLATFORM, &failure);
    assert_eq!(attempt.phase(), &Phase::Failed { message: "access_denied".into() });
}

#[test]
fn item15_a_refused_confirmation_is_a_failure() {
    let mut host = FakeHost::default();
    let mut attempt = started(&mut host);
    attempt.on_message(PLATFORM, &success("n-1"));
    attempt.on_confirmed(Err("The platform does not know this grant.".into()));
    assert_eq!(attempt.phase(), &Phase::Failed { message: "The platform does not know this grant.".into() });
}

#[test]
fn popup_is_centered_over_the_opener() {
    assert_eq!(popup_features(100.0, 50.0, 1300.0, 900.0), "width=500,height=600,left=500,top=200,popup=true");
    assert_eq!(popup_features(0.0, 0.0, 300.0, 300.0), "width=500,height=600,left=0,top=0,popup=true");
}
