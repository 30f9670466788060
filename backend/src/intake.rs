//! Group commit for the webhook inbox (issue 14 item 3): one writer task stores the
//! deliveries that arrive while a commit is in flight together, in one transaction, and answers
//! each request only after the transaction holding it committed. Many concurrent deliveries
//! share a commit (one `fsync` on SQLite with `synchronous=FULL`, one commit round trip on
//! PostgreSQL) instead of queueing for the database's single writer one by one. Nothing changes
//! for a caller: `Ok` still means durable, `Err` still means "answer 5xx, the sender retries".
//!
//! The stored deliveries are handed to one processing task in batches, off the request path;
//! if it falls behind, they wait in the inbox for the upkeep sweep (they are durable already).

use tokio::sync::{mpsc, oneshot};

use crate::storage::{InsertOutcome, NewDelivery, Storage, StorageError};

/// Deliveries one transaction takes at most.
const MAX_BATCH: usize = 512;
/// Requests that may wait for the writer (beyond, senders wait: back-pressure).
const QUEUE: usize = 8_192;

type Reply = oneshot::Sender<Result<InsertOutcome, String>>;

/// The writer's handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Intake {
    tx: mpsc::Sender<(NewDelivery, Reply)>,
}

/// A store that did not commit.
#[derive(Debug, thiserror::Error)]
#[error("could not store the delivery: {0}")]
pub struct IntakeError(String);

impl Intake {
    /// Starts the writer on `storage`; committed new deliveries' keys go to `processed`.
    pub fn start(storage: Storage, stored: mpsc::Sender<Vec<String>>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write(storage, rx, stored));
        Self { tx }
    }

    /// Stores one delivery; returns once the transaction holding it committed.
    pub async fn store(&self, delivery: NewDelivery) -> Result<InsertOutcome, IntakeError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((delivery, reply)).await.map_err(|_| IntakeError("the writer stopped".into()))?;
        answer.await.map_err(|_| IntakeError("the writer stopped".into()))?.map_err(IntakeError)
    }
}

async fn write(storage: Storage, mut rx: mpsc::Receiver<(NewDelivery, Reply)>, stored: mpsc::Sender<Vec<String>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // `recv_many` waits for the first request, then takes whatever else is queued: what
    // arrived during the previous commit rides in this one.
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (deliveries, replies): (Vec<NewDelivery>, Vec<Reply>) = batch.drain(..).unzip();
        match storage.inbox().insert_batch(&deliveries).await {
            Ok(outcomes) => {
                let inserted: Vec<String> = deliveries
                    .into_iter()
                    .zip(&outcomes)
                    .filter(|(_, o)| **o == InsertOutcome::Inserted)
                    .map(|(d, _)| d.key)
                    .collect();
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
                // Full: the sweep takes them over (they are durable).
                if !inserted.is_empty() && stored.try_send(inserted).is_err() {
                    tracing::debug!("webhook processing queue full; the sweep will process the rest");
                }
            }
            Err(e) => fail(replies, &e),
        }
    }
}

fn fail(replies: Vec<Reply>, e: &StorageError) {
    tracing::error!(error = %e, deliveries = replies.len(), "could not store webhooks; answering 503 so they are retried");
    for reply in replies {
        let _ = reply.send(Err(e.to_string()));
    }
}
