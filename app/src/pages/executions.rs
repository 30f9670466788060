//! `/executions`: this user's execution history with live status and the
//! webhook events received for each run (B5).

use leptos::prelude::*;

use crate::api::{AccountHistory, load_account_history};
use crate::islands::data::{IslandData, ids};
use crate::islands::executions_live::{ExecutionsData, ExecutionsLive};

/// Execution history page.
#[component]
pub fn ExecutionsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_account_history());
    view! {
        <section class="card">
            <h1>"Executions"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
                {move || Suspend::new(async move {
                    let AccountHistory { session, executions } = data.await.unwrap_or_default();
                    match session {
                        Some(_) => view! {
                            <IslandData id=ids::EXECUTIONS value=ExecutionsData { executions }>
                                <ExecutionsLive />
                            </IslandData>
                        }
                        .into_any(),
                        None => view! { <p>"Sign in on the " <a href="/connect">"connect page"</a> " first."</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
