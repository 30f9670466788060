//! Sign-in panel: "Sign in with AutoGPT" or an API key (guide Step 9).
//!
//! Works before WASM loads (B8): the sign-in button is a plain link to the
//! login flow, the toggle is a link to `?method=api_key` and the API-key form
//! posts to the server, which answers with the consent page. Once hydrated,
//! the toggle switches without a reload and the API-key flow runs as the guide
//! does it: the consent page opens in a popup (opened synchronously in the
//! click, so it is not blocked) and the popup tells this page when it is done.

use autogpt::connect::MessageData;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;

use super::browser::{LocalSlot, WindowListener, message_data};
use super::data::{ids, island_data};
use super::hydration_marker;

/// What the page gives [`SignInPanel`] (through [`super::data::IslandData`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignInData {
    /// Show the API-key form first (the page was opened with `?method=api_key`).
    pub api_key_first: bool,
}

/// The sign-in panel island.
#[island(lazy)]
pub fn SignInPanel() -> impl IntoView {
    let SignInData { api_key_first } = island_data(ids::SIGN_IN).unwrap_or_default();
    let use_api_key = RwSignal::new(api_key_first);
    let hydrated = hydration_marker();

    view! {
        <div class="sign-in" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
            <Show
                when=move || use_api_key.get()
                fallback=move || view! { <LoginChoice use_api_key /> }
            >
                <ApiKeyForm use_api_key />
            </Show>
        </div>
    }
}

#[component]
fn LoginChoice(use_api_key: RwSignal<bool>) -> impl IntoView {
    view! {
        <a class="btn btn-primary btn-block" href="/api/autogpt/authorize">"Sign in with AutoGPT"</a>
        <a
            class="link-button"
            href="/connect?method=api_key"
            on:click=move |ev| {
                ev.prevent_default();
                use_api_key.set(true);
            }
        >
            "Or use API key instead"
        </a>
    }
}

/// What the page learnt from the API-key attempt.
#[derive(Clone, PartialEq)]
enum KeyState {
    Idle,
    Authorizing,
    Failed(String),
}

#[component]
fn ApiKeyForm(use_api_key: RwSignal<bool>) -> impl IntoView {
    let state = RwSignal::new(KeyState::Idle);
    let key = RwSignal::new(String::new());
    let listener = LocalSlot::<Option<WindowListener>>::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        if key.get_untracked().trim().is_empty() {
            ev.prevent_default();
            state.set(KeyState::Failed("Please enter your AutoGPT API key".into()));
            return;
        }
        // Open the consent popup now, inside the click: after an await it would be blocked.
        // The form is then posted *into* the popup, so the consent page arrives there as a
        // real navigation from our origin (its own form then carries our `Origin`, which the
        // platform checks; HTML written into a blank popup would post with `Origin: null`).
        let Some(_popup) = open_blank_popup() else {
            // Blocked: the form posts normally and the consent page opens in this window.
            return;
        };
        if let Some(form) = ev.target().map(|t| t.unchecked_into::<web_sys::HtmlFormElement>()) {
            form.set_target(POPUP_NAME);
        }
        if let Some(mode) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("auth-mode"))
            .map(|e| e.unchecked_into::<web_sys::HtmlInputElement>())
        {
            mode.set_value("popup");
        }
        state.set(KeyState::Authorizing);
        listener.set(WindowListener::new("message", move |event| {
            let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() else { return };
            // Only our own callback page may tell us (same origin).
            if Some(event.origin()) != current_origin() {
                return;
            }
            let data = message_data(event);
            if data.text("type").as_deref() != Some("autogpt_signed_in") {
                return;
            }
            if data.flag("success") == Some(true) {
                navigate("/connect?success=true");
            } else {
                let text = data.text("error").unwrap_or_else(|| "Authorization failed".to_owned());
                state.set(KeyState::Failed(text));
            }
        }));
    };

    view! {
        <form class="api-key-form" method="post" action="/api/autogpt/authorize" on:submit=submit>
            <input type="hidden" id="auth-mode" name="mode" value="window" />
            <p class="muted">"Enter your AutoGPT API key (from Settings → Developer)"</p>
            <label for="api-key">"Enter your AutoGPT API key"</label>
            <input
                id="api-key"
                name="apiKey"
                type="password"
                autocomplete="off"
                placeholder="Enter your AutoGPT API key (agpt_...)"
                on:input=move |ev| key.set(event_target_value(&ev))
            />
            <div role="alert" aria-live="assertive">
                {move || match state.get() {
                    KeyState::Failed(message) => Some(view! { <div class="banner banner-error">{message}</div> }),
                    _ => None,
                }}
            </div>
            <button class="btn btn-primary btn-block" type="submit" disabled=move || state.get() == KeyState::Authorizing>
                {move || if state.get() == KeyState::Authorizing { "Authorizing..." } else { "Authorize with API Key" }}
            </button>
        </form>
        <a
            class="link-button"
            href="/connect"
            on:click=move |ev| {
                ev.prevent_default();
                use_api_key.set(false);
            }
        >
            "Back to sign in"
        </a>
    }
}

/// Window name of the consent popup (the form posts into it).
const POPUP_NAME: &str = "autogpt_consent";

fn open_blank_popup() -> Option<web_sys::Window> {
    let popup =
        web_sys::window()?.open_with_url_and_target_and_features("", POPUP_NAME, "width=600,height=700").ok()??;
    (!popup.closed().unwrap_or(true)).then_some(popup)
}

fn current_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

fn navigate(url: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
}
