//! The Connect popup attempt as a pure state machine (checklist 1–14), shared by
//! the browser island and native tests.
//!
//! The island feeds it DOM events (click, `message`, a timer tick, window focus)
//! and performs the effects it returns; the machine never touches the DOM
//! itself, so every rule below is tested without a browser, with a fake window
//! and a fake clock.
//!
//! Rules: the popup opens synchronously inside the click (no `.await` before
//! `open`, item 1); a failed open is `Blocked` with a link fallback (2); only a
//! message accepted by `autogpt::connect::validate_connect_message` ends the
//! attempt (6–8), and after that nothing does (9); a closed popup is not a
//! cancellation — it asks for one reconciliation and keeps listening (10, 11);
//! the attempt times out (12); a second click while in flight only focuses the
//! popup (13); a failure is reported as text and a retry needs a fresh nonce (14).

use autogpt::connect::{ConnectDecision, MessageData, validate_connect_message_serialized};
use autogpt::random::Nonce;
use serde::{Deserialize, Serialize};

/// Popup size from the guide (G7).
pub const POPUP_WIDTH: i32 = 500;
/// Popup size from the guide (G7).
pub const POPUP_HEIGHT: i32 = 600;
/// Default hard limit of one attempt (checklist 12).
pub const DEFAULT_TIMEOUT_MS: f64 = 600_000.0;

/// What the server hands out before a click: everything needed to open the popup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreparedAttempt {
    /// Provider id (`google`).
    pub provider: String,
    /// Fresh single-use nonce for this attempt (item 5).
    pub nonce: String,
    /// The full popup URL (item 3, 4).
    pub popup_url: String,
    /// The platform origin messages must come from (item 6).
    pub platform_origin: String,
}

/// A window opened by [`PopupHost::open`].
pub trait PopupWindow {
    /// `window.closed` (may read `true` for a live popup under COOP).
    fn is_closed(&self) -> bool;
    /// Brings the popup to the front.
    fn focus(&self);
    /// Closes the popup.
    fn close(&self);
}

/// The browser's `window.open`, abstracted so tests can stub it.
pub trait PopupHost {
    /// The window type.
    type Window: PopupWindow;
    /// Opens `url` in a new window; `None` when the browser blocked it.
    fn open(&mut self, url: &str, features: &str) -> Option<Self::Window>;
}

/// Where an attempt stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Waiting for a nonce from the server.
    Preparing,
    /// Ready to open on click.
    Ready,
    /// Popup open, listening for its message.
    InFlight,
    /// The browser refused the popup: show `url` as a plain link.
    Blocked {
        /// Link fallback.
        url: String,
    },
    /// Message accepted, waiting for the server to confirm the grant (item 15).
    Confirming {
        /// Grant id from the message (not yet trusted).
        grant_id: String,
    },
    /// Connected (confirmed by the server).
    Connected {
        /// Confirmed grant id.
        grant_id: String,
    },
    /// Ended without a grant; the text is shown as text, never HTML.
    Failed {
        /// What went wrong, for people.
        message: String,
    },
    /// No result within the limit (item 12).
    TimedOut,
}

/// What the island must do after feeding an event in.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Nothing.
    None,
    /// Start listening for `message` events (right after a successful open).
    Listen,
    /// Ask the server to confirm this grant; stop listening (item 9, 15).
    Confirm {
        /// The attempt's nonce (the server checks it is its own and unused).
        nonce: String,
        /// Grant id from the accepted message.
        grant_id: String,
    },
    /// Ask the server whether a new grant exists for the provider (item 11).
    Reconcile,
    /// Stop listening: the attempt ended (failure or timeout).
    StopListening,
}

/// One Connect attempt.
pub struct Attempt<W> {
    prepared: Option<PreparedAttempt>,
    window: Option<W>,
    phase: Phase,
    started_ms: f64,
    timeout_ms: f64,
    reconciled: bool,
}

impl<W: PopupWindow> Default for Attempt<W> {
    fn default() -> Self {
        Self::new(DEFAULT_TIMEOUT_MS)
    }
}

impl<W: PopupWindow> Attempt<W> {
    /// A new attempt waiting for its nonce.
    pub fn new(timeout_ms: f64) -> Self {
        Self { prepared: None, window: None, phase: Phase::Preparing, started_ms: 0.0, timeout_ms, reconciled: false }
    }

    /// The current phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// True while a click would start or focus a popup without a server round-trip.
    pub fn is_in_flight(&self) -> bool {
        matches!(self.phase, Phase::InFlight | Phase::Confirming { .. })
    }

    /// A fresh nonce and URL arrived from the server (before the click, item 1; after a
    /// failure, a new one is required for the retry, item 14).
    pub fn prepare(&mut self, prepared: PreparedAttempt) {
        if self.is_in_flight() {
            return;
        }
        self.prepared = Some(prepared);
        self.reconciled = false;
        // After a result the outcome stays visible; the next click uses the new nonce.
        if self.phase == Phase::Preparing {
            self.phase = Phase::Ready;
        }
    }

    /// The nonce of the prepared or running attempt.
    pub fn nonce(&self) -> Option<&str> {
        self.prepared.as_ref().map(|p| p.nonce.as_str())
    }

    /// True when a click can open the popup right away.
    pub fn is_prepared(&self) -> bool {
        self.prepared.is_some() && !self.is_in_flight()
    }

    /// The click handler. Opens the popup synchronously, before any await (item 1).
    pub fn click<H: PopupHost<Window = W>>(&mut self, host: &mut H, features: &str, now_ms: f64) -> Effect {
        if self.is_in_flight() {
            // Item 13: no second popup; bring the open one forward.
            if let Some(window) = &self.window {
                window.focus();
            }
            return Effect::None;
        }
        // A used nonce is never reused (item 14): take it out.
        let Some(prepared) = self.prepared.take() else {
            return Effect::None;
        };
        match host.open(&prepared.popup_url, features) {
            Some(window) if !window.is_closed() => {
                self.window = Some(window);
                self.phase = Phase::InFlight;
                self.started_ms = now_ms;
                self.reconciled = false;
                self.prepared = Some(prepared);
                Effect::Listen
            }
            // Item 2: `None`, or a window that is closed at once, means blocked.
            _ => {
                self.phase = Phase::Blocked { url: prepared.popup_url.clone() };
                self.prepared = Some(prepared);
                Effect::None
            }
        }
    }

    /// A `message` event (items 6–9).
    pub fn on_message(&mut self, origin: &str, data: &impl MessageData) -> Effect {
        if self.phase != Phase::InFlight {
            // Item 9: after the first accepted message, nothing changes.
            return Effect::None;
        }
        let Some(prepared) = &self.prepared else { return Effect::None };
        let nonce = Nonce::new(prepared.nonce.clone());
        match validate_connect_message_serialized(origin, data, &prepared.platform_origin, &nonce) {
            ConnectDecision::Ignore(_) => Effect::None,
            ConnectDecision::Success { grant_id, .. } => {
                self.close_window();
                let nonce = self.prepared.take().map(|p| p.nonce).unwrap_or_default();
                let grant_id = grant_id.as_str().to_owned();
                self.phase = Phase::Confirming { grant_id: grant_id.clone() };
                Effect::Confirm { nonce, grant_id }
            }
            ConnectDecision::Failure { error, error_description } => {
                self.close_window();
                self.prepared = None;
                let message = error_description.filter(|d| !d.trim().is_empty()).unwrap_or_else(|| error.to_string());
                self.phase = Phase::Failed { message };
                Effect::StopListening
            }
        }
    }

    /// Periodic check (e.g. every 500 ms): popup closed → one reconciliation (items 10, 11);
    /// past the limit → timed out (item 12).
    pub fn on_tick(&mut self, now_ms: f64) -> Effect {
        if self.phase != Phase::InFlight {
            return Effect::None;
        }
        if now_ms - self.started_ms >= self.timeout_ms {
            self.close_window();
            self.prepared = None;
            self.phase = Phase::TimedOut;
            return Effect::StopListening;
        }
        let closed = self.window.as_ref().is_some_and(PopupWindow::is_closed);
        if closed && !self.reconciled {
            self.reconciled = true;
            return Effect::Reconcile;
        }
        Effect::None
    }

    /// The opener window regained focus: the user may have finished in the popup (item 11).
    pub fn on_focus(&mut self) -> Effect {
        if self.phase == Phase::InFlight && !self.reconciled {
            self.reconciled = true;
            return Effect::Reconcile;
        }
        Effect::None
    }

    /// The reconciliation answered. `Some(grant)` ends the attempt as connected; `None` keeps
    /// it listening: a late valid message is still accepted (item 10).
    pub fn on_reconciled(&mut self, new_grant: Option<String>) -> Effect {
        match (self.phase.clone(), new_grant) {
            (Phase::InFlight, Some(grant_id)) => {
                self.close_window();
                self.prepared = None;
                self.phase = Phase::Connected { grant_id };
                Effect::StopListening
            }
            _ => Effect::None,
        }
    }

    /// The server confirmed (or refused) the grant from the message (item 15).
    pub fn on_confirmed(&mut self, result: Result<String, String>) {
        if let Phase::Confirming { .. } = self.phase {
            self.phase = match result {
                Ok(grant_id) => Phase::Connected { grant_id },
                Err(message) => Phase::Failed { message },
            };
        }
    }

    fn close_window(&mut self) {
        if let Some(window) = self.window.take() {
            window.close();
        }
    }
}

/// `window.open` features for a centered 500×600 popup over the opener (G7).
pub fn popup_features(screen_x: f64, screen_y: f64, outer_width: f64, outer_height: f64) -> String {
    // Whole pixels, formatted as integers: `f64`'s `Display` alone is ~14 KB of WASM.
    let left = (screen_x + (outer_width - f64::from(POPUP_WIDTH)) / 2.0).max(0.0).round() as i64;
    let top = (screen_y + (outer_height - f64::from(POPUP_HEIGHT)) / 2.0).max(0.0).round() as i64;
    format!("width={POPUP_WIDTH},height={POPUP_HEIGHT},left={left},top={top},popup=true")
}

#[cfg(test)]
mod tests;
