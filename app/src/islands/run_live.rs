//! One run's status kept live on its page (L5): the badge follows the event stream, and when
//! the run reaches a state with more to show (outputs, reviews, errors) the page is loaded
//! again, so everything else stays server-rendered and this island stays tiny.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::browser::{EventStream, Interval, LocalSlot, spawn};
use super::data::{ids, island_data};
use super::hydration_marker;
use crate::api::LiveExecution;
use crate::api::events::LiveEvent;
use crate::api::runs::stored_run_status;

/// What the run page gives [`RunLive`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunLiveData {
    /// Run id.
    pub id: String,
    /// Lower-case status as rendered.
    pub status: String,
    /// The rendered status is final: nothing to follow.
    pub terminal: bool,
}

/// The run's live status badge.
#[island(lazy)]
pub fn RunLive() -> impl IntoView {
    let RunLiveData { id, status, terminal } = island_data(ids::RUN).unwrap_or_default();
    let hydrated = hydration_marker();
    let current = RwSignal::new(status);
    let stream = LocalSlot::<Option<EventStream>>::new();
    let poll = LocalSlot::<Option<Interval>>::new();
    let show = move |live: LiveExecution| {
        if current.get_untracked() == live.status {
            return;
        }
        current.set(live.status.clone());
        // Outputs, reviews and block errors are rendered by the server.
        if (live.terminal || live.status == "review")
            && let Some(window) = web_sys::window()
        {
            let _ = window.location().reload();
        }
    };
    Effect::new(move |_| {
        if terminal {
            return;
        }
        let events_id = id.clone();
        stream.set(EventStream::new(&[LiveEvent::EXECUTION_UPDATED], move |name, data| {
            if let Some(LiveEvent::ExecutionUpdated(live)) = LiveEvent::decode_execution(name, &data)
                && live.execution_id == events_id
            {
                show(live);
            }
        }));
        // What changed before the stream was open (or while it was down) is read from our
        // record: at once, then every few seconds (a database read, not a platform call).
        let check = {
            let id = id.clone();
            move || {
                let id = id.clone();
                spawn(async move {
                    if let Ok(Some(live)) = stored_run_status(id).await {
                        show(live);
                    }
                });
            }
        };
        check();
        poll.set(Interval::new(5_000, check));
    });
    view! {
        <span class="run-live" data-hydrated=move || hydrated.get().to_string()>
            <strong id="run-status" class=move || format!("status status-{}", current.get()) aria-live="polite">
                {move || current.get()}
            </strong>
        </span>
    }
}
