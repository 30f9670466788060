//! Connect popup, server side (G7, B6): a fresh nonce per attempt, grants
//! stored only after the platform confirms them (checklist 15), reconciliation
//! when the popup closed without a message (checklist 11).

use autogpt::connect::connect_url;
use autogpt::ids::{GrantId, Provider};
use autogpt::random::Nonce;
use autogpt::scope::Scope;

use super::platform::{storage_error, with_token};
use super::session::{Access, Caller, caller, respond};
use crate::api::{AppError, GrantView};
use crate::connect_flow::PreparedAttempt;
use crate::server::AppEvent;
use crate::server::storage::{ConsumeAttemptError, GrantRecord, GrantUpsert, NewGrant};

/// A grant as the browser sees it.
pub fn view(g: &GrantRecord) -> GrantView {
    GrantView {
        grant_id: g.grant_id.as_str().to_owned(),
        provider: g.provider.as_str().to_owned(),
        scopes: g.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
    }
}

/// Issues a nonce and builds the popup URL for `provider` (checklist 3–5).
pub async fn begin(provider: String) -> Result<PreparedAttempt, AppError> {
    let Caller { ctx, connection, .. } = caller(Access::Mutate).await?;
    respond(
        async {
            let card = ctx
                .config
                .providers
                .iter()
                .find(|p| p.id == provider)
                .ok_or_else(|| AppError::BadRequest(format!("Unknown provider `{provider}`.")))?;
            let scopes = card
                .scopes
                .iter()
                .map(|s| Scope::new(s.clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| AppError::Internal)?;
            let provider = Provider::new(provider.clone());
            let nonce = Nonce::generate();
            ctx.storage.attempts().issue(&connection, &provider, &nonce, ctx.now()).await.map_err(storage_error)?;
            let url = connect_url(
                &ctx.config.platform,
                &provider,
                &ctx.config.client_id,
                &scopes,
                &nonce,
                &ctx.config.app_origin,
            );
            Ok(PreparedAttempt {
                provider: provider.as_str().to_owned(),
                nonce: nonce.as_str().to_owned(),
                popup_url: url.into(),
                platform_origin: ctx.config.platform.origin().as_str().to_owned(),
            })
        }
        .await,
    )
}

/// Spends the attempt's nonce, confirms the grant with the platform, stores it.
pub async fn record(nonce: String, grant_id: String) -> Result<GrantView, AppError> {
    let Caller { ctx, connection, .. } = caller(Access::Mutate).await?;
    respond(
        async {
            let provider =
                ctx.storage.attempts().consume(&connection, &nonce, ctx.now()).await.map_err(|e| match e {
                    ConsumeAttemptError::Storage(e) => storage_error(e),
                    _ => AppError::BadRequest("This connection attempt is over. Please try again.".into()),
                })?;
            let grant_id = GrantId::new(grant_id);
            // Checklist 15: a grant id from a message is only a claim until the platform confirms it.
            let grant = with_token(&ctx, &connection, |token| {
                let api = ctx.api.clone();
                let grant_id = grant_id.clone();
                async move { api.grant(&token, &grant_id).await }
            })
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) | AppError::BadRequest(_) | AppError::Platform(_) => {
                    AppError::BadRequest("AutoGPT does not confirm this connection.".into())
                }
                other => other,
            })?;
            if grant.provider != provider || grant.revoked_at.is_some() {
                return Err(AppError::BadRequest("AutoGPT does not confirm this connection.".into()));
            }
            store(&ctx, &connection, &grant).await
        }
        .await,
    )
}

async fn store(
    ctx: &super::AppContext,
    connection: &crate::server::ConnectionId,
    grant: &autogpt::types::Grant,
) -> Result<GrantView, AppError> {
    let new = NewGrant {
        grant_id: &grant.id,
        provider: &grant.provider,
        credential_id: grant.credential_id.as_ref(),
        scopes: &grant.granted_scopes,
    };
    match ctx.storage.grants().upsert(connection, new, ctx.now()).await.map_err(storage_error)? {
        GrantUpsert::OtherConnection => return Err(AppError::BadRequest("This grant belongs to someone else.".into())),
        GrantUpsert::Inserted => {
            let event = AppEvent::GrantAdded { grant_id: grant.id.clone(), provider: grant.provider.clone() };
            if let Err(e) = ctx.events.publish(connection, event).await {
                tracing::warn!(error = %e, "could not publish grant_added");
            }
        }
        GrantUpsert::Updated => {}
    }
    Ok(GrantView {
        grant_id: grant.id.as_str().to_owned(),
        provider: grant.provider.as_str().to_owned(),
        scopes: grant.granted_scopes.iter().map(|s| s.as_str().to_owned()).collect(),
    })
}

/// The popup closed (or the page regained focus) without a message: asks the platform
/// whether a grant for `provider` exists that we do not know yet (checklist 11).
pub async fn reconcile(provider: String) -> Result<Option<GrantView>, AppError> {
    let Caller { ctx, connection, .. } = caller(Access::Mutate).await?;
    respond(
        async {
            let known: Vec<GrantId> = ctx
                .storage
                .grants()
                .list_active(&connection)
                .await
                .map_err(storage_error)?
                .into_iter()
                .map(|g| g.grant_id)
                .collect();
            let grants = with_token(&ctx, &connection, |token| {
                let api = ctx.api.clone();
                async move { api.grants(&token).await }
            })
            .await?;
            let fresh = grants
                .into_iter()
                .find(|g| g.provider.as_str() == provider && g.revoked_at.is_none() && !known.contains(&g.id));
            match fresh {
                Some(grant) => {
                    let full = with_token(&ctx, &connection, |token| {
                        let api = ctx.api.clone();
                        let id = grant.id.clone();
                        async move { api.grant(&token, &id).await }
                    })
                    .await?;
                    store(&ctx, &connection, &full).await.map(Some)
                }
                None => Ok(None),
            }
        }
        .await,
    )
}

/// The user's active grants: stored ones, minus those the platform no longer lists.
pub async fn list() -> Result<Vec<GrantView>, AppError> {
    let Caller { ctx, connection, .. } = caller(Access::Read).await?;
    respond(
        async {
            let stored = ctx.storage.grants().list_active(&connection).await.map_err(storage_error)?;
            let live = with_token(&ctx, &connection, |token| {
                let api = ctx.api.clone();
                async move { api.grants(&token).await }
            })
            .await;
            let mut out = Vec::new();
            for g in &stored {
                let gone = match &live {
                    Ok(list) => !list.iter().any(|l| l.id == g.grant_id && l.revoked_at.is_none()),
                    // The platform is unreachable: storage is the fallback.
                    Err(_) => false,
                };
                if gone {
                    if let Ok(revoked) = ctx.storage.grants().mark_revoked(&g.grant_id, ctx.now()).await {
                        for r in revoked {
                            let event = AppEvent::GrantRevoked { grant_id: g.grant_id.clone(), provider: r.provider };
                            let _ = ctx.events.publish(&r.connection_id, event).await;
                        }
                    }
                } else {
                    out.push(view(g));
                }
            }
            Ok(out)
        }
        .await,
    )
}
