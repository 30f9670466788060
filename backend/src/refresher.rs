//! [`PlatformRefresher`]: how the token manager refreshes, through the platform's OAuth token
//! endpoint in whichever contract it speaks (no redirects followed; the guide's form body or
//! the live JSON body).

use std::sync::Arc;

use autogpt::client::Platform;
use autogpt::secret::RefreshToken;
use autogpt::types::TokenResponse;

use crate::{Clock, RefreshError, Refresher};

/// Refreshes through the OAuth token endpoint (`client_secret_post`, no redirects).
pub struct PlatformRefresher {
    platform: Platform,
    clock: Arc<dyn Clock>,
}

impl PlatformRefresher {
    /// A refresher for `platform`, stamping `expires_at` with `clock`.
    pub fn new(platform: Platform, clock: Arc<dyn Clock>) -> Self {
        Self { platform, clock }
    }
}

impl Refresher for PlatformRefresher {
    async fn refresh(&self, token: &RefreshToken) -> Result<TokenResponse, RefreshError> {
        match self.platform.refresh(token, self.clock.now()).await {
            Ok(tokens) => Ok(tokens),
            Err(e) if e.requires_reconnect() => Err(RefreshError::InvalidGrant),
            // The answer did not parse but named the rotated refresh token (issue 11 item 7).
            Err(e) => match e.rotated_refresh_token() {
                Some(rotated) => Err(RefreshError::Rotated(rotated.clone())),
                None => Err(RefreshError::Other(e.to_string())),
            },
        }
    }
}
