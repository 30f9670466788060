//! Thin web-sys adapters for the islands: the popup host, event subscriptions
//! that unsubscribe on drop, an interval timer and JSON decoding of
//! `postMessage` data. Browser-only (`hydrate`).

use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

use crate::connect_flow::{PopupHost, PopupWindow, popup_features};

/// `window.open` through web-sys.
pub struct BrowserHost;

/// A window opened by [`BrowserHost`].
pub struct BrowserPopup(web_sys::Window);

impl PopupWindow for BrowserPopup {
    fn is_closed(&self) -> bool {
        // A window we can no longer read counts as closed; the machine reconciles.
        self.0.closed().unwrap_or(true)
    }
    fn focus(&self) {
        let _ = self.0.focus();
    }
    fn close(&self) {
        let _ = self.0.close();
    }
}

impl PopupHost for BrowserHost {
    type Window = BrowserPopup;
    fn open(&mut self, url: &str, features: &str) -> Option<BrowserPopup> {
        let window = web_sys::window()?;
        window.open_with_url_and_target_and_features(url, "autogpt_connect", features).ok().flatten().map(BrowserPopup)
    }
}

/// Features for a centered popup over the current window.
pub fn centered_features() -> String {
    let Some(w) = web_sys::window() else { return popup_features(0.0, 0.0, 0.0, 0.0) };
    let num = |v: Result<JsValue, JsValue>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    popup_features(
        num(w.screen_x()),
        num(w.screen_y()),
        num(w.outer_width()),
        num(w.outer_height()),
    )
}

/// Milliseconds on a monotonic clock.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// `event.data` as JSON, via `JSON.stringify` (no serde-wasm-bindgen in the bundle).
/// Values that cannot be stringified decode as `Null` and are ignored by the validator.
pub fn message_data(event: &web_sys::MessageEvent) -> Value {
    js_sys::JSON::stringify(&event.data())
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null)
}

/// An event listener on `window` that is removed when dropped (checklist 9, 12).
pub struct WindowListener {
    kind: &'static str,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl WindowListener {
    /// Adds `handler` for `kind` events on `window`.
    pub fn new(kind: &'static str, handler: impl FnMut(web_sys::Event) + 'static) -> Option<Self> {
        let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
        web_sys::window()?.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref()).ok()?;
        Some(Self { kind, closure })
    }
}

impl Drop for WindowListener {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            let _ = w.remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
        }
    }
}

/// A `setInterval` timer cleared when dropped.
pub struct Interval {
    id: i32,
    _closure: Closure<dyn FnMut()>,
}

impl Interval {
    /// Calls `tick` every `ms` milliseconds.
    pub fn new(ms: i32, tick: impl FnMut() + 'static) -> Option<Self> {
        let closure = Closure::<dyn FnMut()>::new(tick);
        let id = web_sys::window()?
            .set_interval_with_callback_and_timeout_and_arguments_0(closure.as_ref().unchecked_ref(), ms)
            .ok()?;
        Some(Self { id, _closure: closure })
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(self.id);
        }
    }
}

/// An `EventSource` on the app's event stream, closed when dropped.
pub struct EventStream {
    source: web_sys::EventSource,
    _handlers: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
}

impl EventStream {
    /// Subscribes to the named SSE events of `url`; `handler(name, data)` gets the raw JSON text.
    pub fn new(url: &str, names: &[&'static str], handler: impl Fn(&str, String) + Clone + 'static) -> Option<Self> {
        let source = web_sys::EventSource::new(url).ok()?;
        let mut handlers = Vec::new();
        for &name in names {
            let handler = handler.clone();
            let closure = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                if let Some(data) = event.data().as_string() {
                    handler(name, data);
                }
            });
            source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref()).ok()?;
            handlers.push(closure);
        }
        Some(Self { source, _handlers: handlers })
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.source.close();
    }
}
