//! Who is signed in, with a sign-out form that works without JavaScript.

use leptos::prelude::*;

use crate::api::SessionStatus;

/// "Signed in as ..." with the granted scopes and a sign-out button.
#[component]
pub fn AccountBar(session: SessionStatus) -> impl IntoView {
    let who =
        if session.name.is_empty() { session.email.clone() } else { format!("{} ({})", session.name, session.email) };
    view! {
        <div class="account">
            <p>"Signed in as " <strong id="signed-in-as">{who}</strong></p>
            {session.reconnect_required.then(|| view! {
                <div class="banner banner-error" role="alert">
                    "Your AutoGPT connection expired. "
                    <a href="/api/autogpt/authorize">"Sign in again"</a>
                    "."
                </div>
            })}
            <p class="muted"><small>"Granted scopes: " {session.scopes.join(" ")}</small></p>
            <form method="post" action="/api/autogpt/logout">
                <button class="btn" type="submit">"Sign out"</button>
            </form>
        </div>
    }
}
