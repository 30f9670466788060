//! Calls to the platform on a user's behalf: one retry after a 401 (a token the platform
//! expired early), and the mapping of platform failures to what the user sees.

use std::future::Future;

use autogpt::client::ApiError;
use autogpt::secret::AccessToken;

use crate::{ConnectionId, Context, ServiceError, TokenError};

/// Maps a token failure to what the user sees; causes are logged here.
pub(crate) fn token_error(e: TokenError) -> ServiceError {
    match e {
        TokenError::UnknownConnection => ServiceError::Unauthorized,
        TokenError::ReconnectRequired => ServiceError::ReconnectRequired,
        TokenError::Budget => ServiceError::RateLimited,
        other => {
            tracing::warn!(error = %other, "could not get an access token");
            ServiceError::Platform("could not refresh the sign-in; please try again".into())
        }
    }
}

/// Maps a platform API failure to what the user sees.
pub(crate) fn api_error(e: ApiError) -> ServiceError {
    match e {
        ApiError::NotFound { detail } => ServiceError::NotFound(detail),
        ApiError::Forbidden { detail } => ServiceError::Platform(detail),
        ApiError::Unauthorized { .. } => ServiceError::ReconnectRequired,
        ApiError::RateLimited { .. } => ServiceError::RateLimited,
        ApiError::Status { status, detail } if status.is_client_error() => ServiceError::BadRequest(detail),
        other => {
            tracing::warn!(error = %other, "platform call failed");
            ServiceError::Platform("the platform did not answer as expected; please try again".into())
        }
    }
}

/// Runs `call` with a valid access token; after a 401 it forces one refresh and retries
/// once (the platform may have expired or revoked the token before its `expires_at`).
pub(crate) async fn with_token<T, F, Fut>(ctx: &Context, connection: &ConnectionId, call: F) -> Result<T, ServiceError>
where
    F: Fn(AccessToken) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let (token, version) = ctx.tokens.access_token_versioned(connection).await.map_err(token_error)?;
    match call(token).await {
        Err(ApiError::Unauthorized { .. }) => {
            // Replace exactly the refused token: if another caller refreshed meanwhile, use
            // theirs instead of refreshing again.
            let token = ctx.tokens.replace_refused(connection, version).await.map_err(token_error)?;
            call(token).await.map_err(api_error)
        }
        other => other.map_err(api_error),
    }
}
