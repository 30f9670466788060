//! Start-up: the shared [`AppState`], the services, the router and the listener.

use std::{net::SocketAddr, sync::Arc};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use backend::Context;
use backend::services::upkeep;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Settings;
use crate::middleware::{self, Metrics};
use crate::routes;

/// State shared by every route and server function. Leptos clones it into every render's
/// context, so it is one reference count to clone; its fields are reached through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares.
pub struct Shared {
    /// Leptos rendering options (site root, bundle name).
    pub leptos_options: LeptosOptions,
    /// The settings the server started with.
    pub settings: Arc<Settings>,
    /// Services (storage, tokens, platform clients, events).
    pub ctx: Context,
    /// Prometheus counters.
    pub metrics: Metrics,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for Context {
    fn from_ref(state: &AppState) -> Self {
        state.ctx.clone()
    }
}

impl FromRef<AppState> for Metrics {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

/// Why the server could not start (the settings were validated before: only I/O fails here).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding the listener failed.
    #[error("cannot listen: {0}")]
    Bind(#[from] std::io::Error),
    /// The services could not be built (database, HTTP client).
    #[error(transparent)]
    Services(#[from] backend::BuildError),
}

/// A bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Binds `settings.listen` (port 0 picks a free port), then builds the services.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let listener = TcpListener::bind(settings.listen).await?;
        Self::build_on(settings, listener).await
    }

    /// [`Application::build`] on a listener bound by the caller: tests bind first, so the
    /// app's public URL (and the platform's registration of it) can name the real port.
    pub async fn build_on(settings: Settings, listener: TcpListener) -> Result<Self, StartError> {
        let ctx = Context::build(settings.backend.clone()).await?;
        // Deliveries this instance held when it last stopped are due again at once.
        backend::services::webhooks::recover(&ctx).await;
        let addr = listener.local_addr()?;
        let state = AppState(Arc::new(Shared {
            leptos_options: leptos_options(&settings, addr),
            settings: Arc::new(settings),
            ctx,
            metrics: Metrics::new(),
        }));
        let router = router(state.clone());
        Ok(Self { listener, router, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (tests reach the services through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, with the background upkeep running.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(addr = %self.listener.local_addr()?, "listening");
        let upkeep = tokio::spawn(upkeep::run(self.state.ctx.clone()));
        let served = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await;
        upkeep.abort();
        served
    }
}

/// The whole HTTP surface. Public so tests can drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let limits = state.settings.rate_limits;
    let routes = generate_route_list(app::App);
    let pages = Arc::new(middleware::PageCache::new(
        routes.iter().map(leptos_axum::AxumRouteListing::path),
        session_cookie_name(state.ctx.config.production),
    ));
    // Shared, not cloned: every render reads it.
    let ui = Arc::new(state.settings.ui.clone());
    let ctx = state.ctx.clone();
    let production = state.ctx.config.production;
    // What every render gets: the UI settings, the services, and this response's script nonce
    // (the CSP middleware minted it; Leptos puts it on the scripts it writes).
    let context = move || {
        provide_context(Arc::clone(&ui));
        provide_context(ctx.clone());
        let nonce = use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<middleware::CspNonce>().map(middleware::CspNonce::shared));
        if let Some(nonce) = nonce {
            provide_context(leptos::nonce::Nonce::from_value(nonce));
        }
    };
    let sessions = session_layer(state.ctx.storage.sessions(), production);

    // Checklist 63: the webhook skips sessions and Origin checks, not the rate limiter.
    let webhook = Router::new()
        .route("/api/autogpt/webhook", post(routes::webhook::webhook))
        // Slightly above the verifier's cap so oversized bodies reach it and get 413.
        .layer(DefaultBodyLimit::max(state.ctx.webhooks.max_body_bytes() + 1))
        .layer(middleware::rate_limit(limits.webhook));
    // The sign-in routes share one per-IP budget: the platform's token endpoint behind them is
    // limited per client, and the API-key form must not be a free oracle (issue 11 item 1).
    let callback = Router::new()
        .route("/api/autogpt/callback", get(routes::oauth::callback::callback))
        .route(
            "/api/autogpt/authorize",
            get(routes::oauth::authorize::start_login).post(routes::oauth::authorize::start_with_key),
        )
        .layer(middleware::rate_limit(limits.callback));

    // The run forms (live profile) start paid runs: the server functions' per-IP budget.
    let runs = Router::new()
        .route(app::api::runs::form::START_PATH, post(routes::runs::start))
        .route("/api/autogpt/runs/{id}/stop", post(routes::runs::stop))
        .route("/api/autogpt/runs/{id}/reviews", post(routes::runs::reviews))
        .layer(middleware::rate_limit(limits.server_fns));

    let app = Router::new()
        // Refresh calls the platform only when the token is stale, within the token budget
        // (issue 11 item 2): no per-IP limit needed.
        .route("/api/autogpt/refresh", post(routes::oauth::session::refresh))
        .route("/api/autogpt/logout", post(routes::oauth::session::logout))
        // The live profile's setup wizard comes back here (L3).
        .route("/api/autogpt/integrations/callback", get(routes::integrations::callback))
        .route("/api/autogpt/integrations/record", post(routes::integrations::record))
        .route(app::api::events::STREAM_PATH, get(routes::events::events))
        .merge(callback)
        .merge(runs)
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let context = context.clone();
                move || context()
            },
            {
                let options = state.leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, app::shell))
        .layer(middleware::rate_limit_matching(limits.server_fns, |path| path.starts_with("/api/app/")))
        .layer(sessions)
        // Outside the sessions: a kept signed-out page needs no session store at all.
        .layer(axum::middleware::from_fn_with_state(pages, middleware::serve_cached_pages));

    // The bundle: its precompressed copies (`make build`) and conditional requests (304), which
    // Leptos's file fallback does not answer.
    let pkg_dir = &state.settings.site.pkg_dir;
    let bundle = ServeDir::new(state.settings.site.root.join(pkg_dir)).precompressed_br().precompressed_gzip();

    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .nest_service(&format!("/{pkg_dir}"), bundle)
        .route("/metrics", get(routes::metrics::metrics))
        .merge(webhook)
        .merge(app)
        .layer(axum::middleware::from_fn_with_state(
            Arc::<str>::from(state.settings.site.stylesheet()),
            middleware::render_error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(state.metrics.clone(), middleware::track_metrics))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(middleware::CspPolicy::new(state.ctx.config.platform.join(""))),
            middleware::content_security,
        ))
        .layer(middleware::security_headers(production))
        .layer(axum::middleware::from_fn_with_state(
            Arc::<str>::from(format!("/{pkg_dir}/")),
            middleware::revalidate_bundle,
        ))
        // gzip/brotli for pages, JS, CSS and WASM; never for the event stream (tower-http's
        // default predicate skips `text/event-stream`, images and tiny bodies).
        .layer(CompressionLayer::new())
        .layer(middleware::request_tracing())
        .with_state(state)
}

/// Sessions in the shared database: an opaque cookie, `HttpOnly`, `SameSite=Lax`, `Path=/`,
/// no `Domain`, and in production `Secure` with a `__Host-` name (checklist 41); 7 days of
/// inactivity end one (the absolute lifetime is checked by `backend::Visitor`).
fn session_layer<S: tower_sessions::SessionStore + Clone>(store: S, production: bool) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store)
        .with_name(session_cookie_name(production))
        .with_secure(production)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::days(7)))
}

/// The session cookie's name (the page cache treats a request carrying it as signed in).
const fn session_cookie_name(production: bool) -> &'static str {
    if production { "__Host-agc_session" } else { "agc_session" }
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

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt as _;
    use tower_sessions::{MemoryStore, Session};

    use super::session_layer;

    /// Checklist 41: what a signed-in browser's session cookie looks like, through the layer
    /// the production router uses (a sign-in is the only thing that writes a session).
    async fn session_cookie(production: bool) -> String {
        let router = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|session: Session| async move {
                    session.insert("signed_in", 1).await.unwrap();
                }),
            )
            .layer(session_layer(MemoryStore::default(), production));
        let response = router.oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
        response.headers()[header::SET_COOKIE].to_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn item41_production_session_cookie_is_host_prefixed_and_secure() {
        let cookie = session_cookie(true).await;
        assert!(cookie.starts_with("__Host-agc_session="), "{cookie}");
        let attributes: Vec<String> = cookie.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
        for wanted in ["secure", "httponly", "samesite=lax", "path=/"] {
            assert!(attributes.contains(&wanted.to_owned()), "{wanted} missing: {cookie}");
        }
        assert!(!attributes.iter().any(|a| a.starts_with("domain")), "{cookie}");
        let dev = session_cookie(false).await;
        assert!(dev.starts_with("agc_session=") && !dev.to_ascii_lowercase().contains("secure"), "{dev}");
    }
}
