//! The event bus: execution and grant changes, fanned out to every subscriber on every replica
//! (B4), for the per-session SSE stream.
//!
//! On SQLite (one process) a `tokio::sync::broadcast` channel is the whole bus. On PostgreSQL
//! publishing is ONLY a `pg_notify`, and each replica's `PgListener` task forwards what arrives
//! into its local broadcast: one path for local and remote events, so a replica delivers its
//! own events exactly once. Events are hints, not state: a subscriber that lags or misses one
//! (listener reconnecting) catches up by reading the database, which stays the source of truth.

use std::pin::Pin;
use std::sync::Arc;

use autogpt::ids::{ExecutionId, GrantId, Provider};
use autogpt::types::ExecutionStatus;
use futures::{Stream, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::BroadcastStream;

use crate::storage::{Backend, ConnectionId, Storage, StorageError};

/// PostgreSQL `NOTIFY` channel.
pub const CHANNEL: &str = "autogpt_events";
/// Events buffered per subscriber before it lags (and skips ahead).
const CAPACITY: usize = 256;
/// `NOTIFY` payloads must stay under 8000 bytes; bigger events travel without `outputs`.
const MAX_PAYLOAD: usize = 7_500;

/// Something the browser should learn about without polling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppEvent {
    /// An execution's status (or outputs) changed.
    ExecutionUpdated {
        /// Which execution.
        execution_id: ExecutionId,
        /// New status (lower-case).
        status: ExecutionStatus,
        /// Outputs, when known and small enough to travel (else re-read the execution).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outputs: Option<Value>,
        /// Error message, if failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A grant was revoked on the platform.
    GrantRevoked {
        /// Which grant.
        grant_id: GrantId,
        /// Its provider.
        provider: Provider,
    },
    /// A grant was added (Connect popup result confirmed).
    GrantAdded {
        /// Which grant.
        grant_id: GrantId,
        /// Its provider.
        provider: Provider,
    },
    /// The user signed out (in some session): every session of the connection has ended, so
    /// its open event streams end too.
    SignedOut,
}

/// An event addressed to one connection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BusEvent {
    /// Whose event it is (the SSE stream of that user's sessions delivers it).
    pub connection_id: ConnectionId,
    /// The event.
    pub event: AppEvent,
}

/// Publish/subscribe across the process (SQLite) or all replicas (PostgreSQL). Cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    tx: broadcast::Sender<BusEvent>,
    /// Set on PostgreSQL: publish through `pg_notify`.
    notify: Option<Storage>,
    listener: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = &self.listener {
            task.abort();
        }
    }
}

impl EventBus {
    /// An in-process bus (one replica).
    pub fn local() -> Self {
        Self { inner: Arc::new(Inner { tx: broadcast::channel(CAPACITY).0, notify: None, listener: None }) }
    }

    /// The bus for `storage`: local on SQLite; on PostgreSQL it returns once `LISTEN` is active,
    /// so nothing published afterwards (by any replica) is missed.
    pub async fn start(storage: &Storage) -> Result<Self, StorageError> {
        if storage.backend() == Backend::Sqlite {
            return Ok(Self::local());
        }
        let tx = broadcast::channel(CAPACITY).0;
        let mut listener = PgListener::connect(storage.url()).await?;
        listener.listen(CHANNEL).await?;
        let forward = tx.clone();
        let task = tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(n) => match serde_json::from_str::<BusEvent>(n.payload()) {
                        // No receivers is fine: nobody is watching right now.
                        Ok(event) => drop(forward.send(event)),
                        Err(e) => tracing::warn!(error = %e, "ignoring malformed event notification"),
                    },
                    Err(e) => {
                        // `recv` reconnects on the next call; back off so a database outage does
                        // not spin. Events in the gap are lost, which polling covers.
                        tracing::warn!(error = %e, "event listener lost its connection");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Self { inner: Arc::new(Inner { tx, notify: Some(storage.clone()), listener: Some(task) }) })
    }

    /// Publishes an event for a connection's subscribers on every replica.
    pub async fn publish(&self, connection_id: &ConnectionId, event: AppEvent) -> Result<(), StorageError> {
        let mut message = BusEvent { connection_id: connection_id.clone(), event };
        let Some(storage) = &self.inner.notify else {
            drop(self.inner.tx.send(message));
            return Ok(());
        };
        let mut payload = serde_json::to_string(&message).expect("events serialize");
        if payload.len() > MAX_PAYLOAD {
            if let AppEvent::ExecutionUpdated { outputs, error, .. } = &mut message.event {
                *outputs = None;
                *error = error.take().map(|e| e.chars().take(1_000).collect());
            }
            payload = serde_json::to_string(&message).expect("events serialize");
        }
        // `::text`: the `Any` driver cannot decode PostgreSQL's `void`.
        sqlx::query("SELECT pg_notify($1, $2)::text").bind(CHANNEL).bind(payload).execute(storage.pool()).await?;
        Ok(())
    }

    /// Every event for every connection, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.inner.tx.subscribe()
    }

    /// The events of one connection, from now on (for its SSE stream). A subscriber that falls
    /// behind skips what it missed rather than ending: the page reconciles by polling.
    pub fn subscribe_connection(&self, connection_id: ConnectionId) -> Pin<Box<dyn Stream<Item = AppEvent> + Send>> {
        BroadcastStream::new(self.subscribe())
            .filter_map(move |item| {
                let wanted = match item {
                    Ok(e) if e.connection_id == connection_id => Some(e.event),
                    _ => None,
                };
                std::future::ready(wanted)
            })
            .boxed()
    }
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus").field("postgres", &self.inner.notify.is_some()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_json_shape() {
        let e = BusEvent {
            connection_id: ConnectionId::new("c1"),
            event: AppEvent::GrantRevoked { grant_id: GrantId::new("g1"), provider: Provider::new("google") },
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"connection_id":"c1","event":{"type":"grant_revoked","grant_id":"g1","provider":"google"}}"#
        );
        assert_eq!(serde_json::from_str::<BusEvent>(&json).unwrap(), e);
    }
}
