//! `/agents`: the agent runner (G16); the live profile's library (L4) in [`super::library`].

use std::sync::Arc;

use leptos::prelude::*;

use crate::UiConfig;
use crate::api::{AccountGrants, load_account_grants};
use crate::components::layout::SignInFirst;
use crate::islands::agent_runner::{AgentRunner, AgentRunnerData};
use crate::islands::data::{IslandData, ids};
use crate::pages::library::LibraryAgents;

/// Agent runner page: the island when signed in, a pointer to `/connect` otherwise; in the
/// live profile, the user's library and the chosen agent's form.
#[component]
pub fn AgentsPage() -> impl IntoView {
    let ui = use_context::<Arc<UiConfig>>().unwrap_or_default();
    if ui.live {
        return view! { <LibraryAgents /> }.into_any();
    }
    let agents = ui.agents.clone();
    let data = Resource::new(|| (), |_| load_account_grants());
    view! {
        <h1>"Run an agent"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
            {move || Suspend::new({
                let agents = agents.clone();
                async move {
                    let AccountGrants { session, grants } = data.await.unwrap_or_default();
                    match session {
                        Some(_) => view! {
                            <IslandData id=ids::AGENT_RUNNER value=AgentRunnerData { agents, grants }>
                                <AgentRunner />
                            </IslandData>
                        }
                        .into_any(),
                        None => view! { <SignInFirst /> }.into_any(),
                    }
                }
            })}
        </Suspense>
    }
    .into_any()
}
