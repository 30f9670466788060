//! The AutoGPT sandbox platform: a local stand-in for the AutoGPT Platform (OAuth provider,
//! Connect popup, External API, webhooks, admin API) that the app and its tests talk to.
//!
//! Start it in-process with [`spawn`]; the binary `sandbox` wraps the same call.

pub mod canonical_json;
pub mod config;
pub mod engine;
pub mod error;
pub mod html;
pub mod routes;
pub mod seed;
pub mod state;
pub mod webhooks;

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Cli, Config, Quirks};
use state::{AppState, Db};

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
    base_url: String,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    /// `http://127.0.0.1:PORT` (or the configured public URL).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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

/// Bind the listener and start serving. Returns as soon as the socket is bound, so
/// `GET /.well-known/openid-configuration` answers 200 immediately.
pub async fn spawn(config: Config) -> Result<Running, StartError> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| StartError::Bind { addr: config.addr, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.addr, source })?;
    let base_url = match &config.public_url {
        Some(u) => {
            let mut parsed = url::Url::parse(u).map_err(|_| StartError::PublicUrl(u.clone()))?;
            // Port 0 in the public URL means "the port we were bound to" (tests on localhost).
            if parsed.port() == Some(0) {
                parsed.set_port(Some(addr.port())).map_err(|_| StartError::PublicUrl(u.clone()))?;
            }
            if parsed.host_str().is_none() || !matches!(parsed.scheme(), "http" | "https") {
                return Err(StartError::PublicUrl(u.clone()));
            }
            parsed.origin().ascii_serialization()
        }
        None => format!("http://{addr}"),
    };
    let db = load_db(&config)?;
    let state = AppState::new(config, base_url.clone(), db)?;
    engine::resume_after_load(&state);
    tracing::info!("{}", seed::summary(&state.db(), &base_url));

    let app = routes::router(state.clone());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    Ok(Running { addr, base_url, state, stop: Some(stop_tx), task })
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
