//! The `sandbox` binary: parse the CLI, start the sandbox, serve until Ctrl-C or SIGTERM.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = sandbox::Cli::parse().into_config();
    let running = match sandbox::spawn(config).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "sandbox failed to start");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(
        url = running.base_url(),
        live_api = running.live_api_url(),
        live_pages = running.live_pages_url(),
        "sandbox ready"
    );
    shutdown_signal().await;
    running.shutdown().await;
    std::process::ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
