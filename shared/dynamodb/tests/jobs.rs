//! A client's erasure against the local DynamoDB (files, queue and bus in memory), step by step
//! as `run-data-jobs` runs it: the client's tickets (more than one step's worth, a deleted one
//! among them), their history and files, their idempotency records and counter item go; another
//! client's data stays; the counts agree with a recount. Then the same erasure with a quarter of
//! the storage requests failing (dropped, errors, throttles), each failed step run again as the
//! queue would: it ends in the same state and reports the same counts.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::json;
use tickets_domain::doubles::{MemoryBus, MemoryQueue};
use tickets_domain::history::audit_entries;
use tickets_domain::idempotency::IdempotencyKey;
use tickets_domain::lifecycle::{erasure_step, start_erasure, Step, ERASURE_STEP};
use tickets_domain::service::{modify_ticket, post_message};
use tickets_domain::store::{
    ArchivePart, ArchiveStore, Contact, ContactSource, ContactStore, ErasureJobs, FileStore,
    HistoryStore, IdempotencyStore, JobStatus, PresignedUpload, Removed, StoredObject,
    TicketReader,
};
use tickets_domain::{Attachment, Caller, NewMessage, Role, StoreError, Timestamp};
use tickets_dynamodb::testing::{
    all_items, assert_counters_exact, fresh_store, fresh_store_behind, local_client, seed_ticket,
    FaultProxy,
};
use tickets_dynamodb::DynamoStore;

#[derive(Default)]
struct Bucket(Mutex<BTreeSet<String>>);

impl FileStore for Bucket {
    async fn presign_upload(&self, _: &str, _: &Attachment) -> Result<PresignedUpload, StoreError> {
        unreachable!()
    }
    async fn presign_download(&self, _: &str, _: &Attachment) -> Result<String, StoreError> {
        unreachable!()
    }
    async fn inspect(&self, _: &str) -> Result<Option<StoredObject>, StoreError> {
        Ok(None)
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.lock().unwrap().remove(key);
        Ok(())
    }
}

/// What an erasure asks of the archives: deleting the client's (none here).
impl ArchiveStore for Bucket {
    async fn start_upload(&self, _: &str) -> Result<String, StoreError> {
        unreachable!()
    }
    async fn upload_part(
        &self,
        _: &str,
        _: &str,
        _: u32,
        _: Vec<u8>,
    ) -> Result<String, StoreError> {
        unreachable!()
    }
    async fn complete_upload(&self, _: &str, _: &str, _: &[ArchivePart]) -> Result<(), StoreError> {
        unreachable!()
    }
    async fn put(&self, _: &str, _: Vec<u8>) -> Result<(), StoreError> {
        unreachable!()
    }
    async fn read(&self, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
        unreachable!()
    }
    async fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.delete(key).await
    }
    async fn delete_under(&self, prefix: &str) -> Result<u64, StoreError> {
        let mut keys = self.0.lock().unwrap();
        let before = keys.len();
        keys.retain(|key| !key.starts_with(prefix));
        Ok((before - keys.len()) as u64)
    }
    async fn presign_archive(&self, _: &str, _: &str) -> Result<(String, Timestamp), StoreError> {
        unreachable!()
    }
}

const CLIENT: &str = "client-erased";
const OTHER: &str = "client-kept";

/// `ERASURE_STEP + 5` tickets of the client, two with an agent's message, one deleted, one
/// with history; an idempotency record of theirs; two tickets of another client.
async fn desk(store: &DynamoStore) -> Vec<String> {
    let agent = Caller::new("agent-1", Role::Agent);
    let admin = Caller::new("admin-1", Role::Admin);
    let mut ids = Vec::new();
    for n in 0..ERASURE_STEP + 5 {
        ids.push(
            seed_ticket(store, CLIENT, &format!("Mine {n}"))
                .await
                .summary
                .id,
        );
    }
    for id in &ids[..2] {
        let message = NewMessage {
            message: Some("secret-erase-text".into()),
            ..NewMessage::default()
        };
        post_message(store, id, &agent, message).await.unwrap();
    }
    modify_ticket(store, &ids[2], &admin, None, |t, now| {
        t.soft_deleted(&admin, now).map(Some)
    })
    .await
    .unwrap();
    let ticket = store.get_summary(&ids[3]).await.unwrap().unwrap();
    store
        .record_change(
            &tickets_domain::model::new_id(),
            &audit_entries(None, &ticket),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let key = IdempotencyKey::of_caller(&Caller::new(CLIENT, Role::Client), "retry-1");
    store
        .remember(&key.record(
            "fingerprint",
            "{\"client\":\"client-erased\"}",
            Timestamp::now(),
        ))
        .await
        .unwrap();
    let address = |principal: &str, address: &str| Contact {
        principal: principal.into(),
        address: address.into(),
        source: ContactSource::Email,
        notifications: true,
        staff: false,
        created_at: Timestamp::now(),
        former: Vec::new(),
    };
    store
        .remember_contact(&address(CLIENT, "erase-me@example.com"))
        .await
        .unwrap();
    store
        .remember_contact(&address(OTHER, "keep-me@example.com"))
        .await
        .unwrap();
    for n in 0..2 {
        seed_ticket(store, OTHER, &format!("Theirs {n}")).await;
    }
    ids
}

/// Runs the job's steps as the queue would, each failed step again; the steps it took.
async fn run(
    store: &DynamoStore,
    files: &Bucket,
    queue: &MemoryQueue,
    bus: &MemoryBus,
    job: &str,
) -> u32 {
    let mut steps = 0;
    loop {
        steps += 1;
        assert!(steps < 500, "the erasure never ended");
        match erasure_step(store, files, queue, bus, job, Timestamp::now()).await {
            Ok(Step::Finished(_)) => return steps,
            Ok(Step::Continued) | Ok(Step::Idle) | Err(_) => continue,
        }
    }
}

fn mentioning(items: &[tickets_dynamodb::layout::Item], text: &str) -> usize {
    items
        .iter()
        .filter(|item| format!("{item:?}").contains(text))
        .count()
}

async fn erase(store: &DynamoStore) -> Removed {
    let (files, queue, bus) = (
        Bucket::default(),
        MemoryQueue::default(),
        MemoryBus::default(),
    );
    let admin = Caller::new("admin-1", Role::Admin);
    let job = loop {
        match start_erasure(store, &queue, &admin, CLIENT, Timestamp::now()).await {
            Ok(job) => break job,
            Err(_) => continue,
        }
    };
    run(store, &files, &queue, &bus, &job.id).await;
    let ended = loop {
        if let Ok(Some(job)) = store.job(&job.id).await {
            break job;
        }
    };
    assert_eq!(ended.status, JobStatus::Done);
    assert_eq!(ended.client, None, "the client's id is not kept");
    let announced = bus.events();
    assert!(!announced.is_empty(), "the erasure was announced");
    assert_eq!(announced[0].detail_type, "SupportClient.Erased");
    assert!(!announced[0].detail.to_string().contains(CLIENT));
    ended.removed
}

async fn assert_erased(clean: &DynamoStore) {
    let items = all_items(clean).await;
    assert_eq!(mentioning(&items, CLIENT), 0);
    assert_eq!(mentioning(&items, "secret-erase-text"), 0);
    assert_eq!(mentioning(&items, "erase-me@example.com"), 0);
    assert_eq!(
        mentioning(&items, OTHER),
        2 * 3 + 1 + 2,
        "the other client's tickets, messages, counter and contact stay"
    );
    assert_counters_exact(clean).await;
}

fn expected() -> Removed {
    let tickets = u64::from(ERASURE_STEP + 5);
    Removed {
        tickets,
        messages: tickets + 2,
        history_entries: 1,
        idempotency_records: 1,
        contacts: 1,
        ..Removed::default()
    }
}

#[tokio::test]
async fn a_client_is_erased_step_by_step() {
    let (store, _) = fresh_store().await;
    desk(&store).await;
    assert_eq!(erase(&store).await, expected());
    assert_erased(&store).await;
    // Erasing again finds nothing.
    assert_eq!(erase(&store).await, Removed::default());
}

#[tokio::test]
async fn an_erasure_that_keeps_failing_midway_ends_as_an_uninterrupted_one() {
    let proxy = FaultProxy::start();
    let (faulty, _) = fresh_store_behind(&proxy).await;
    let clean = DynamoStore::new(local_client(Default::default()), faulty.table());
    desk(&clean).await;
    proxy.configure(json!({"rate": 0.25, "kinds": ["drop", "error", "throttle"], "seed": 7}));
    let removed = erase(&faulty).await;
    let report = proxy.report();
    proxy.configure(json!({"rate": 0.0}));
    eprintln!("faults: {report}");
    assert!(
        report["injected"].as_object().is_some_and(|kinds| kinds
            .values()
            .filter_map(|n| n.as_u64())
            .sum::<u64>()
            >= 20),
        "{report}"
    );
    assert_eq!(removed, expected());
    assert_erased(&clean).await;
}
