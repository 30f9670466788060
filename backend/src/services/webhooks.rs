//! The webhook inbox (G12, B3): verify → deduplicate → store durably → acknowledge, then
//! process idempotently off the request path. Nothing acknowledged is ever lost: a failed
//! store answers 5xx so the platform retries (checklist 47–62), and a delivery whose
//! processing was interrupted is taken over by the upkeep sweep.

use autogpt::types::{ExecutionStatus, WebhookEnvelope, WebhookEvent};
use autogpt::webhook::WebhookRejection;
use axum::http::HeaderMap;
use futures::StreamExt as _;
use time::OffsetDateTime;

use super::agents::apply;
use crate::Context;
use crate::storage::{AfterFailure, InboxRecord, InsertOutcome, NewDelivery};

/// What the webhook route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// Stored now: 200, then processed.
    Accepted,
    /// Seen before: 200, no new side effect (checklist 57).
    Duplicate,
    /// Above the size cap: 413 (checklist 54).
    TooLarge,
    /// Any verification failure: 401 with one fixed body (checklist 47, 48, 52, 55, 62).
    Rejected,
    /// Could not store it: 503 so the platform retries (checklist 61).
    Unavailable,
}

/// Verifies and stores one delivery, then starts its processing in the background: the
/// caller answers with the receipt right away (checklist 60).
pub async fn receive(ctx: &Context, headers: &HeaderMap, body: &[u8]) -> Receipt {
    let now = OffsetDateTime::from_unix_timestamp(ctx.now()).unwrap_or_else(|_| OffsetDateTime::now_utc());
    let verified = match ctx.webhooks.verify(body, headers, now) {
        Ok(v) => v,
        Err(WebhookRejection::TooLarge) => return Receipt::TooLarge,
        Err(rejection) => {
            tracing::info!(reason = rejection.log_reason(), "webhook rejected");
            return Receipt::Rejected;
        }
    };
    let (name, subject) = describe(&verified.event);
    let delivery = NewDelivery {
        key: verified.idempotency_key.as_str().to_owned(),
        event: name,
        subject_id: subject,
        // Verified bytes are JSON, hence UTF-8.
        body: String::from_utf8_lossy(body).into_owned(),
        received_at: ctx.now(),
        settled: false,
    };
    // Group commit: answered once the transaction holding it committed; processed afterwards
    // by `process_stored` (or the sweep).
    match ctx.intake.store(delivery).await {
        Ok(InsertOutcome::Inserted) => Receipt::Accepted,
        Ok(InsertOutcome::Duplicate) => Receipt::Duplicate,
        Err(e) => {
            tracing::error!(error = %e, "could not store a webhook; answering 503 so it is retried");
            Receipt::Unavailable
        }
    }
}

fn describe(event: &WebhookEvent) -> (String, Option<String>) {
    match event {
        WebhookEvent::ExecutionStarted { execution_id, .. } => {
            ("execution.started".into(), Some(execution_id.as_str().into()))
        }
        WebhookEvent::ExecutionCompleted { execution_id, .. } => {
            ("execution.completed".into(), Some(execution_id.as_str().into()))
        }
        WebhookEvent::ExecutionFailed { execution_id, .. } => {
            ("execution.failed".into(), Some(execution_id.as_str().into()))
        }
        WebhookEvent::GrantRevoked { grant_id, .. } => ("grant.revoked".into(), Some(grant_id.as_str().into())),
        WebhookEvent::Unknown { event, .. } => (event.clone(), None),
    }
}

/// Reads a stored delivery's body back into its event, exactly as the verifier read it
/// (`fuzz/`'s `webhook_inbox` target checks it reads every body the verifier accepted).
/// `Ok(None)` for a known event with malformed data: kept in the inbox, nothing to apply.
pub fn decode_stored(body: &str) -> Result<Option<WebhookEvent>, String> {
    // Straight into the envelope, as `WebhookVerifier::verify` does: going through a `Value`
    // first would also decode the fields the envelope ignores, and refuse (after the 200) a
    // verified body with a lone surrogate such as `"\udb5b"` in one of them.
    let envelope: WebhookEnvelope = serde_json::from_str(body).map_err(|e| e.to_string())?;
    Ok(envelope.into_event().ok())
}

/// Applies one stored delivery. Idempotent: the storage refuses backward moves.
async fn process(ctx: &Context, record: &InboxRecord) -> Result<(), String> {
    let Some(event) = decode_stored(&record.body)? else { return Ok(()) };
    let result = match event {
        WebhookEvent::ExecutionStarted { execution_id, .. } => {
            apply(ctx, &execution_id, &ExecutionStatus::Running, None, None).await
        }
        WebhookEvent::ExecutionCompleted { execution_id, outputs, .. } => {
            apply(ctx, &execution_id, &ExecutionStatus::Completed, Some(&outputs), None).await
        }
        WebhookEvent::ExecutionFailed { execution_id, error, .. } => {
            apply(ctx, &execution_id, &ExecutionStatus::Failed, None, error.as_deref()).await
        }
        WebhookEvent::GrantRevoked { grant_id, .. } => super::connect::revoke(ctx, &grant_id).await,
        // Checklist 59: acknowledged, kept, ignored.
        WebhookEvent::Unknown { .. } => Ok(()),
    };
    result.map_err(|e| e.to_string())
}

/// How long a processor holds a delivery. Processing is a few database writes (no platform
/// call), so this is ample; a delivery held by a crashed replica is taken over once it ends,
/// and a restarted instance releases its previous incarnation's leases at once
/// ([`recover`]).
pub(crate) const LEASE_SECS: i64 = 30;
/// Deliveries processed at once on PostgreSQL (under its pool of ten connections, which
/// requests and the intake share).
const PG_CONCURRENCY: usize = 6;
/// Attempts before a delivery is given up for good (kept, marked dead, counted in metrics).
pub const MAX_ATTEMPTS: i64 = 10;
/// How many due deliveries one sweep takes at a time.
const SWEEP_BATCH: i64 = 500;

/// When to try again after `attempts` failures: 5 s doubling, at most an hour.
fn backoff_secs(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(0, 10)).unwrap_or(10);
    (5_i64 << exponent).min(3_600)
}

/// Processes the batches of freshly stored deliveries the intake hands over, one at a time,
/// until the services are gone.
pub(crate) async fn process_stored(
    ctx: std::sync::Weak<crate::context::Inner>,
    mut batches: tokio::sync::mpsc::Receiver<crate::intake::Handover>,
    backlog: std::sync::Arc<tokio::sync::Notify>,
) {
    loop {
        tokio::select! {
            // The permit is released when the batch is done with.
            batch = batches.recv() => {
                let Some((records, _permit)) = batch else { return };
                let Some(ctx) = Context::from_weak(&ctx) else { return };
                // Stored claimed by this instance, and only if about runs of ours (`intake`
                // looked them up): no claim statement, no second lookup.
                process_claimed(&ctx, records, &Ours::Checked).await;
            }
            // What the intake could not hand over is due in the inbox: taken now, not at the
            // next upkeep tick.
            () = backlog.notified() => {
                let Some(ctx) = Context::from_weak(&ctx) else { return };
                sweep(&ctx).await;
            }
        }
    }
}

/// True for a delivery with nothing to apply: an execution event about a run that is not
/// ours (not in `ours`, the known subset of the batch's executions).
pub(crate) fn foreign(event: &str, subject: Option<&str>, ours: &std::collections::HashSet<String>) -> bool {
    event.starts_with("execution.") && subject.is_some_and(|id| !ours.contains(id))
}

/// Processes due deliveries (the sweep's), except those another processor (a replica's
/// sweep) holds: one statement claims them all, then [`process_claimed`]. The bodies come with
/// the records, so the claim reads none back. Returns how many it took.
async fn process_records(ctx: &Context, records: Vec<InboxRecord>) -> usize {
    let inbox = ctx.storage.inbox();
    let keys: Vec<String> = records.iter().map(|r| r.idempotency_key.clone()).collect();
    let attempts: std::collections::HashMap<String, i64> =
        match inbox.claim_many(&ctx.instance, &keys, ctx.now(), LEASE_SECS).await {
            Ok(claimed) => claimed.into_iter().collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not claim webhook deliveries");
                return 0;
            }
        };
    let claimed: Vec<InboxRecord> = records
        .into_iter()
        .filter_map(|mut r| {
            r.attempts = *attempts.get(&r.idempotency_key)?;
            Some(r)
        })
        .collect();
    let ours = Ours::Known(known_subjects(ctx, &claimed).await);
    process_claimed(ctx, claimed, &ours).await
}

/// Which claimed deliveries are about runs of ours.
enum Ours {
    /// The intake checked already (it stores the others processed). If its lookup failed,
    /// applying a foreign one finds no run and changes nothing.
    Checked,
    /// These executions are ours; execution events about any other are skipped.
    Known(std::collections::HashSet<String>),
}

/// An execution event about a run that is not ours changes nothing: found in one query and
/// marked processed with the rest, instead of one lookup each.
async fn known_subjects(ctx: &Context, claimed: &[InboxRecord]) -> std::collections::HashSet<String> {
    let subjects: Vec<&str> =
        claimed.iter().filter(|r| r.event.starts_with("execution.")).filter_map(|r| r.subject_id.as_deref()).collect();
    if subjects.is_empty() {
        return Default::default();
    }
    match ctx.storage.executions().known(&subjects).await {
        Ok(ours) => ours,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the executions; processing one by one");
            subjects.iter().map(|s| (*s).to_owned()).collect()
        }
    }
}

/// Processes deliveries this instance holds; one statement marks them all processed, so
/// processing keeps up with the group-committed intake. Returns how many.
async fn process_claimed(ctx: &Context, claimed: Vec<InboxRecord>, ours: &Ours) -> usize {
    let inbox = ctx.storage.inbox();
    // Several at a time on PostgreSQL, where each is a few round trips; one at a time on
    // SQLite, whose single writer would only make the others wait. Order does not matter:
    // the storage refuses backward moves, so a `started` after a `completed` changes nothing.
    let concurrency = match ctx.storage.backend() {
        crate::storage::Backend::Sqlite => 1,
        crate::storage::Backend::Postgres => PG_CONCURRENCY,
    };
    // (Futures made up front by a named `async fn`: lazy, so at most `concurrency` run.)
    let each: Vec<_> = claimed.iter().map(|record| complete(ctx, record, ours)).collect();
    let done: Vec<String> =
        futures::stream::iter(each).buffer_unordered(concurrency).filter_map(std::future::ready).collect().await;
    // A crash before this line leaves them claimed: taken back at the restart, processed
    // again (processing is idempotent), as for one delivery.
    if let Err(e) = inbox.mark_processed_many(&done, ctx.now()).await {
        tracing::warn!(error = %e, "could not mark webhooks processed");
    }
    claimed.len()
}

/// A claimed delivery's key once it needs nothing more: nothing to apply, or applied.
async fn complete(ctx: &Context, record: &InboxRecord, ours: &Ours) -> Option<String> {
    let skip = match ours {
        Ours::Checked => false,
        Ours::Known(ours) => foreign(&record.event, record.subject_id.as_deref(), ours),
    };
    let done = skip || finish(ctx, record).await;
    done.then(|| record.idempotency_key.clone())
}

/// Processes a claimed delivery: true when it succeeded (the caller marks it processed); a
/// failure is recorded here (which releases the claim).
async fn finish(ctx: &Context, record: &InboxRecord) -> bool {
    match process(ctx, record).await {
        Ok(()) => true,
        Err(e) => {
            let now = ctx.now();
            let failures = record.attempts + 1;
            let after = if failures >= MAX_ATTEMPTS {
                tracing::error!(error = %e, event = %record.event, failures, "webhook processing given up");
                AfterFailure::GiveUp(now)
            } else {
                tracing::warn!(error = %e, event = %record.event, failures, "webhook processing failed; will retry");
                AfterFailure::RetryAt(now + backoff_secs(record.attempts))
            };
            if let Err(e) = ctx.storage.inbox().mark_failed(&record.idempotency_key, &e, after).await {
                tracing::warn!(error = %e, "could not record a failed webhook attempt");
            }
            false
        }
    }
}

/// At start-up: releases what this instance's previous incarnation held when it died, so
/// those acknowledged deliveries are processed by the first sweep, not after their lease.
pub async fn recover(ctx: &Context) {
    match ctx.storage.inbox().release_leases_of(&ctx.instance).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(released = n, "took back webhook deliveries held before a restart"),
        Err(e) => tracing::warn!(error = %e, "could not release old webhook leases"),
    }
}

/// Retries due deliveries (after a crash or a failed attempt), most overdue first. (Upkeep
/// purges processed ones older than twice the freshness window: [`crate::Storage::sweep`],
/// checklist 58.)
pub async fn sweep(ctx: &Context) {
    // Until nothing is due: after a crash thousands may wait, and they must not wait one
    // batch per upkeep tick.
    loop {
        let records = match ctx.storage.inbox().due(ctx.now(), SWEEP_BATCH).await {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!(error = %e, "could not list due webhook deliveries");
                return;
            }
        };
        let full = records.len() == usize::try_from(SWEEP_BATCH).unwrap_or(usize::MAX);
        // Claimed together; a delivery another replica took meanwhile is skipped.
        let progressed = process_records(ctx, records).await > 0;
        if !full || !progressed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use autogpt::secret::WebhookSecret;
    use autogpt::types::WebhookEvent;
    use autogpt::webhook::{SIGNATURE_HEADER, WebhookVerifier, sign_raw};
    use axum::http::{HeaderMap, HeaderValue};
    use time::OffsetDateTime;

    use super::{backoff_secs, decode_stored};

    /// Found by `fuzz/`'s `webhook_inbox` target (minimized below): the verifier reads the
    /// body straight into the envelope, skipping unknown fields without decoding them, so it
    /// accepted a lone surrogate there; the inbox read the stored body as a `Value` first,
    /// which refuses it — a delivery acknowledged with 200 could then never be processed.
    #[test]
    fn fuzz_verified_body_with_lone_surrogate_in_unknown_field_is_processed() {
        let minimized = r#"{"event":"","timestamp":"2025-002T0305","":{"":{"":[{"": "\udb5b"}]}}}"#;
        let readable =
            r#"{"event":"grant.revoked","timestamp":"2025-01-02T03:04:05Z","data":{"grant_id":"g-1"},"note":"\ud800"}"#;
        let secret = WebhookSecret::new("whsec_test");
        let now = OffsetDateTime::from_unix_timestamp(1_735_787_045).unwrap();
        for body in [minimized, readable] {
            let mut headers = HeaderMap::new();
            headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(&sign_raw(&secret, body.as_bytes())).unwrap());
            let verified = WebhookVerifier::new(vec![secret.clone()]).verify(body.as_bytes(), &headers, now).unwrap();
            assert_eq!(decode_stored(body), Ok(Some(verified.event)), "{body}");
        }
        assert!(matches!(decode_stored(readable), Ok(Some(WebhookEvent::GrantRevoked { .. }))));
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff_secs(0), 5);
        assert_eq!(backoff_secs(1), 10);
        assert_eq!(backoff_secs(5), 160);
        assert_eq!(backoff_secs(9), 2_560);
        assert_eq!(backoff_secs(10), 3_600);
        assert_eq!(backoff_secs(i64::MAX), 3_600);
    }
}
