//! Start-up: the shared [`AppState`], the router and the listener.

use std::{net::SocketAddr, sync::Arc};

use axum::{Router, extract::FromRef, routing::get};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;

use crate::{config::Settings, routes};

/// State shared by every route and server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos rendering options (site root, bundle name).
    pub leptos_options: LeptosOptions,
    /// The settings the server started with.
    pub settings: Arc<Settings>,
}

/// A bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and builds the router.
    pub async fn build(settings: Settings) -> std::io::Result<Self> {
        let listener = TcpListener::bind(settings.listen).await?;
        let state = AppState { leptos_options: leptos_options(&settings, listener.local_addr()?), settings: Arc::new(settings) };
        Ok(Self { listener, router: router(state) })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(addr = %self.listener.local_addr()?, "listening");
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

/// The whole HTTP surface. Public so tests can drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let ui = state.settings.ui.clone();
    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ui.clone()),
            {
                let options = state.leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        .with_state(state)
}

fn leptos_options(settings: &Settings, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(settings.site.output_name.clone())
        .site_root(settings.site.root.to_string_lossy().into_owned())
        .site_pkg_dir(settings.site.pkg_dir.clone())
        .site_addr(addr)
        .build()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
