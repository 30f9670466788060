//! The AutoGPT sandbox platform: a local stand-in for the AutoGPT Platform that the app and its
//! tests talk to. One process serves two contracts on three listeners, sharing users and
//! credentials: the guide's (`autogpt-contract.md`: OAuth at the root, Connect popup, External
//! API v1, webhooks, admin API) and the live platform's (`platform-live-contract.md`, module
//! [`live`]: a backend origin with `/api/oauth/*` and External API v2, and a pages origin with
//! login, consent and the Integration Setup Wizard).
//!
//! Start it in-process with [`spawn`]; the binary `sandbox` wraps the same call.

pub mod canonical_json;
pub mod config;
pub mod engine;
pub mod error;
pub mod html;
pub mod live;
pub mod routes;
pub mod seed;
pub mod state;
pub mod webhooks;

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Cli, Config, Quirks};
use state::{AppState, Db, Urls};

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot read data file: {0}")]
    DataFile(String),
    #[error("invalid public URL {0:?}")]
    PublicUrl(String),
    #[error("cannot build HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// A running sandbox. Dropping it does not stop the server; call [`Running::shutdown`].
pub struct Running {
    addr: SocketAddr,
    live_api_addr: SocketAddr,
    live_pages_addr: SocketAddr,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    /// The guide contract's origin: `http://127.0.0.1:PORT` (or the configured public URL).
    pub fn base_url(&self) -> &str {
        &self.state.public_url
    }
    /// The bound socket address of the guide contract's listener.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The live backend origin (`/api/oauth/*`, `/external-api/v2`, `/healthz`).
    pub fn live_api_url(&self) -> &str {
        &self.state.live_api_url
    }
    /// The live pages origin (`/login`, `/auth/authorize`, `/auth/integrations/setup-wizard`).
    pub fn live_pages_url(&self) -> &str {
        &self.state.live_pages_url
    }
    /// The bound socket address of the live backend.
    pub fn live_api_addr(&self) -> SocketAddr {
        self.live_api_addr
    }
    /// The bound socket address of the live pages.
    pub fn live_pages_addr(&self) -> SocketAddr {
        self.live_pages_addr
    }
    /// Shared state (tests and the admin API use it).
    pub fn state(&self) -> &AppState {
        &self.state
    }
    /// Stop accepting connections, finish in-flight requests, save the data file if any.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        save_data_file(&self.state);
    }
}

/// Bind the three listeners and start serving. Returns as soon as the sockets are bound, so
/// `GET /healthz` answers 200 on each origin immediately (and
/// `GET /.well-known/openid-configuration` on the guide's).
pub async fn spawn(config: Config) -> Result<Running, StartError> {
    let (guide, addr) = bind(config.addr).await?;
    let (live_api, live_api_addr) = bind(config.live_api_addr).await?;
    let (live_pages, live_pages_addr) = bind(config.live_pages_addr).await?;
    let urls = Urls {
        guide: public_url(config.public_url.as_deref(), addr)?,
        live_api: public_url(config.live_api_public_url.as_deref(), live_api_addr)?,
        live_pages: public_url(config.live_pages_public_url.as_deref(), live_pages_addr)?,
    };
    let db = load_db(&config)?;
    let state = AppState::new(config, urls, db)?;
    engine::resume_after_load(&state);
    live::engine::resume_after_load(&state);
    tracing::info!("{}", seed::summary(&state.db(), &state.public_url));
    tracing::info!("{}", live::summary(&state));

    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let stop = futures::future::FutureExt::shared(async move {
        let _ = stop_rx.await;
    });
    let servers = [
        (guide, routes::router(state.clone())),
        (live_api, live::api_router(state.clone())),
        (live_pages, live::pages_router(state.clone())),
    ]
    .map(|(listener, app)| {
        let stop = stop.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(stop)
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "server stopped with an error");
            }
        })
    });
    let task = tokio::spawn(async move {
        for server in servers {
            let _ = server.await;
        }
    });
    Ok(Running { addr, live_api_addr, live_pages_addr, state, stop: Some(stop_tx), task })
}

async fn bind(addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), StartError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?;
    let bound = listener.local_addr().map_err(|source| StartError::Bind { addr, source })?;
    Ok((listener, bound))
}

/// The configured public URL as an origin, or `http://{bound}`. Port 0 in the public URL means
/// "the port we were bound to" (tests on localhost).
fn public_url(configured: Option<&str>, bound: SocketAddr) -> Result<String, StartError> {
    let Some(u) = configured else {
        return Ok(format!("http://{bound}"));
    };
    let mut parsed = url::Url::parse(u).map_err(|_| StartError::PublicUrl(u.to_owned()))?;
    if parsed.port() == Some(0) {
        parsed.set_port(Some(bound.port())).map_err(|_| StartError::PublicUrl(u.to_owned()))?;
    }
    if parsed.host_str().is_none() || !matches!(parsed.scheme(), "http" | "https") {
        return Err(StartError::PublicUrl(u.to_owned()));
    }
    Ok(parsed.origin().ascii_serialization())
}

fn load_db(config: &Config) -> Result<Db, StartError> {
    if let Some(path) = &config.data_file
        && path.exists()
    {
        let text =
            std::fs::read_to_string(path).map_err(|e| StartError::DataFile(format!("{}: {e}", path.display())))?;
        let db: Db =
            serde_json::from_str(&text).map_err(|e| StartError::DataFile(format!("{}: {e}", path.display())))?;
        return Ok(db);
    }
    Ok(seed::seeded(&config.extra_client_origins, &config.extra_redirect_uris))
}

/// Write the JSON snapshot when a data file is configured (errors are logged, not fatal).
pub fn save_data_file(state: &AppState) {
    let Some(path) = &state.config.data_file else {
        return;
    };
    let text = match serde_json::to_string_pretty(&*state.db()) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise snapshot");
            return;
        }
    };
    if let Err(e) = std::fs::write(path, text) {
        tracing::error!(error = %e, path = %path.display(), "cannot write data file");
    }
}
