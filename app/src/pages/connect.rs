//! `/connect`: sign in with AutoGPT, then connect services (guide Step 9, G14).

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::UiConfig;
use crate::api::{AccountGrants, load_account_grants};
use crate::components::account::AccountBar;
use crate::islands::connect_panel::{ConnectPanel, ConnectPanelData, ProviderCardData};
use crate::islands::data::{IslandData, ids};
use crate::islands::sign_in::{SignInData, SignInPanel};

/// The connect page. Query: `error` (banner text), `success=true`,
/// `method=api_key` (API-key form first: the no-JavaScript path of the toggle).
#[component]
pub fn ConnectPage() -> impl IntoView {
    let query = use_query_map();
    let (error, api_key_first, success, connected) = query.with_untracked(|q| {
        (
            q.get("error").filter(|e| !e.trim().is_empty()),
            q.get("method").as_deref() == Some("api_key"),
            q.get("success").as_deref() == Some("true"),
            q.get("connected").filter(|p| !p.trim().is_empty()),
        )
    });
    let ui = use_context::<Arc<UiConfig>>().unwrap_or_default();
    // The live platform's wizard asks for the providers' own scopes: show those.
    let providers: Vec<ProviderCardData> = ui
        .providers
        .iter()
        .map(|p| ProviderCardData {
            scopes: if ui.live { p.live_scopes.clone() } else { p.scopes.clone() },
            id: p.id.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
        })
        .collect();
    let data = Resource::new(|| (), |_| load_account_grants());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading..."</p> }>
            {move || Suspend::new({
                let (error, providers, connected) = (error.clone(), providers.clone(), connected.clone());
                async move {
                    let AccountGrants { session, grants } = data.await.unwrap_or_default();
                    let banner = error.map(|e| view! { <div class="banner banner-error" role="alert">{e}</div> });
                    match session {
                        Some(session) => view! {
                            <section class="card">
                                <h1>"Connect Your Services"</h1>
                                {banner}
                                {success.then(|| view! {
                                    <div class="banner banner-success" role="status">"Signed in with AutoGPT."</div>
                                })}
                                {connected.map(|p| view! {
                                    <div class="banner banner-success" role="status" id="connected-banner">{format!("Connected {p}.")}</div>
                                })}
                                <AccountBar session />
                            </section>
                            <IslandData id=ids::CONNECT_PANEL value=ConnectPanelData { providers, grants }>
                                <ConnectPanel />
                            </IslandData>
                        }
                        .into_any(),
                        None => view! {
                            <section class="card connect">
                                <h1>"Connect to AutoGPT"</h1>
                                <p class="muted">"Authorize this application to use AutoGPT agents on your behalf."</p>
                                {banner}
                                <IslandData id=ids::SIGN_IN value=SignInData { api_key_first }>
                                    <SignInPanel />
                                </IslandData>
                            </section>
                        }
                        .into_any(),
                    }
                }
            })}
        </Suspense>
    }
}
