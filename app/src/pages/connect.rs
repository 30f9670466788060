//! `/connect`: sign in with AutoGPT, then connect services (guide Step 9).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::islands::sign_in::SignInPanel;

/// The connect page. Query: `error` (banner text), `success=true`,
/// `method=api_key` (API-key form first: the no-JavaScript path of the toggle).
#[component]
pub fn ConnectPage() -> impl IntoView {
    let query = use_query_map();
    let (error, api_key_first, success) = query.with_untracked(|q| {
        (
            q.get("error").filter(|e| !e.trim().is_empty()),
            q.get("method").as_deref() == Some("api_key"),
            q.get("success").as_deref() == Some("true"),
        )
    });
    view! {
        <section class="card connect">
            <h1>"Connect to AutoGPT"</h1>
            <p class="muted">"Authorize this application to use AutoGPT agents on your behalf."</p>
            {error.map(|e| view! { <div class="banner banner-error" role="alert">{e}</div> })}
            {success.then(|| view! { <div class="banner banner-success" role="status">"Signed in."</div> })}
            <SignInPanel api_key_first />
        </section>
    }
}
