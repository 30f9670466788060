//! The External API (Bearer access tokens), mounted under `/api/external/v1` and
//! `/external-api/v1`.

pub mod executions;
pub mod grants;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/executions/agents/{agent_id}/execute", post(executions::execute))
        .route("/executions/capabilities", get(executions::capabilities))
        .route("/executions/{execution_id}", get(executions::status))
        .route("/executions/{execution_id}/cancel", post(executions::cancel))
        .route("/grants/", get(grants::list))
        .route("/grants", get(grants::list))
        .route("/grants/{grant_id}", get(grants::get))
        .route("/grants/{grant_id}/credential", delete(grants::delete_credential))
}
