//! Group commit for the webhook inbox (issue 14 item 3): one writer task stores the
//! deliveries that arrive while a commit is in flight together, in one transaction, and answers
//! each request only after the transaction holding it committed. Many concurrent deliveries
//! share a commit (one `fsync` on SQLite with `synchronous=FULL`, one commit round trip on
//! PostgreSQL) instead of queueing for the database's single writer one by one. Nothing changes
//! for a caller: `Ok` still means durable, `Err` still means "answer 5xx, the sender retries".
//!
//! The stored deliveries are handed to one processing task in batches, off the request path;
//! if it falls behind, they wait in the inbox for the upkeep sweep (they are durable already).

use std::sync::Arc;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::services::webhooks::{LEASE_SECS, foreign};
use crate::storage::{Holder, InboxRecord, InsertOutcome, NewDelivery, Storage, StorageError};

/// Deliveries one transaction takes at most.
const MAX_BATCH: usize = 512;
/// Requests that may wait for the writer (beyond, senders wait: back-pressure).
const QUEUE: usize = 8_192;
/// Body bytes handed to the processor and not processed yet, at most: a batch beyond this
/// waits in the inbox for the sweep instead, so a backlog of large bodies cannot grow memory.
const HANDED_OVER_BYTES: usize = 16 << 20;

/// Stored deliveries on their way to the processor, with the share of [`HANDED_OVER_BYTES`]
/// they hold until processed (dropped with the batch).
pub type Handover = (Vec<InboxRecord>, OwnedSemaphorePermit);

type Reply = oneshot::Sender<Result<InsertOutcome, String>>;

/// The writer's handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Intake {
    tx: mpsc::Sender<(NewDelivery, Reply)>,
    backlog: Arc<Notify>,
}

/// A store that did not commit.
#[derive(Debug, thiserror::Error)]
#[error("could not store the delivery: {0}")]
pub struct IntakeError(String);

impl Intake {
    /// Starts the writer on `storage` for instance `owner`; committed new deliveries that need
    /// processing go to `stored`, held by `owner`.
    pub fn start(storage: Storage, owner: String, stored: mpsc::Sender<Handover>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let backlog = Arc::new(Notify::new());
        let budget = Arc::new(Semaphore::new(HANDED_OVER_BYTES));
        let writer = Writer { storage, owner, stored, budget, backlog: Arc::clone(&backlog) };
        tokio::spawn(writer.run(rx));
        Self { tx, backlog }
    }

    /// Notified when stored deliveries were left in the inbox (the processor's queue or byte
    /// budget was full): the processor sweeps then, instead of leaving them for the next
    /// upkeep tick. A notification while nobody waits is kept for the next wait.
    pub fn backlog(&self) -> Arc<Notify> {
        Arc::clone(&self.backlog)
    }

    /// Stores one delivery; returns once the transaction holding it committed.
    pub async fn store(&self, delivery: NewDelivery) -> Result<InsertOutcome, IntakeError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((delivery, reply)).await.map_err(|_| IntakeError("the writer stopped".into()))?;
        answer.await.map_err(|_| IntakeError("the writer stopped".into()))?.map_err(IntakeError)
    }
}

struct Writer {
    storage: Storage,
    owner: String,
    stored: mpsc::Sender<Handover>,
    budget: Arc<Semaphore>,
    backlog: Arc<Notify>,
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<(NewDelivery, Reply)>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        // `recv_many` waits for the first request, then takes whatever else is queued: what
        // arrived during the previous commit rides in this one.
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let (mut deliveries, replies): (Vec<NewDelivery>, Vec<Reply>) = batch.drain(..).unzip();
            self.settle(&mut deliveries).await;
            let holder = Holder { owner: &self.owner, lease_secs: LEASE_SECS };
            match self.storage.inbox().insert_batch(&deliveries, Some(holder)).await {
                Ok(outcomes) => {
                    // Handed over with their bodies, already claimed: the processor reads
                    // nothing back and claims nothing.
                    let inserted: Vec<InboxRecord> = deliveries
                        .into_iter()
                        .zip(&outcomes)
                        .filter(|(d, o)| **o == InsertOutcome::Inserted && !d.settled)
                        .map(|(d, _)| fresh(d))
                        .collect();
                    for (reply, outcome) in replies.into_iter().zip(outcomes) {
                        let _ = reply.send(Ok(outcome));
                    }
                    if !inserted.is_empty() {
                        self.hand_over(inserted).await;
                    }
                }
                Err(e) => fail(replies, &e),
            }
        }
    }

    /// Marks the deliveries with nothing to apply (events about runs that are not ours, found
    /// in one query), so they are stored processed instead of claimed, processed and marked.
    /// If the lookup fails, none is settled: the processor decides, as for the sweep's.
    async fn settle(&self, deliveries: &mut [NewDelivery]) {
        let subjects: Vec<&str> = deliveries
            .iter()
            .filter(|d| d.event.starts_with("execution."))
            .filter_map(|d| d.subject_id.as_deref())
            .collect();
        if subjects.is_empty() {
            return;
        }
        match self.storage.executions().known(&subjects).await {
            Ok(ours) => {
                for d in deliveries {
                    d.settled = foreign(&d.event, d.subject_id.as_deref(), &ours);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read the executions; the processor will decide"),
        }
    }

    /// Passes a stored batch to the processor if the queue and the byte budget have room;
    /// otherwise releases its claim, so the sweep processes it (it is durable).
    async fn hand_over(&self, batch: Vec<InboxRecord>) {
        let bytes: usize = batch.iter().map(|r| r.body.len()).sum();
        let permit = u32::try_from(bytes.max(1)).ok().and_then(|n| self.budget.clone().try_acquire_many_owned(n).ok());
        let batch = match permit {
            Some(permit) => match self.stored.try_send((batch, permit)) {
                Ok(()) => return,
                Err(refused) => refused.into_inner().0,
            },
            None => batch,
        };
        tracing::debug!(deliveries = batch.len(), "webhook processing queue full; the sweep will process them");
        let keys: Vec<String> = batch.into_iter().map(|r| r.idempotency_key).collect();
        if let Err(e) = self.storage.inbox().release_many(&self.owner, &keys).await {
            // Their lease runs out instead.
            tracing::warn!(error = %e, "could not release webhook deliveries for the sweep");
        }
        self.backlog.notify_one();
    }
}

/// A just-stored delivery as the inbox now holds it.
fn fresh(d: NewDelivery) -> InboxRecord {
    InboxRecord {
        idempotency_key: d.key,
        event: d.event,
        subject_id: d.subject_id,
        body: d.body,
        received_at: d.received_at,
        processed_at: None,
        attempts: 0,
        last_error: None,
        next_attempt_at: 0,
        dead_at: None,
    }
}

fn fail(replies: Vec<Reply>, e: &StorageError) {
    tracing::error!(error = %e, deliveries = replies.len(), "could not store webhooks; answering 503 so they are retried");
    for reply in replies {
        let _ = reply.send(Err(e.to_string()));
    }
}
