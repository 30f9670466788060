//! Calls to the platform on a user's behalf: one retry after a 401 (a token the platform
//! expired early), and the mapping of platform failures to what the user sees.

use std::future::Future;

use autogpt::client::live::LiveApiError;
use autogpt::client::{ApiError, PlatformError};
use autogpt::live::api::{Credential, ErrorCode, ResponseError};
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

/// A failure of a call in the live contract (through the seam or the v2 client).
pub(crate) trait LiveFailure: std::fmt::Display {
    /// The platform refused the credential (401).
    fn is_unauthorized(&self) -> bool;
    /// The v2 error, when there is one.
    fn live(&self) -> Option<&LiveApiError>;
}

impl LiveFailure for LiveApiError {
    fn is_unauthorized(&self) -> bool {
        LiveApiError::is_unauthorized(self)
    }
    fn live(&self) -> Option<&LiveApiError> {
        Some(self)
    }
}

impl LiveFailure for PlatformError {
    fn is_unauthorized(&self) -> bool {
        PlatformError::is_unauthorized(self)
    }
    fn live(&self) -> Option<&LiveApiError> {
        match self {
            PlatformError::LiveApi(e) => Some(e),
            _ => None,
        }
    }
}

/// What the user sees for a live-profile failure (L7): each status as a sentence, never a
/// raw body; causes of the unexpected ones are logged here.
pub(crate) fn live_error(e: &impl LiveFailure) -> ServiceError {
    let Some(api) = e.live() else {
        tracing::warn!(error = %e, "platform call failed");
        return ServiceError::Platform("AutoGPT did not answer as expected. Please try again.".into());
    };
    let message = || match api {
        LiveApiError::Response(ResponseError::Api { body, .. }) => body.message.clone(),
        LiveApiError::Response(ResponseError::Unexpected { detail: Some(d), .. }) => d.clone(),
        _ => String::new(),
    };
    match api.code() {
        Some(ErrorCode::Unauthorized) => ServiceError::ReconnectRequired,
        Some(ErrorCode::PaymentRequired) => ServiceError::PaymentRequired,
        Some(ErrorCode::Forbidden) => ServiceError::MissingPermission(message()),
        Some(ErrorCode::NotFound) => ServiceError::NotFound(message()),
        Some(ErrorCode::Conflict) => ServiceError::Conflict(message()),
        Some(ErrorCode::ValidationError) => ServiceError::Invalid {
            message: "AutoGPT did not accept these inputs. Please check the fields marked below.".into(),
            fields: api
                .validation_issues()
                .iter()
                .map(|i| (i.input_name().unwrap_or_default().to_owned(), i.msg.clone()))
                .collect(),
        },
        Some(ErrorCode::RateLimitExceeded) => {
            ServiceError::PlatformBusy { retry_after_secs: api.retry_after().map_or(60, |d| d.as_secs().max(1)) }
        }
        Some(ErrorCode::BadRequest) => ServiceError::BadRequest(message()),
        _ => {
            tracing::warn!(error = %e, "platform call failed");
            ServiceError::Platform("AutoGPT is not answering right now. Please try again in a moment.".into())
        }
    }
}

/// Runs `call` with the connection's credential (an access token, or an API key in the live
/// profile); after a 401 with an access token it refreshes once (exactly the refused version)
/// and retries; a refused API key means the user must sign in again.
pub(crate) async fn with_credential<T, E, F, Fut>(
    ctx: &Context,
    connection: &ConnectionId,
    call: F,
) -> Result<T, ServiceError>
where
    E: LiveFailure,
    F: Fn(Credential) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let (credential, version) = ctx.tokens.credential_versioned(connection).await.map_err(token_error)?;
    let api_key = matches!(credential, Credential::ApiKey(_));
    match call(credential).await {
        Err(e) if e.is_unauthorized() && api_key => {
            if let Err(e) = ctx.storage.connections().mark_reconnect_required(connection, ctx.now()).await {
                tracing::warn!(error = %e, "could not mark the connection for a new sign-in");
            }
            Err(ServiceError::ReconnectRequired)
        }
        Err(e) if e.is_unauthorized() => {
            let token = ctx.tokens.replace_refused(connection, version).await.map_err(token_error)?;
            call(Credential::Bearer(token)).await.map_err(|e| live_error(&e))
        }
        other => other.map_err(|e| live_error(&e)),
    }
}
