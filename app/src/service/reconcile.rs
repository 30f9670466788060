//! Background upkeep: executions left queued/running are polled, so a lost
//! webhook costs only latency (checklist 64); the inbox is swept; expired
//! transactions, attempts and sessions are purged.

use std::time::Duration;

use super::AppContext;
use super::agents::refresh_execution;

/// How often the loop runs and when an execution counts as stale.
#[derive(Clone, Copy, Debug)]
pub struct ReconcileSettings {
    /// Loop period.
    pub every: Duration,
    /// An execution not updated for this long is polled.
    pub stale_after_secs: i64,
    /// Webhook freshness window (inbox retention is derived from it).
    pub freshness_window_secs: i64,
}

/// One pass: poll stale executions, sweep the inbox, purge expired rows.
pub async fn run_once(ctx: &AppContext, settings: ReconcileSettings) {
    let cutoff = ctx.now() - settings.stale_after_secs;
    match ctx.storage.executions().stale(cutoff, 50).await {
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
    super::webhooks::sweep(ctx, settings.freshness_window_secs).await;
    let now = ctx.now();
    let _ = ctx.storage.transactions().purge_expired(now).await;
    let _ = ctx.storage.attempts().purge_expired(now).await;
    let _ = ctx.storage.sessions().delete_expired_at(now).await;
}

/// Runs [`run_once`] forever on a tokio interval.
pub async fn run(ctx: AppContext, settings: ReconcileSettings) {
    let mut tick = tokio::time::interval(settings.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        run_once(&ctx, settings).await;
    }
}
