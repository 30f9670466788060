//! Execution history with live status (B5): rendered on the server, then kept
//! current from the event stream.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::browser::{EventStream, LocalSlot};
use super::data::{ids, island_data};
use super::hydration_marker;
use crate::api::ExecutionView;
use crate::api::events::LiveEvent;

/// What the page gives [`ExecutionsLive`] (through [`super::data::IslandData`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecutionsData {
    /// The user's executions, newest first.
    pub executions: Vec<ExecutionView>,
}

/// The history table island.
#[island(lazy)]
pub fn ExecutionsLive() -> impl IntoView {
    let ExecutionsData { executions } = island_data(ids::EXECUTIONS).unwrap_or_default();
    let hydrated = hydration_marker();
    let rows = RwSignal::new(executions);
    let stream = LocalSlot::<Option<EventStream>>::new();
    Effect::new(move |_| {
        stream.set(EventStream::new(&[LiveEvent::EXECUTION_UPDATED], move |name, data| {
            if let Some(LiveEvent::ExecutionUpdated(live)) = LiveEvent::decode_execution(name, &data) {
                rows.update(|list| {
                    if let Some(row) = list.iter_mut().find(|r| r.execution_id == live.execution_id && !r.terminal) {
                        row.status = live.status;
                        row.terminal = live.terminal;
                        row.error = live.error.or(row.error.take());
                    }
                });
            }
        }));
    });
    view! {
        <div class="executions" data-hydrated=move || hydrated.get().to_string()>
            <Show when=move || !rows.with(Vec::is_empty) fallback=|| view! { <p class="muted">"No executions yet."</p> }>
                <table class="table">
                    <thead><tr><th scope="col">"Execution"</th><th scope="col">"Agent"</th><th scope="col">"Status"</th><th scope="col">"Started"</th><th scope="col">"Duration"</th><th scope="col">"Cost"</th><th scope="col">"Webhook events"</th></tr></thead>
                    <tbody aria-live="polite">
                        {move || rows.get().into_iter().map(|row| view! {
                            <tr data-execution-id=row.execution_id.clone()>
                                <td><a href=format!("/executions/{}", row.execution_id)><code>{row.execution_id.clone()}</code></a></td>
                                <td>{row.agent_id.clone()}</td>
                                <td><span class=format!("status status-{}", row.status)>{row.status.clone()}</span>
                                    {row.error.clone().map(|e| view! { <br /><small class="error-text">{e}</small> })}
                                </td>
                                <td><small>{row.started.clone().unwrap_or_default()}</small></td>
                                <td><small>{row.duration.clone().unwrap_or_default()}</small></td>
                                <td><small>{row.cost.clone().unwrap_or_default()}</small></td>
                                <td><small>{row.events.iter().map(|e| if e.gave_up { format!("{} (gave up)", e.event) } else { e.event.clone() }).collect::<Vec<_>>().join(", ")}</small></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
        </div>
    }
}
