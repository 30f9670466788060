//! Page frame: header with navigation, main area, footer.

use leptos::prelude::*;

/// Wraps every page in the same header and navigation.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="brand" href="/">"AutoGPT Connect"</a>
            <nav aria-label="Main">
                <a href="/connect">"Connect"</a>
                <a href="/agents">"Agents"</a>
                <a href="/executions">"Executions"</a>
            </nav>
        </header>
        <main id="main" class="site-main">{children()}</main>
        <footer class="site-footer">
            <p>"Runs agents on the AutoGPT Platform with the credentials you connect."</p>
        </footer>
    }
}

/// What a page that needs a sign-in shows a visitor without one.
#[component]
pub fn SignInFirst() -> impl IntoView {
    view! { <section class="card"><p>"Sign in on the " <a href="/connect">"connect page"</a> " first."</p></section> }
}
