//! The HTML document shell and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::components::layout::Layout;
use crate::pages::{
    agents::AgentsPage, connect::ConnectPage, executions::ExecutionsPage, home::HomePage, not_found::NotFound,
    run::RunPageView,
};

/// The whole document. Rendered on the server only; the browser hydrates islands.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options=options.clone() islands=true />
                <link rel="stylesheet" href=format!("/{}/{}.css", options.site_pkg_dir, options.output_name) />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Routes of the app. Every page is a full server render (no client router).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="AutoGPT Connect" />
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    // Async: the whole page is rendered before it is sent, so it works
                    // without JavaScript (B8) and islands hydrate without flicker.
                    <Route path=StaticSegment("connect") view=ConnectPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("agents") view=AgentsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("executions") view=ExecutionsPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("executions"), ParamSegment("id")) view=RunPageView ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
