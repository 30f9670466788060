//! The live OAuth 2.0 provider under `/api/oauth` on the backend origin: JSON bodies only,
//! confidential clients, opaque `agpt_xt_`/`agpt_rt_` tokens, FastAPI's `{"detail"}` errors.

pub mod authorize;
pub mod client;
pub mod introspect;
pub mod pkce;
pub mod revoke;
pub mod token;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/token", post(token::token))
        .route("/introspect", post(introspect::introspect))
        .route("/revoke", post(revoke::revoke))
        .route("/authorize", post(authorize::authorize))
        .route("/app/{client_id}", get(authorize::app_info))
}
