//! Background upkeep: executions left queued/running are polled, so a lost webhook costs
//! only latency (checklist 64), and in the live profile unwatched runs are adopted; the webhook inbox is swept; expired transactions, attempts
//! and sessions are purged. Timings come from [`crate::UpkeepSettings`].

use super::agents::refresh_execution;
use crate::Context;

/// How many stale executions one pass polls at most.
const STALE_BATCH: i64 = 50;

/// One pass: poll stale executions, sweep the inbox, purge expired rows.
pub async fn run_once(ctx: &Context) {
    if ctx.platform.as_live().is_some() {
        // The live platform has no webhooks: runs are watched, and a dead watcher's runs are
        // adopted here.
        super::watcher::adopt(ctx).await;
    } else {
        reconcile(ctx).await;
    }
    let window = i64::try_from(ctx.config.webhook_window.as_secs()).unwrap_or(i64::MAX);
    super::webhooks::sweep(ctx).await;
    // Every table's expired rows (sessions, consumed sign-in states, Connect attempts, the
    // inbox's processed deliveries past retention).
    if let Err(e) = ctx.storage.sweep(ctx.now(), window).await {
        tracing::warn!(error = %e, "could not purge expired rows");
    }
}

/// Polls the guide profile's executions that no webhook updated for a while.
async fn reconcile(ctx: &Context) {
    let cutoff = ctx.now() - ctx.config.upkeep.stale_after_secs;
    match ctx.storage.executions().stale(cutoff, STALE_BATCH).await {
        Ok(stale) => {
            for record in stale {
                if let Err(e) = refresh_execution(ctx, &record.connection_id, &record.execution_id).await {
                    tracing::info!(execution = %record.execution_id, error = %e, "reconciliation poll failed");
                    let _ = ctx.storage.executions().touch_polled(&record.execution_id, ctx.now()).await;
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not list stale executions"),
    }
}

/// Runs [`run_once`] forever on a tokio interval.
pub async fn run(ctx: Context) {
    let mut tick = tokio::time::interval(ctx.config.upkeep.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        run_once(&ctx).await;
    }
}
