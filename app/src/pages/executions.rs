//! `/executions`: execution history.

use leptos::prelude::*;

/// Execution history page.
#[component]
pub fn ExecutionsPage() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Executions"</h1>
            <p>"No executions yet."</p>
        </section>
    }
}
