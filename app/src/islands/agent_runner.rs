//! The agent runner (G16, the guide's complete usage example): pick an agent,
//! give inputs, see which grants it will use, run it and watch it live (event
//! stream, with polling as the fallback and the source of truth), cancel it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::browser::{EventStream, Interval, LocalSlot, spawn};
use super::data::{ids, island_data};
use super::hydration_marker;
use crate::AgentConfig;
use crate::api::events::LiveEvent;
use crate::api::{ExecutionView, GrantView, LiveExecution, cancel_execution, execute_agent, execution_status};

/// What the page gives [`AgentRunner`] (through [`super::data::IslandData`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRunnerData {
    /// Agents offered.
    pub agents: Vec<AgentConfig>,
    /// The user's grants (sent along with each run).
    pub grants: Vec<GrantView>,
}

/// Agent runner island.
#[island(lazy)]
pub fn AgentRunner() -> impl IntoView {
    let AgentRunnerData { agents, grants } = island_data(ids::AGENT_RUNNER).unwrap_or_default();
    let hydrated = hydration_marker();
    let first = agents.first().map(|a| a.id.clone()).unwrap_or_default();
    let selected = RwSignal::new(first);
    let custom_id = RwSignal::new(String::new());
    let values = RwSignal::new(Vec::<(String, String)>::new());
    let execution = RwSignal::new(None::<ExecutionView>);
    let error = RwSignal::new(None::<String>);
    let running = RwSignal::new(false);
    let agents = StoredValue::new(agents);
    let grants = StoredValue::new(grants);

    let current = move || agents.with_value(|list| list.iter().find(|a| a.id == selected.get()).cloned());
    let missing = move || {
        current().map_or_else(Vec::new, |agent| {
            agent
                .requires
                .iter()
                .filter(|p| !grants.with_value(|g| g.iter().any(|g| &g.provider == *p)))
                .cloned()
                .collect::<Vec<_>>()
        })
    };

    // Live updates for the execution on screen; polling covers a lost event.
    let stream = LocalSlot::<Option<EventStream>>::new();
    let poller = LocalSlot::<Option<Interval>>::new();
    let apply_live = move |live: LiveExecution| {
        execution.update(|e| {
            if let Some(e) = e.as_mut().filter(|e| e.execution_id == live.execution_id && !e.terminal) {
                e.status = live.status;
                e.terminal = live.terminal;
                if live.outputs.is_some() {
                    e.outputs = live.outputs;
                }
                if live.error.is_some() {
                    e.error = live.error;
                }
            }
        });
    };
    let watch = move |id: String| {
        stream.set(EventStream::new(&[LiveEvent::EXECUTION_UPDATED], move |name, data| {
            if let Some(LiveEvent::ExecutionUpdated(live)) = LiveEvent::decode_execution(name, &data) {
                apply_live(live);
            }
        }));
        poller.set(Interval::new(2_000, move || {
            let id = id.clone();
            if execution.with_untracked(|e| e.as_ref().is_some_and(|e| e.terminal)) {
                poller.set(None);
                return;
            }
            spawn(async move {
                if let Ok(fresh) = execution_status(id).await {
                    execution.update(|e| {
                        if let Some(e) = e.as_mut().filter(|e| e.execution_id == fresh.execution_id && !e.terminal) {
                            *e = fresh;
                        }
                    });
                }
            });
        }));
    };

    let run = move |_| {
        let agent_id =
            if selected.get_untracked() == "custom" { custom_id.get_untracked() } else { selected.get_untracked() };
        let inputs = values.get_untracked();
        running.set(true);
        error.set(None);
        spawn(async move {
            match execute_agent(agent_id, inputs).await {
                Ok(started) => {
                    let id = started.execution_id.clone();
                    execution.set(Some(started));
                    watch(id);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            running.set(false);
        });
    };
    let cancel = move |_| {
        let Some(id) = execution.with_untracked(|e| e.as_ref().map(|e| e.execution_id.clone())) else { return };
        spawn(async move {
            match cancel_execution(id).await {
                Ok(view) => execution.set(Some(view)),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <div class="agent-runner" data-hydrated=move || hydrated.get().to_string()>
            <fieldset class="card">
                <legend>"Agent"</legend>
                {agents.get_value().into_iter().map(|agent| {
                    let id = agent.id.clone();
                    let input_id = format!("agent-{}", agent.id);
                    let label_for = input_id.clone();
                    view! {
                        <label class="choice" for=label_for>
                            <input
                                type="radio"
                                name="agent"
                                id=input_id
                                value=id.clone()
                                // The browser keeps the radio group's state; a `prop:` binding
                                // would add a property-setting task queue to this lazy chunk.
                                checked=selected.get_untracked() == id
                                on:change={let id = id.clone(); move |_| selected.set(id.clone())}
                            />
                            <strong>{agent.name.clone()}</strong>
                            " "
                            <span class="muted">{agent.description.clone()}</span>
                        </label>
                    }
                }).collect_view()}
                <label class="choice" for="agent-custom">
                    <input type="radio" name="agent" id="agent-custom" value="custom"
                        checked=selected.get_untracked() == "custom"
                        on:change=move |_| selected.set("custom".into()) />
                    <strong>"Another agent"</strong>
                </label>
                <Show when=move || selected.get() == "custom">
                    <label for="custom-agent-id">"Agent id"</label>
                    <input id="custom-agent-id" type="text" placeholder="your-agent-id"
                        on:input=move |ev| custom_id.set(event_target_value(&ev)) />
                </Show>
            </fieldset>
            <fieldset class="card">
                <legend>"Inputs"</legend>
                {move || {
                    let names = current().map(|a| a.inputs).unwrap_or_else(|| vec!["message".into()]);
                    names.into_iter().map(|name| {
                        let field_id = format!("input-{name}");
                        let label_for = field_id.clone();
                        let key = name.clone();
                        view! {
                            <label for=label_for>{name.clone()}</label>
                            <input id=field_id type="text" name=name.clone()
                                on:input=move |ev| {
                                    let value = event_target_value(&ev);
                                    values.update(|v| {
                                        v.retain(|(k, _)| k != &key);
                                        v.push((key.clone(), value));
                                    });
                                } />
                        }
                    }).collect_view()
                }}
                <p class="muted grants-used">
                    "Grants used: "
                    {move || {
                        let list = grants.get_value();
                        if list.is_empty() { "none".to_owned() } else {
                            list.iter().map(|g| format!("{} ({})", g.provider, g.grant_id)).collect::<Vec<_>>().join(", ")
                        }
                    }}
                </p>
                <Show when=move || !missing().is_empty()>
                    <div class="banner banner-error" role="alert">
                        {move || format!("This agent needs a {} connection. ", missing().join(", "))}
                        <a href="/connect">"Connect it first"</a>
                    </div>
                </Show>
                <button class="btn btn-primary" type="button" on:click=run disabled=move || running.get()>
                    {move || if running.get() { "Starting..." } else { "Run agent" }}
                </button>
            </fieldset>
            <div role="alert" aria-live="assertive">
                {move || error.get().map(|e| view! { <div class="banner banner-error">{e}</div> })}
            </div>
            {move || execution.get().map(|e| view! { <ExecutionCard execution=e on_cancel=cancel /> })}
        </div>
    }
}

#[component]
fn ExecutionCard(execution: ExecutionView, on_cancel: impl Fn(leptos::ev::MouseEvent) + 'static) -> impl IntoView {
    let status_class = format!("status status-{}", execution.status);
    view! {
        <section class="card execution" data-execution-id=execution.execution_id.clone()>
            <h2>"Execution Status"</h2>
            <p>"ID: " <code>{execution.execution_id.clone()}</code></p>
            <p aria-live="polite">"Status: " <strong class=status_class id="execution-status">{execution.status.clone()}</strong></p>
            {(!execution.terminal).then(|| view! {
                <button class="btn" type="button" on:click=on_cancel>"Cancel"</button>
            })}
            {execution.outputs.clone().map(|o| view! { <pre class="outputs" id="execution-outputs">{o}</pre> })}
            {execution.error.clone().map(|e| view! { <p class="banner banner-error" id="execution-error">{e}</p> })}
        </section>
    }
}
