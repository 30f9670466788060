//! `/`: what the app does, whether you are connected, and where to go next.

use leptos::prelude::*;

use crate::api::{HomeSummary, load_home_summary};

/// Landing page with the connection status.
#[component]
pub fn HomePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_home_summary());
    view! {
        <section class="card hero">
            <h1>"AutoGPT Connect"</h1>
            <p>
                "Sign in with AutoGPT, connect your Google, GitHub and Notion accounts, "
                "and run AutoGPT agents with them."
            </p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let HomeSummary { session, grants, executions } = data.await.unwrap_or_default();
                    match session {
                        Some(s) => view! {
                            <p class="banner banner-success" id="connection-status">
                                {format!(
                                    "Connected as {} — {} service(s) connected, {} execution(s).",
                                    s.email, grants, executions
                                )}
                            </p>
                        }
                        .into_any(),
                        None => view! { <p class="muted" id="connection-status">"Not connected to AutoGPT yet."</p> }
                            .into_any(),
                    }
                })}
            </Suspense>
            <p class="actions">
                <a class="btn btn-primary" href="/connect">"Connect to AutoGPT"</a>
                <a class="btn" href="/agents">"Run an agent"</a>
                <a class="btn" href="/executions">"Execution history"</a>
            </p>
        </section>
    }
}
