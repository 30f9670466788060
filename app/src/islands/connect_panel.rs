//! The signed-in part of `/connect`: one card per provider with a Connect
//! button (G13, B6), and "Connected Services" kept live over the event stream.
//!
//! The popup rules live in [`crate::connect_flow`]; this module only wires DOM
//! events to it and performs the effects it asks for.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::browser::{
    BrowserHost, BrowserPopup, EventStream, Interval, LocalSlot, WindowListener, centered_features, message_data,
    now_ms, spawn,
};
use super::data::{ids, island_data};
use super::hydration_marker;
use crate::api::events::LiveEvent;
use crate::api::{GrantView, begin_connect, list_grants, reconcile_connect, record_connect_result};
use crate::connect_flow::{Attempt, Effect as FlowEffect, Phase};

/// One provider card as the panel shows it (the page picks the scopes of its profile).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderCardData {
    /// Provider id as the platform names it (`google`).
    pub id: String,
    /// Display name (`Google`).
    pub name: String,
    /// One line under the name.
    pub description: String,
    /// The scopes the Connect button asks for.
    pub scopes: Vec<String>,
}

/// What the page gives [`ConnectPanel`] (through [`super::data::IslandData`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectPanelData {
    /// Provider cards.
    pub providers: Vec<ProviderCardData>,
    /// Grants in storage when the page was rendered.
    pub grants: Vec<GrantView>,
}

/// Provider cards and the list of connected services.
#[island]
pub fn ConnectPanel() -> impl IntoView {
    let ConnectPanelData { providers, grants } = island_data(ids::CONNECT_PANEL).unwrap_or_default();
    let grants = RwSignal::new(grants);
    let hydrated = hydration_marker();
    // Live updates: a grant revoked on the platform disappears without a reload.
    let stream = LocalSlot::<Option<EventStream>>::new();
    Effect::new(move |_| {
        let s = EventStream::new(&LiveEvent::CONNECT_PANEL_EVENTS, move |name, data| {
            let Some(event) = LiveEvent::decode_account(name, &data) else { return };
            let (grant, added) = match event {
                LiveEvent::GrantAdded(grant) => (grant, true),
                LiveEvent::GrantRevoked(grant) => (grant, false),
                // Signed out elsewhere: show this page as it now is (the sign-in panel).
                LiveEvent::SignedOut => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().reload();
                    }
                    return;
                }
                LiveEvent::ExecutionUpdated(_) => return,
            };
            grants.update(|list| {
                list.retain(|g| g.grant_id != grant.grant_id);
                if added {
                    list.push(grant);
                }
            });
        });
        stream.set(s);
        // Storage rendered the page; the platform has the last word (revoked elsewhere?).
        spawn(async move {
            if let Ok(live) = list_grants().await {
                grants.set(live);
            }
        });
    });
    view! {
        <div class="connect-panel" data-hydrated=move || hydrated.get().to_string()>
            <div class="grid">
                {providers.into_iter().map(|provider| view! { <ProviderCard provider grants /> }).collect_view()}
            </div>
            <ConnectedServices grants />
        </div>
    }
}

#[component]
fn ConnectedServices(grants: RwSignal<Vec<GrantView>>) -> impl IntoView {
    view! {
        <section class="card connected-services" aria-labelledby="connected-services">
            <h2 id="connected-services">"Connected Services"</h2>
            <Show
                when=move || !grants.with(Vec::is_empty)
                fallback=|| view! { <p class="muted">"Nothing connected yet."</p> }
            >
                // A plain list re-rendered on change: a keyed `<For>` costs ~5 KB of WASM for a
                // list of a handful of grants.
                <ul class="grant-list" aria-live="polite">
                    {move || grants.get().into_iter().map(|grant| view! {
                        <li class="connected" data-provider=grant.provider.clone()>
                            <strong>{grant.provider.clone()}</strong>
                            " "
                            <span class="muted">"Grant ID: " {grant.grant_id.clone()}</span>
                            <br />
                            <small class="muted">{grant.scopes.join(", ")}</small>
                        </li>
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

/// Everything one card's handlers share; all fields are `Copy` handles.
#[derive(Clone, Copy)]
struct Card {
    provider: StoredValue<String>,
    attempt: LocalSlot<Attempt<BrowserPopup>>,
    listeners: LocalSlot<Vec<WindowListener>>,
    timer: LocalSlot<Option<Interval>>,
    phase: RwSignal<Phase>,
    grants: RwSignal<Vec<GrantView>>,
}

impl Card {
    fn sync(self) {
        self.phase.set(self.attempt.update(|a| a.phase().clone()));
    }

    /// Fetches a fresh nonce now, so the click can open the popup synchronously (item 1, 5).
    fn prepare(self) {
        spawn(async move {
            match begin_connect(self.provider.get_value()).await {
                Ok(prepared) => {
                    self.attempt.update(|a| a.prepare(prepared));
                    self.sync();
                }
                Err(e) => self.phase.set(Phase::Failed { message: e.to_string() }),
            }
        });
    }

    fn click(self) {
        let features = centered_features();
        let effect = self.attempt.update(|a| a.click(&mut BrowserHost, &features, now_ms()));
        self.sync();
        self.apply(effect);
    }

    fn apply(self, effect: FlowEffect) {
        match effect {
            FlowEffect::None => {}
            FlowEffect::Listen => self.listen(),
            FlowEffect::StopListening => {
                self.stop();
                self.prepare();
            }
            FlowEffect::Confirm { nonce, grant_id } => {
                self.stop();
                spawn(async move {
                    let result = record_connect_result(nonce, grant_id).await;
                    let outcome = match result {
                        Ok(grant) => {
                            let id = grant.grant_id.clone();
                            self.add_grant(grant);
                            Ok(id)
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    self.attempt.update(|a| a.on_confirmed(outcome));
                    self.sync();
                    self.prepare();
                });
            }
            FlowEffect::Reconcile => {
                spawn(async move {
                    let found = reconcile_connect(self.provider.get_value()).await.ok().flatten();
                    let grant_id = found.as_ref().map(|g| g.grant_id.clone());
                    if let Some(grant) = found {
                        self.add_grant(grant);
                    }
                    let effect = self.attempt.update(|a| a.on_reconciled(grant_id));
                    self.sync();
                    self.apply(effect);
                });
            }
        }
    }

    fn listen(self) {
        let on_message = WindowListener::new("message", move |event| {
            use wasm_bindgen::JsCast;
            if let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() {
                let data = message_data(event);
                let effect = self.attempt.update(|a| a.on_message(&event.origin(), &data));
                self.sync();
                self.apply(effect);
            }
        });
        let on_focus = WindowListener::new("focus", move |_| {
            let effect = self.attempt.update(Attempt::on_focus);
            self.apply(effect);
        });
        self.listeners.set(on_message.into_iter().chain(on_focus).collect());
        let timer = Interval::new(500, move || {
            let effect = self.attempt.update(|a| a.on_tick(now_ms()));
            self.sync();
            self.apply(effect);
        });
        self.timer.set(timer);
    }

    /// Removes the listeners and the timer (item 9, 12).
    fn stop(self) {
        self.listeners.set(Vec::new());
        self.timer.set(None);
    }

    fn add_grant(self, grant: GrantView) {
        self.grants.update(|list| {
            list.retain(|g| g.grant_id != grant.grant_id);
            list.push(grant);
        });
    }
}

#[component]
fn ProviderCard(provider: ProviderCardData, grants: RwSignal<Vec<GrantView>>) -> impl IntoView {
    let card = Card {
        provider: StoredValue::new(provider.id.clone()),
        attempt: LocalSlot::new(),
        listeners: LocalSlot::new(),
        timer: LocalSlot::new(),
        phase: RwSignal::new(Phase::Preparing),
        grants,
    };
    Effect::new(move |_| card.prepare());
    let busy = move || matches!(card.phase.get(), Phase::InFlight | Phase::Confirming { .. });
    let label = format!("Connect {}", provider.name);
    let id = provider.id.clone();
    view! {
        <div class="card provider-card" data-provider=id>
            <h2>{provider.name.clone()}</h2>
            <p class="muted">{provider.description.clone()}</p>
            <p class="scopes"><small>{provider.scopes.join(", ")}</small></p>
            <button
                class="btn btn-primary"
                type="button"
                disabled=busy
                aria-busy=move || busy().to_string()
                on:click=move |_| card.click()
            >
                {move || if busy() { "Connecting...".to_owned() } else { label.clone() }}
            </button>
            <div class="attempt-status" role="status" aria-live="polite">
                {move || status_view(card.phase.get())}
            </div>
        </div>
    }
}

/// The text under a Connect button for each phase. Errors are text nodes (item 14).
fn status_view(phase: Phase) -> AnyView {
    match phase {
        Phase::Preparing | Phase::Ready | Phase::InFlight => ().into_any(),
        Phase::Confirming { .. } => view! { <p class="muted">"Confirming with AutoGPT..."</p> }.into_any(),
        Phase::Connected { .. } => view! { <p class="ok">"Connected."</p> }.into_any(),
        Phase::Blocked { url } => view! {
            <div class="banner banner-error">
                "Your browser blocked the AutoGPT popup. Allow popups for this site, or "
                <a href=url target="_blank" rel="opener">"open the AutoGPT connect page"</a>
                "."
            </div>
        }
        .into_any(),
        Phase::Failed { message } => view! { <div class="banner banner-error">{message}</div> }.into_any(),
        Phase::TimedOut => view! {
            <div class="banner banner-error">"AutoGPT did not answer within 10 minutes. Please try again."</div>
        }
        .into_any(),
    }
}
