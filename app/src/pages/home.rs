//! `/`: what the app does and where to go next.

use leptos::prelude::*;

/// Landing page.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <section class="card hero">
            <h1>"AutoGPT Connect"</h1>
            <p>
                "Sign in with AutoGPT, connect your Google, GitHub and Notion accounts, "
                "and run AutoGPT agents with them."
            </p>
            <p class="actions">
                <a class="btn btn-primary" href="/connect">"Connect to AutoGPT"</a>
                <a class="btn" href="/agents">"Run an agent"</a>
                <a class="btn" href="/executions">"Execution history"</a>
            </p>
        </section>
    }
}
