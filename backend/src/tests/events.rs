//! Event bus: local delivery, per-connection filtering, and fan-out across replicas through
//! PostgreSQL `LISTEN/NOTIFY` (B4).

use std::time::Duration;

use autogpt::ids::{ExecutionId, GrantId, Provider};
use autogpt::types::ExecutionStatus;
use futures::StreamExt as _;
use serde_json::json;

use super::TestDb;
use crate::events::{AppEvent, EventBus};
use crate::storage::ConnectionId;

fn updated(n: u32) -> AppEvent {
    AppEvent::ExecutionUpdated {
        execution_id: ExecutionId::new(format!("x-{n}")),
        status: ExecutionStatus::Completed,
        outputs: Some(json!({"n": n})),
        error: None,
    }
}

async fn next(stream: &mut (impl futures::Stream<Item = AppEvent> + Unpin)) -> AppEvent {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event within 10 s")
        .expect("stream open")
}

#[tokio::test]
async fn sqlite_bus_delivers_locally_per_connection() {
    let db = TestDb::sqlite().await;
    let bus = EventBus::start(&db.storage).await.unwrap();
    let (alice, bob) = (ConnectionId::new("alice"), ConnectionId::new("bob"));
    let mut alice_events = bus.subscribe_connection(alice.clone());
    bus.publish(&bob, updated(1)).await.unwrap();
    bus.publish(&alice, updated(2)).await.unwrap();
    assert_eq!(next(&mut alice_events).await, updated(2), "bob's event is not alice's");
}

/// B4: publish on replica A reaches replica B and A itself, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_bus_fans_out_across_replicas() {
    let db = TestDb::postgres().await;
    let a = EventBus::start(&db.storage).await.unwrap();
    let b = EventBus::start(&db.replica().await).await.unwrap();
    // Random per test: other tests on the same database share the channel.
    let me = ConnectionId::new(format!("c-{}", rand::random::<u64>()));
    let mut on_a = a.subscribe_connection(me.clone());
    let mut on_b = b.subscribe_connection(me.clone());
    let revoked = AppEvent::GrantRevoked { grant_id: GrantId::new("g-1"), provider: Provider::new("google") };
    a.publish(&me, revoked.clone()).await.unwrap();
    a.publish(&me, updated(7)).await.unwrap();
    assert_eq!(next(&mut on_b).await, revoked);
    assert_eq!(next(&mut on_b).await, updated(7));
    assert_eq!(next(&mut on_a).await, revoked);
    assert_eq!(next(&mut on_a).await, updated(7), "own event once, not twice");
}

/// Payloads over PostgreSQL's NOTIFY limit travel without outputs instead of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_bus_drops_large_outputs() {
    let db = TestDb::postgres().await;
    let bus = EventBus::start(&db.storage).await.unwrap();
    let me = ConnectionId::new(format!("c-{}", rand::random::<u64>()));
    let mut events = bus.subscribe_connection(me.clone());
    let big = AppEvent::ExecutionUpdated {
        execution_id: ExecutionId::new("x-big"),
        status: ExecutionStatus::Completed,
        outputs: Some(json!({"text": "x".repeat(10_000)})),
        error: None,
    };
    bus.publish(&me, big).await.unwrap();
    let AppEvent::ExecutionUpdated { execution_id, outputs, .. } = next(&mut events).await else { panic!() };
    assert_eq!((execution_id.as_str(), outputs), ("x-big", None));
}
