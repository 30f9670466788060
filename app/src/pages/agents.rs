//! `/agents`: the agent runner.

use leptos::prelude::*;

/// Agent runner page.
#[component]
pub fn AgentsPage() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Run an agent"</h1>
            <p>"Sign in on the " <a href="/connect">"connect page"</a> " first."</p>
        </section>
    }
}
