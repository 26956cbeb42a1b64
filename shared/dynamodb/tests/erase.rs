//! Erasing tickets against the local DynamoDB (files in memory): a soft-deleted ticket with
//! messages, an attachment and history goes entirely, with its counts; what it removes is
//! recorded before anything goes, so an erasure interrupted at any step and run again ends in
//! the same items and reports the same; the purge finds deleted tickets by the time of their
//! delete, and only those.

use std::collections::BTreeSet;
use std::sync::Mutex;

use tickets_domain::history::audit_entries;
use tickets_domain::lifecycle::{erase_ticket, purge_deleted, purge_ticket};
use tickets_domain::service::{modify_ticket, post_message};
use tickets_domain::store::{
    AttachmentWriter, FileStore, HistoryStore, PresignedUpload, Removed, StoredObject,
    TicketEraser, TicketReader,
};
use tickets_domain::{
    Attachment, Caller, DomainError, NewMessage, NewUpload, Role, StoreError, TicketEdit,
    TicketPatch, Timestamp, UploadRules,
};
use tickets_dynamodb::testing::{all_items, assert_counters_exact, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;

/// The bucket as a set of keys.
#[derive(Default)]
struct Bucket(Mutex<BTreeSet<String>>);

impl FileStore for Bucket {
    async fn presign_upload(&self, _: &str, _: &Attachment) -> Result<PresignedUpload, StoreError> {
        unreachable!("no uploads here")
    }
    async fn presign_download(&self, _: &str, _: &Attachment) -> Result<String, StoreError> {
        unreachable!("no downloads here")
    }
    async fn inspect(&self, _: &str) -> Result<Option<StoredObject>, StoreError> {
        Ok(None)
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.lock().unwrap().remove(key);
        Ok(())
    }
}

fn admin() -> Caller {
    Caller::new("admin-1", Role::Admin)
}

/// A ticket of `client` with two more messages, a file, its history, then soft-deleted.
async fn deleted_ticket(store: &DynamoStore, files: &Bucket, client: &str) -> String {
    let ticket = seed_ticket(store, client, "Please forget me").await;
    let id = ticket.summary.id.clone();
    let agent = Caller::new("agent-1", Role::Agent);
    for text in ["Looking", "Still looking"] {
        let message = NewMessage {
            message: Some(text.into()),
            ..NewMessage::default()
        };
        post_message(store, &id, &agent, message).await.unwrap();
    }
    let patch: TicketPatch =
        serde_json::from_value(serde_json::json!({"priority": "urgent"})).unwrap();
    modify_ticket(store, &id, &agent, None, |t, now| {
        patch.apply(t, &agent, now)
    })
    .await
    .unwrap();
    let now = store.get_summary(&id).await.unwrap().unwrap();
    store
        .record_change(
            // A stream record's id: marks name the record, never the ticket.
            &tickets_domain::model::new_id(),
            &audit_entries(None, &now),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let upload = NewUpload {
        filename: Some("passport.png".into()),
        size: Some(2048),
        content_type: Some("image/png".into()),
    };
    let client = Caller::new(client, Role::Client);
    let attachment = upload
        .into_attachment(&now, 0, &client, &UploadRules::default())
        .unwrap();
    store
        .add_attachment(&attachment, &TicketEdit::check(&now))
        .await
        .unwrap();
    files
        .0
        .lock()
        .unwrap()
        .insert(format!("tickets/{id}/{}", attachment.id));
    modify_ticket(store, &id, &admin(), None, |t, now| {
        t.soft_deleted(&admin(), now).map(Some)
    })
    .await
    .unwrap();
    id
}

fn mentions(items: &[tickets_dynamodb::layout::Item], text: &str) -> usize {
    items
        .iter()
        .filter(|item| format!("{item:?}").contains(text))
        .count()
}

#[tokio::test]
async fn an_erased_ticket_leaves_no_item_file_history_or_count() {
    let (store, _) = fresh_store().await;
    let files = Bucket::default();
    let kept = seed_ticket(&store, "client-2", "Someone else's").await;
    let id = deleted_ticket(&store, &files, "client-1").await;
    assert!(mentions(&all_items(&store).await, &id) >= 6);

    let removed = erase_ticket(&store, &files, &id, None).await.unwrap();
    assert_eq!(
        removed,
        Removed {
            tickets: 1,
            messages: 3,
            attachments: 1,
            files: 1,
            history_entries: 1,
            ..Removed::default()
        }
    );
    assert_eq!(mentions(&all_items(&store).await, &id), 0);
    assert!(files.0.lock().unwrap().is_empty());
    assert!(store.get_summary(&kept.summary.id).await.unwrap().is_some());
    assert_counters_exact(&store).await;
    // Again: nothing left to do, nothing reported.
    assert_eq!(
        erase_ticket(&store, &files, &id, None).await.unwrap(),
        Removed::default()
    );
}

#[tokio::test]
async fn an_interrupted_erasure_resumed_ends_as_an_uninterrupted_one() {
    let (store, _) = fresh_store().await;
    let files = Bucket::default();
    let id = deleted_ticket(&store, &files, "client-1").await;
    // The first attempt recorded its plan and deleted the files, then stopped.
    let plan = store.plan_erasure(&id).await.unwrap().unwrap();
    for key in &plan.files {
        files.delete(key).await.unwrap();
    }
    // A second attempt plans the same, though the files are gone.
    let again = store.plan_erasure(&id).await.unwrap().unwrap();
    assert_eq!(again.removed, plan.removed);
    // It stops after the history went; a third finishes.
    store.forget_history(&id).await.unwrap();
    assert_eq!(
        erase_ticket(&store, &files, &id, None).await.unwrap(),
        plan.removed
    );
    assert_eq!(mentions(&all_items(&store).await, &id), 0);
    assert_counters_exact(&store).await;
}

#[tokio::test]
async fn only_deleted_tickets_are_purged_and_the_purge_goes_by_the_time_of_the_delete() {
    let (store, _) = fresh_store().await;
    let files = Bucket::default();
    let open = seed_ticket(&store, "client-1", "Still open").await;
    let refused = purge_ticket(&store, &files, &admin(), &open.summary.id).await;
    assert!(
        matches!(refused, Err(DomainError::Conflict(_))),
        "{refused:?}"
    );
    let agent = Caller::new("agent-1", Role::Agent);
    let forbidden = purge_ticket(&store, &files, &agent, &open.summary.id).await;
    assert!(matches!(forbidden, Err(DomainError::Forbidden(_))));

    let deleted = deleted_ticket(&store, &files, "client-1").await;
    let now = Timestamp::now();
    // Deleted just now: younger than 30 days, kept.
    let report = purge_deleted(&store, &files, now, 30).await.unwrap();
    assert!(report.erased.is_empty());
    assert!(store.get_summary(&deleted).await.unwrap().is_some());
    // Thirty-one days later it is erased; the open ticket is not.
    let later = Timestamp::from(now.as_datetime() + chrono::Duration::days(31));
    let report = purge_deleted(&store, &files, later, 30).await.unwrap();
    assert_eq!(report.erased, std::slice::from_ref(&deleted));
    assert_eq!(report.removed.tickets, 1);
    assert!(store.get_summary(&deleted).await.unwrap().is_none());
    assert!(store.get_summary(&open.summary.id).await.unwrap().is_some());
    assert_counters_exact(&store).await;
}
