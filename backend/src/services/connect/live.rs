//! Connect in the live profile (L3): the Integration Setup Wizard instead of a Connect popup.
//!
//! The wizard carries only `state` and answers with `success=true` or
//! `error=user_cancelled` — no credential id. So our own callback
//! (`/api/autogpt/integrations/callback`) checks `state` (its attempt belongs to this
//! browser's signed-in user), asks the platform which credential of the provider is there, and
//! hands the opener a typed result with the attempt's nonce; the opener's popup machine then
//! records it exactly as in the guide profile (confirmed again with the platform). The nonce
//! is derived from `state` with a key of ours, so it is never stored in plain text nor sent
//! to the platform.

use autogpt::ids::{CredentialId, GrantId, Provider};
use autogpt::live::wizard::{WizardCallback, WizardProvider, parse_wizard_callback};
use autogpt::platform::ConnectedCredentialId;
use autogpt::random::State;
use autogpt::scope::Scope;

use super::{Attempt, Connected, stored};
use crate::caller::{Caller, Mutate, Read};
use crate::services::platform::with_credential;
use crate::{ConnectProvider, ConnectionId, Context, ServiceError};

/// Starts an attempt: a `state` for the wizard, the nonce derived from it for the opener.
pub(super) async fn begin(
    ctx: &Context,
    caller: &Caller<Mutate>,
    card: &ConnectProvider,
) -> Result<Attempt, ServiceError> {
    let (Some(live), Some(redirect)) = (ctx.platform.as_live(), ctx.config.integrations_redirect_uri.as_ref()) else {
        return Err(ServiceError::Internal);
    };
    let state = State::generate();
    let nonce = ctx.connect_nonces.nonce(state.as_str());
    ctx.storage
        .attempts()
        .issue(&caller.connection, &card.id, &nonce, ctx.now())
        .await
        .map_err(ServiceError::storage)?;
    let scopes = (!card.live_scopes.is_empty()).then(|| card.live_scopes.clone());
    let provider = WizardProvider::new(card.id.clone(), scopes).map_err(|e| {
        tracing::error!(error = %e, provider = %card.id, "a provider the wizard cannot carry");
        ServiceError::BadRequest(format!("`{}` cannot be connected through AutoGPT.", card.id))
    })?;
    let popup_url = live.oauth.setup_wizard_url(&[provider], redirect, &state);
    // The result comes from our own callback page, so it must carry our own origin.
    Ok(Attempt { provider: card.id.clone(), nonce, popup_url, platform_origin: ctx.config.app_origin.clone() })
}

/// What the live platform lists as connected (of one provider, or all).
pub(super) async fn listed(
    ctx: &Context,
    connection: &ConnectionId,
    provider: Option<&Provider>,
) -> Result<Vec<Connected>, ServiceError> {
    let found = with_credential(ctx, connection, |credential| {
        let platform = ctx.platform.clone();
        let provider = provider.cloned();
        async move { platform.connected_credentials(&credential, provider.as_ref()).await }
    })
    .await?;
    Ok(found
        .into_iter()
        .map(|c| {
            let id = match &c.id {
                ConnectedCredentialId::Credential(id) => id.as_str().to_owned(),
                ConnectedCredentialId::Grant(id) => id.as_str().to_owned(),
            };
            Connected {
                id: GrantId::new(id.clone()),
                provider: c.provider,
                credential_id: Some(CredentialId::new(id)),
                scopes: c.scopes.iter().filter_map(|s| Scope::new(s.as_str()).ok()).collect(),
            }
        })
        .collect())
}

/// A closed popup (checklist 11): a credential of `provider` added since the pending attempt
/// began, if any (none without a pending attempt: then nothing new can be told apart).
pub(super) async fn added_since_attempt(
    ctx: &Context,
    connection: &ConnectionId,
    provider: &Provider,
) -> Result<Option<Connected>, ServiceError> {
    let known = ctx.storage.attempts().pending_known(connection, provider, ctx.now()).await;
    let Some(known) = known.map_err(ServiceError::storage)? else { return Ok(None) };
    let listed = listed(ctx, connection, Some(provider)).await?;
    Ok(listed.into_iter().find(|c| !known.iter().any(|k| k == c.id.as_str())))
}

/// How the wizard came back, as the callback page tells the opener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WizardOutcome {
    /// Connected: the credential to record (a new one of the provider if there is one).
    Connected {
        /// The attempt's nonce (for the opener's check).
        nonce: String,
        /// Which provider.
        provider: Provider,
        /// The credential id the platform lists.
        credential_id: String,
    },
    /// The user cancelled, or the platform lists no credential of the provider.
    Failed {
        /// The attempt's nonce.
        nonce: String,
        /// `user_cancelled`, or `not_connected`.
        error: &'static str,
        /// A sentence for people.
        description: String,
    },
}

/// `GET /api/autogpt/integrations/callback`: checks `state` (an unspent attempt of this
/// signed-in user) and finds what was connected. The attempt is spent only when the opener
/// records the result.
pub async fn wizard_callback(ctx: &Context, caller: &Caller<Read>, query: &str) -> Result<WizardOutcome, ServiceError> {
    let over = || {
        ServiceError::BadRequest("This connection attempt is over. Please start again from the connect page.".into())
    };
    let callback = parse_wizard_callback(query);
    let state = callback.state().ok_or_else(over)?;
    let nonce = ctx.connect_nonces.nonce(state.as_str());
    let attempt = ctx.storage.attempts().peek(&caller.connection, nonce.as_str(), ctx.now()).await;
    let (provider, known_then) = attempt.map_err(ServiceError::storage)?.ok_or_else(over)?;
    let nonce = nonce.as_str().to_owned();
    match callback {
        WizardCallback::Success { .. } => {
            let listed = listed(ctx, &caller.connection, Some(&provider)).await?;
            // The wizard does not say which credential was picked: one added meanwhile if there
            // is one, else one we do not show yet, else the first.
            let stored: Vec<GrantId> = stored(ctx, &caller.connection).await?.into_iter().map(|g| g.grant_id).collect();
            let pick = listed
                .iter()
                .find(|c| !known_then.iter().any(|k| k == c.id.as_str()))
                .or_else(|| listed.iter().find(|c| !stored.contains(&c.id)))
                .or_else(|| listed.first());
            Ok(match pick {
                Some(c) => WizardOutcome::Connected { nonce, provider, credential_id: c.id.as_str().to_owned() },
                None => WizardOutcome::Failed {
                    nonce,
                    error: "not_connected",
                    description: format!("AutoGPT lists no {provider} connection. Please try again."),
                },
            })
        }
        WizardCallback::Cancelled { .. } => {
            Ok(WizardOutcome::Failed { nonce, error: "user_cancelled", description: "Connection cancelled.".into() })
        }
        WizardCallback::Unrecognised { .. } => Err(ServiceError::BadRequest(
            "AutoGPT's answer was not understood. Please start again from the connect page.".into(),
        )),
    }
}
