//! Connect, server side (G7, B6, L3): a fresh nonce per attempt, grants stored only after the
//! platform confirms them (checklist 15), and the popup check when the popup closed without a
//! message (checklist 11). The guide's Connect popup and the live setup wizard ([`live`]) share
//! all of it but the URL and the listing; in the live profile a "grant" is a connected
//! credential.

mod live;

pub use live::{WizardOutcome, wizard_callback};

use autogpt::connect::connect_url;
use autogpt::ids::{CredentialId, GrantId, Provider};
use autogpt::origin::Origin;
use autogpt::platform::Profile;
use autogpt::random::Nonce;
use autogpt::scope::Scope;
use url::Url;

use super::platform::with_token;
use crate::caller::{Caller, Mutate};
use crate::storage::{ConsumeAttemptError, GrantRecord, GrantUpsert, NewGrant};
use crate::{AppEvent, ConnectionId, Context, ServiceError};

/// Everything the browser needs to open the popup for one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// Which provider.
    pub provider: Provider,
    /// Fresh single-use nonce (checklist 5).
    pub nonce: Nonce,
    /// The popup URL (checklist 3, 4).
    pub popup_url: Url,
    /// The origin the popup's message must come from (checklist 6).
    pub platform_origin: Origin,
}

/// Issues a nonce and builds the popup URL for `provider` (checklist 3–5): the guide's Connect
/// popup, or the live platform's setup wizard ([`live::begin`]).
pub async fn begin(ctx: &Context, caller: &Caller<Mutate>, provider: &str) -> Result<Attempt, ServiceError> {
    let card = ctx
        .config
        .providers
        .iter()
        .find(|p| p.id.as_str() == provider)
        .ok_or_else(|| ServiceError::BadRequest(format!("Unknown provider `{provider}`.")))?;
    if ctx.config.profile == Profile::Live {
        return live::begin(ctx, caller, card).await;
    }
    let nonce = Nonce::generate();
    ctx.storage
        .attempts()
        .issue(&caller.connection, &card.id, &nonce, ctx.now())
        .await
        .map_err(ServiceError::storage)?;
    let popup_url = connect_url(
        &ctx.config.platform,
        &card.id,
        &ctx.config.client_id,
        &card.scopes,
        &nonce,
        &ctx.config.app_origin,
    );
    Ok(Attempt { provider: card.id.clone(), nonce, popup_url, platform_origin: ctx.config.platform.origin() })
}

/// A connected credential as the platform lists it, in either profile (a guide grant or a
/// live credential), ready to store.
#[derive(Clone, Debug)]
struct Connected {
    id: GrantId,
    provider: Provider,
    credential_id: Option<CredentialId>,
    scopes: Vec<Scope>,
}

impl Connected {
    fn as_new(&self) -> NewGrant<'_> {
        NewGrant {
            grant_id: &self.id,
            provider: &self.provider,
            credential_id: self.credential_id.as_ref(),
            scopes: &self.scopes,
        }
    }
}

/// What the platform lists as connected now (of one provider, or all).
async fn listed(
    ctx: &Context,
    connection: &ConnectionId,
    provider: Option<&Provider>,
) -> Result<Vec<Connected>, ServiceError> {
    if ctx.config.profile == Profile::Live {
        return live::listed(ctx, connection, provider).await;
    }
    let grants = with_token(ctx, connection, |token| {
        let api = ctx.api.clone();
        async move { api.grants(&token).await }
    })
    .await?;
    Ok(grants
        .into_iter()
        .filter(|g| g.revoked_at.is_none() && provider.is_none_or(|p| p == &g.provider))
        .map(|g| Connected { id: g.id, provider: g.provider, credential_id: g.credential_id, scopes: g.granted_scopes })
        .collect())
}

/// Asks the platform about one claimed id (checklist 15: a claim until the platform
/// confirms it): the connected credential if it exists, for `provider`, and is not revoked.
async fn confirmed(
    ctx: &Context,
    connection: &ConnectionId,
    provider: &Provider,
    id: &GrantId,
) -> Result<Option<Connected>, ServiceError> {
    if ctx.config.profile == Profile::Live {
        return Ok(listed(ctx, connection, Some(provider)).await?.into_iter().find(|c| &c.id == id));
    }
    let grant = with_token(ctx, connection, |token| {
        let api = ctx.api.clone();
        let id = id.clone();
        async move { api.grant(&token, &id).await }
    })
    .await;
    match grant {
        Ok(g) if &g.provider == provider && g.revoked_at.is_none() => Ok(Some(Connected {
            id: g.id,
            provider: g.provider,
            credential_id: g.credential_id,
            scopes: g.granted_scopes,
        })),
        Ok(_) | Err(ServiceError::NotFound(_) | ServiceError::BadRequest(_) | ServiceError::Platform(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Spends the attempt's nonce, confirms the grant with the platform, stores it.
pub async fn record(
    ctx: &Context,
    caller: &Caller<Mutate>,
    nonce: &str,
    grant_id: &str,
) -> Result<GrantRecord, ServiceError> {
    let connection = &caller.connection;
    let provider = ctx.storage.attempts().consume(connection, nonce, ctx.now()).await.map_err(|e| match e {
        ConsumeAttemptError::Storage(e) => ServiceError::storage(e),
        _ => ServiceError::BadRequest("This connection attempt is over. Please try again.".into()),
    })?;
    let not_confirmed = || ServiceError::BadRequest("AutoGPT does not confirm this connection.".into());
    let found = confirmed(ctx, connection, &provider, &GrantId::new(grant_id)).await?.ok_or_else(not_confirmed)?;
    let stored = store(ctx, connection, &found).await?;
    // A completed connection gets a new session id, as a sign-in does (checklist 40).
    caller.session.cycle_id().await.map_err(|e| {
        tracing::error!(error = %e, "could not cycle the session id");
        ServiceError::Internal
    })?;
    Ok(stored)
}

async fn store(ctx: &Context, connection: &ConnectionId, found: &Connected) -> Result<GrantRecord, ServiceError> {
    let grants = ctx.storage.grants();
    match grants.upsert(connection, found.as_new(), ctx.now()).await.map_err(ServiceError::storage)? {
        GrantUpsert::OtherConnection => {
            return Err(ServiceError::BadRequest("This grant belongs to someone else.".into()));
        }
        GrantUpsert::Inserted => {
            let event = AppEvent::GrantAdded { grant_id: found.id.clone(), provider: found.provider.clone() };
            if let Err(e) = ctx.events.publish(connection, event).await {
                tracing::warn!(error = %e, "could not publish grant_added");
            }
        }
        GrantUpsert::Updated => {}
    }
    grants.get(connection, &found.id).await.map_err(ServiceError::storage)?.ok_or(ServiceError::Internal)
}

/// The popup closed (or the page regained focus) without a message: asks the platform
/// whether a grant for `provider` exists that we do not know yet (checklist 11).
pub async fn reconcile(
    ctx: &Context,
    caller: &Caller<Mutate>,
    provider: &str,
) -> Result<Option<GrantRecord>, ServiceError> {
    let connection = &caller.connection;
    let provider = Provider::new(provider);
    let fresh = if ctx.config.profile == Profile::Live {
        // The platform lists what the user had before too: only what is new since the attempt.
        live::added_since_attempt(ctx, connection, &provider).await?
    } else {
        let known: Vec<GrantId> = stored(ctx, connection).await?.into_iter().map(|g| g.grant_id).collect();
        listed(ctx, connection, Some(&provider)).await?.into_iter().find(|c| !known.contains(&c.id))
    };
    match fresh {
        Some(found) => store(ctx, connection, &found).await.map(Some),
        None => Ok(None),
    }
}

/// The connection's active grants as stored (for rendering a page; no platform call).
pub async fn stored(ctx: &Context, connection: &ConnectionId) -> Result<Vec<GrantRecord>, ServiceError> {
    ctx.storage.grants().list_active(connection).await.map_err(ServiceError::storage)
}

/// The user's active grants: stored ones, minus those the platform no longer lists (which
/// are marked revoked and announced).
pub async fn list(ctx: &Context, caller: &Caller<Mutate>) -> Result<Vec<GrantRecord>, ServiceError> {
    let connection = &caller.connection;
    let stored = stored(ctx, connection).await?;
    let live = listed(ctx, connection, None).await;
    let mut out = Vec::new();
    for g in stored {
        let gone = match &live {
            Ok(list) => !list.iter().any(|l| l.id == g.grant_id),
            // The platform is unreachable: storage is the fallback.
            Err(_) => false,
        };
        if gone {
            // Logged inside; the grant is left out either way (the platform no longer has it).
            let _ = revoke(ctx, &g.grant_id).await;
        } else {
            out.push(g);
        }
    }
    Ok(out)
}

/// Marks a grant revoked and tells its owner's pages (the platform's word: a webhook or a
/// grant list without it). Idempotent: only the first call publishes.
pub async fn revoke(ctx: &Context, grant_id: &GrantId) -> Result<(), ServiceError> {
    let revoked = ctx.storage.grants().mark_revoked(grant_id, ctx.now()).await.map_err(ServiceError::storage)?;
    for r in revoked {
        let event = AppEvent::GrantRevoked { grant_id: grant_id.clone(), provider: r.provider };
        if let Err(e) = ctx.events.publish(&r.connection_id, event).await {
            tracing::warn!(error = %e, "could not publish grant_revoked");
        }
    }
    Ok(())
}
