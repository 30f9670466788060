//! External API v2 under `/external-api/v2` on the backend origin: identity, library agents,
//! credential requirements, runs (with `Idempotency-Key`), reviews and integration credentials.
//! Every non-2xx answer is the envelope `{"error":{"code","message","details"}}`
//! ([`crate::error::Error::V2`]; unknown paths and 405s are wrapped by `live::shape_errors`).

pub mod auth;
pub mod credentials;
pub mod library;
pub mod me;
pub mod paging;
pub mod query;
pub mod rate;
pub mod reviews;
pub mod run_start;
pub mod runs;
pub mod views;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::state::AppState;

pub const PREFIX: &str = "/external-api/v2";

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/me", get(me::me))
        .route("/library/agents", get(library::list))
        .route("/library/agents/{agent_id}", get(library::get))
        .route("/library/agents/{agent_id}/credentials", get(library::credentials))
        .route("/library/agents/{agent_id}/runs", post(run_start::start))
        .route("/runs", get(runs::list))
        .route("/runs/reviews", get(reviews::list))
        .route("/runs/{run_id}", get(runs::get).delete(runs::delete))
        .route("/runs/{run_id}/stop", post(runs::stop))
        .route("/runs/{run_id}/reviews", post(reviews::submit))
        .route("/integrations/credentials", get(credentials::list))
        // Only matched routes authenticate: an unknown path is a plain 404.
        .route_layer(middleware::from_fn_with_state(state, auth::authenticate))
}

/// Timestamp style of the moment (Q7 switch).
pub fn ts(state: &AppState) -> views::Ts {
    views::Ts { without_fraction: state.live_settings().timestamps_without_fraction }
}
