//! Thin web-sys adapters for the islands: the popup host, event subscriptions
//! that unsubscribe on drop, an interval timer, and field-by-field reading of
//! `postMessage` data and event-stream JSON. Browser-only (`hydrate`).

use wasm_bindgen::{JsCast, JsValue, closure::Closure};

use crate::api::events::STREAM_PATH;
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
    popup_features(num(w.screen_x()), num(w.screen_y()), num(w.outer_width()), num(w.outer_height()))
}

/// Milliseconds on a monotonic clock.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// A JavaScript object read field by field: `postMessage` data, or the JSON of an
/// event-stream message parsed by the browser's own `JSON.parse` (no JSON parser in
/// the bundle).
pub struct JsObject(JsValue);

/// The data of a `message` event.
pub fn message_data(event: &web_sys::MessageEvent) -> JsObject {
    JsObject(event.data())
}

impl JsObject {
    /// `JSON.parse(text)`; `None` for text that is not JSON.
    pub fn parse(text: &str) -> Option<Self> {
        js_sys::JSON::parse(text).ok().map(Self)
    }

    fn field(&self, key: &str) -> Option<JsValue> {
        if !autogpt::connect::MessageData::is_object(self) {
            return None;
        }
        js_sys::Reflect::get(&self.0, &JsValue::from_str(key)).ok()
    }
}

impl autogpt::connect::MessageData for JsObject {
    fn is_object(&self) -> bool {
        self.0.is_object() && !self.0.is_null()
    }
    fn text(&self, key: &str) -> Option<String> {
        self.field(key).and_then(|v| v.as_string())
    }
    fn flag(&self, key: &str) -> Option<bool> {
        self.field(key).and_then(|v| v.as_bool())
    }
}

/// `spawn_local` for the islands' tasks, boxed: one instance of the executor's promise
/// plumbing for all of them instead of one per future type (1–2 KB of WASM each).
pub fn spawn(task: impl std::future::Future<Output = ()> + 'static) {
    let task: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> = Box::pin(task);
    leptos::task::spawn_local(task);
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
    /// Subscribes to the named events of the app's stream ([`STREAM_PATH`]); `handler(name,
    /// data)` gets each one's data as parsed JSON (decode it with [`LiveEvent`]'s decoders).
    pub fn new(names: &[&'static str], handler: impl Fn(&str, JsObject) + Clone + 'static) -> Option<Self> {
        let source = web_sys::EventSource::new(STREAM_PATH).ok()?;
        let mut handlers = Vec::new();
        for &name in names {
            let handler = handler.clone();
            let closure = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                if let Some(data) = event.data().as_string().and_then(|text| JsObject::parse(&text)) {
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

thread_local! {
    // Indexed by slot id: a `Vec` costs the bundle far less than a hash map.
    static SLOTS: std::cell::RefCell<Vec<Option<Box<dyn std::any::Any>>>> = const { std::cell::RefCell::new(Vec::new()) };
}
static NEXT_SLOT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Takes the value out of slot `id`.
fn take_slot(id: usize) -> Option<Box<dyn std::any::Any>> {
    SLOTS.with(|s| s.borrow_mut().get_mut(id).and_then(Option::take))
}

/// Puts `value` into slot `id`, returning the previous value (dropped by the caller,
/// outside the table's borrow: dropping may run browser code).
fn put_slot(id: usize, value: Box<dyn std::any::Any>) -> Option<Box<dyn std::any::Any>> {
    SLOTS.with(|s| {
        let mut slots = s.borrow_mut();
        if slots.len() <= id {
            slots.resize_with(id + 1, || None);
        }
        slots[id].replace(value)
    })
}

/// A `Copy` handle to a browser-only value (a window, a listener, a timer).
///
/// Islands also run on the server to render, where a `StoredValue::new_local` would be
/// created on one thread and dropped on another (a panic). A slot holds nothing until the
/// browser first touches it, so the server never allocates or drops such values; in the
/// browser, which has one thread, the value lives in a thread-local table.
pub struct LocalSlot<T> {
    id: usize,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T> Clone for LocalSlot<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for LocalSlot<T> {}

impl<T: Default + 'static> LocalSlot<T> {
    /// A new, empty slot.
    pub fn new() -> Self {
        Self { id: NEXT_SLOT.fetch_add(1, std::sync::atomic::Ordering::Relaxed), _type: std::marker::PhantomData }
    }

    /// Runs `f` on the value (created with `Default` on first use). The value is taken out
    /// while `f` runs, so `f` may use other slots freely.
    pub fn update<R>(self, f: impl FnOnce(&mut T) -> R) -> R {
        let boxed = take_slot(self.id);
        let mut value = boxed.and_then(|b| b.downcast::<T>().ok()).map_or_else(T::default, |b| *b);
        let result = f(&mut value);
        put_slot(self.id, Box::new(value));
        result
    }

    /// Replaces the value (dropping the old one, e.g. removing a listener).
    pub fn set(self, value: T) {
        drop(put_slot(self.id, Box::new(value)));
    }
}

impl<T: Default + 'static> Default for LocalSlot<T> {
    fn default() -> Self {
        Self::new()
    }
}
