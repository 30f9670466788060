//! `server` binary: read the settings, build the application, serve until stopped.

use server::{Application, config::Settings, telemetry};

/// mimalloc rather than glibc's allocator: a page render makes many small short-lived
/// allocations from both worker threads, where glibc's arenas spent about a third of the CPU
/// (BENCHMARKS.md has the measurements). Built with `no_thp`: with transparent huge pages the
/// kernel backs each touched 2 MiB of its heap whole, which doubled the resident anonymous
/// memory of a server whose live heap is a few MiB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(problems) => {
            // One line per problem, so an operator can fix them all at once.
            tracing::error!("invalid configuration:\n{problems}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match Application::build(settings).await {
        Ok(app) => match app.run_until_stopped().await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(%error, "server stopped with an error");
                std::process::ExitCode::FAILURE
            }
        },
        Err(error) => {
            tracing::error!(%error, "could not start the server");
            std::process::ExitCode::FAILURE
        }
    }
}
