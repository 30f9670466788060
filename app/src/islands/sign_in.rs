//! Sign-in panel: "Sign in with AutoGPT" or an API key (guide Step 9).
//!
//! Works before WASM loads (B8): the sign-in button is a plain link to the
//! login flow, the toggle is a link to `?method=api_key` and the API-key form
//! posts to the server. Once hydrated, the toggle switches without a reload.

use leptos::prelude::*;

/// The sign-in panel island.
#[island]
pub fn SignInPanel(
    /// Show the API-key form first (the page was opened with `?method=api_key`).
    api_key_first: bool,
) -> impl IntoView {
    let use_api_key = RwSignal::new(api_key_first);
    // Effects run only in the browser, after hydration: the marker tells tests
    // (and curious people) that this island is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

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

#[component]
fn ApiKeyForm(use_api_key: RwSignal<bool>) -> impl IntoView {
    view! {
        <form class="api-key-form" method="post" action="/api/autogpt/authorize">
            <label for="api-key">"Enter your AutoGPT API key (from Settings → Developer)"</label>
            <input
                id="api-key"
                name="apiKey"
                type="password"
                autocomplete="off"
                required
                placeholder="Enter your AutoGPT API key (agpt_...)"
            />
            <button class="btn btn-primary btn-block" type="submit">"Authorize with API Key"</button>
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
