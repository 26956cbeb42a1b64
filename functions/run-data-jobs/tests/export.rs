//! A client's export as `run-data-jobs` runs it, against the local DynamoDB and S3: more
//! tickets than one step takes, an internal note, history, a soft-deleted ticket, another
//! client's ticket, and a file bigger than a part. The archive is read back as any tar and
//! gzip reader reads it: the client's own export holds no internal note and no history; an
//! admin's holds both and the deleted ticket (its files not: nobody sees a deleted ticket's
//! files until it is restored); both hold the file byte for byte and nothing of the other
//! client. Then the same export with a quarter of the table's requests failing (dropped,
//! refused, throttled, or stored with the answer lost), each failed step run again as the queue
//! would: the same archive.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use lambda_runtime::{Context, LambdaEvent};
use run_data_jobs::{handle, Jobs};
use serde_json::{json, Value};
use tickets_domain::doubles::{archive_entries, noise, MemoryBus, MemoryQueue};
use tickets_domain::export::{show_export, start_export, EXPORT_STEP};
use tickets_domain::history::audit_entries;
use tickets_domain::service::{modify_ticket, post_message};
use tickets_domain::store::{
    AttachmentWriter, ExportJobs, HistoryStore, JobKind, JobStatus, TicketReader, UploadVerdict,
};
use tickets_domain::{Caller, NewMessage, NewUpload, Role, TicketEdit, Timestamp};
use tickets_dynamodb::testing::{
    fresh_store, fresh_store_behind, local_client, seed_ticket, FaultProxy,
};
use tickets_dynamodb::DynamoStore;
use tickets_s3::testing::{fresh_files, put};
use tickets_s3::S3Files;

const CLIENT: &str = "client-exported";
const OTHER: &str = "client-other";
const NOTE: &str = "internal-note-never-for-the-client";
const ANSWER: &str = "public-answer-for-the-client";

/// The desk: `EXPORT_STEP + 3` tickets of the client (one soft-deleted, one with an answer,
/// an internal note, history and a 9 MiB file), one of another client. The file's bytes.
async fn desk(
    store: &DynamoStore,
    bucket: (&tickets_s3::testing::Client, &str),
) -> (Vec<String>, Vec<u8>) {
    let agent = Caller::new("agent-1", Role::Agent);
    let admin = Caller::new("admin-1", Role::Admin);
    let client = Caller::new(CLIENT, Role::Client);
    let mut ids = Vec::new();
    for n in 0..EXPORT_STEP + 3 {
        ids.push(
            seed_ticket(store, CLIENT, &format!("Mine {n}"))
                .await
                .summary
                .id,
        );
    }
    let first = &ids[0];
    for (text, internal) in [(ANSWER, false), (NOTE, true)] {
        let message = NewMessage {
            message: Some(text.into()),
            internal: Some(internal),
        };
        post_message(store, first, &agent, message).await.unwrap();
    }
    let ticket = store.get_summary(first).await.unwrap().unwrap();
    store
        .record_change(
            &tickets_domain::model::new_id(),
            &audit_entries(None, &ticket),
            Timestamp::now(),
        )
        .await
        .unwrap();
    // Incompressible: the archive needs two parts for it.
    let bytes = noise(9 * 1024 * 1024);
    let upload = NewUpload {
        filename: Some("scan.bin".into()),
        size: Some(bytes.len() as u64),
        content_type: Some("application/pdf".into()),
    };
    let attachment = upload
        .into_attachment(&ticket, 0, &client, &tickets_domain::UploadRules::default())
        .unwrap();
    store
        .add_attachment(&attachment, &TicketEdit::check(&ticket))
        .await
        .unwrap();
    put(
        bucket.0,
        bucket.1,
        &format!("tickets/{first}/{}", attachment.id),
        &bytes,
        "application/pdf",
    )
    .await;
    store
        .settle_attachment(
            first,
            &attachment.id,
            &UploadVerdict::Available {
                size: bytes.len() as u64,
            },
        )
        .await
        .unwrap();
    modify_ticket(store, &ids[1], &admin, None, |t, now| {
        t.soft_deleted(&admin, now).map(Some)
    })
    .await
    .unwrap();
    seed_ticket(store, OTHER, "Theirs").await;
    (ids, bytes)
}

fn message(job: &str, kind: JobKind, receive: u32) -> SqsMessage {
    let mut message = SqsMessage::default();
    message.message_id = Some(format!("m-{receive}"));
    message.body = Some(json!({"job": job, "kind": kind}).to_string());
    message
        .attributes
        .insert("ApproximateReceiveCount".into(), receive.to_string());
    message
}

/// Runs the queued steps as the queue would, a failed one again (one message per batch).
async fn run(jobs: &Jobs<DynamoStore, S3Files, MemoryQueue, MemoryBus>, job: &str) -> u32 {
    jobs.queue
        .0
        .lock()
        .unwrap()
        .push((job.to_owned(), JobKind::Export));
    let mut deliveries = 0;
    loop {
        // Popped apart from the loop's body: the steps queue their successors meanwhile.
        let next = jobs.queue.pop();
        let Some((id, kind)) = next else {
            return deliveries;
        };
        let mut receive = 1;
        loop {
            deliveries += 1;
            assert!(deliveries < 500, "the export never ended");
            let mut event = SqsEvent::default();
            event.records = vec![message(&id, kind, receive)];
            let response = handle(jobs, LambdaEvent::new(event, Context::default()))
                .await
                .unwrap();
            if response.batch_item_failures.is_empty() {
                break;
            }
            receive += 1;
        }
    }
}

/// The archive's entries by path.
fn entries(archive: &[u8]) -> BTreeMap<String, Vec<u8>> {
    archive_entries(archive).into_iter().collect()
}

/// The function's parts: the store and bucket given, the queue and bus in memory.
fn jobs(
    store: DynamoStore,
    files: S3Files,
    attempts: u32,
) -> Jobs<DynamoStore, S3Files, MemoryQueue, MemoryBus> {
    Jobs {
        store,
        files,
        queue: MemoryQueue::default(),
        events: MemoryBus::default(),
        attempts,
    }
}

async fn export(
    jobs: &Jobs<DynamoStore, S3Files, MemoryQueue, MemoryBus>,
    reader: &DynamoStore,
    requester: &Caller,
    archive_of: &tickets_s3::testing::Client,
    bucket: &str,
) -> BTreeMap<String, Vec<u8>> {
    let job = loop {
        match start_export(
            &jobs.store,
            &MemoryQueue::default(),
            requester,
            if requester.role() == Role::Admin {
                CLIENT
            } else {
                "me"
            },
            Timestamp::now(),
        )
        .await
        {
            Ok(job) => break job,
            Err(err) => eprintln!("start: {err:?}"),
        }
    };
    assert_eq!(job.status, JobStatus::Running);
    let deliveries = run(jobs, &job.id).await;
    let done = reader.export(&job.id).await.unwrap().unwrap();
    eprintln!(
        "{deliveries} deliveries, {} steps, {} parts",
        done.progress.step,
        done.progress.parts.len()
    );
    assert_eq!(done.status, JobStatus::Done);
    assert!(done.progress.step >= 2, "more than one step");
    let shown = show_export(reader, &jobs.files, requester, &job.id, Timestamp::now())
        .await
        .unwrap();
    assert!(shown.url.is_some_and(|url| url.contains("X-Amz-Signature")));
    let object = archive_of
        .get_object()
        .bucket(bucket)
        .key(&done.progress.archive)
        .send()
        .await
        .unwrap();
    let bytes = object.body.collect().await.unwrap().to_vec();
    assert!(
        done.progress.parts.len() >= 2,
        "the file makes the archive more than a part"
    );
    entries(&bytes)
}

fn document(entries: &BTreeMap<String, Vec<u8>>, ticket: &str) -> Value {
    serde_json::from_slice(&entries[&format!("tickets/{ticket}/ticket.json")]).unwrap()
}

fn check_common(entries: &BTreeMap<String, Vec<u8>>, ids: &[String], bytes: &[u8]) {
    let everything: String = entries
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(!everything.contains(OTHER), "nothing of another client");
    let first = document(entries, &ids[0]);
    let file = first["attachments"][0]["file"].as_str().unwrap();
    assert_eq!(entries[file], bytes, "the file, byte for byte");
    assert!(everything.contains(ANSWER));
    assert!(entries.contains_key("export.json"));
}

#[tokio::test]
async fn a_client_and_an_admin_export_what_each_may_see() {
    let (store, _) = fresh_store().await;
    let (files, s3, bucket) = fresh_files().await;
    let (ids, bytes) = desk(&store, (&s3, &bucket)).await;
    let reader = DynamoStore::new(local_client(Default::default()), store.table());
    let jobs = jobs(store, files, 5);

    let mine = export(
        &jobs,
        &reader,
        &Caller::new(CLIENT, Role::Client),
        &s3,
        &bucket,
    )
    .await;
    check_common(&mine, &ids, &bytes);
    let tickets = mine
        .keys()
        .filter(|path| path.ends_with("ticket.json"))
        .count();
    assert_eq!(tickets, ids.len() - 1, "not the deleted ticket");
    let text: String = mine
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(
        !text.contains(NOTE),
        "no internal note in a client's own export"
    );
    assert!(
        document(&mine, &ids[0]).get("history").is_none(),
        "clients do not read history"
    );

    let all = export(
        &jobs,
        &reader,
        &Caller::new("admin-1", Role::Admin),
        &s3,
        &bucket,
    )
    .await;
    check_common(&all, &ids, &bytes);
    let tickets = all
        .keys()
        .filter(|path| path.ends_with("ticket.json"))
        .count();
    assert_eq!(tickets, ids.len(), "the deleted ticket too");
    let first = document(&all, &ids[0]);
    assert!(first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["message"] == NOTE));
    assert!(!first["history"].as_array().unwrap().is_empty());

    let announced = jobs.events.events();
    assert_eq!(announced.len(), 2);
    assert!(announced
        .iter()
        .all(|e| e.detail_type == "SupportClient.Exported"));
    // A carried step's bytes are gone once the archive is whole: only the two archives stay.
    let left = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("exports/")
        .send()
        .await
        .unwrap();
    assert_eq!(left.contents().len(), 2, "{:?}", left.contents());
}

#[tokio::test]
async fn an_export_whose_steps_keep_failing_writes_the_same_archive() {
    let proxy = FaultProxy::start();
    let (faulty, _) = fresh_store_behind(&proxy).await;
    let clean = DynamoStore::new(local_client(Default::default()), faulty.table());
    let (files, s3, bucket) = fresh_files().await;
    let (ids, bytes) = desk(&clean, (&s3, &bucket)).await;
    let jobs = jobs(faulty, files, 1000);
    proxy.configure(
        json!({"rate": 0.25, "kinds": ["drop", "error", "throttle", "lost"], "seed": 11}),
    );
    let all = export(
        &jobs,
        &clean,
        &Caller::new("admin-1", Role::Admin),
        &s3,
        &bucket,
    )
    .await;
    let report = proxy.report();
    proxy.configure(json!({"rate": 0.0}));
    eprintln!("faults: {report}");
    let injected: u64 = report["injected"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert!(injected >= 5, "{report}");
    check_common(&all, &ids, &bytes);
    assert_eq!(
        all.keys()
            .filter(|path| path.ends_with("ticket.json"))
            .count(),
        ids.len()
    );
    let first = document(&all, &ids[0]);
    assert!(first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["message"] == NOTE));
}

#[tokio::test]
async fn a_step_whose_progress_was_stored_but_whose_answer_was_lost_goes_on() {
    let proxy = FaultProxy::start();
    let (faulty, _) = fresh_store_behind(&proxy).await;
    let clean = DynamoStore::new(local_client(Default::default()), faulty.table());
    let (files, s3, bucket) = fresh_files().await;
    let (ids, bytes) = desk(&clean, (&s3, &bucket)).await;
    let jobs = jobs(faulty, files, 5);
    // The first step's progress write reaches the table; its answer does not. The SDK sends it
    // again, and that one finds the step moved on.
    proxy.configure(json!({"ops": ["UpdateItem"], "plan": ["lost"]}));
    let all = export(
        &jobs,
        &clean,
        &Caller::new("admin-1", Role::Admin),
        &s3,
        &bucket,
    )
    .await;
    let report = proxy.report();
    proxy.configure(json!({"ops": [], "plan": []}));
    assert_eq!(report["injected"]["lost"], 1, "{report}");
    check_common(&all, &ids, &bytes);
    assert_eq!(
        all.keys()
            .filter(|path| path.ends_with("ticket.json"))
            .count(),
        ids.len()
    );
}

#[tokio::test]
async fn a_job_whose_step_fails_its_last_attempt_is_failed() {
    let (store, _) = fresh_store().await;
    let client = Caller::new(CLIENT, Role::Client);
    seed_ticket(&store, CLIENT, "Mine").await;
    let job = start_export(
        &store,
        &MemoryQueue::default(),
        &client,
        "me",
        Timestamp::now(),
    )
    .await
    .unwrap();
    let reader = DynamoStore::new(local_client(Default::default()), store.table());
    // The bucket is gone: every step fails.
    let jobs = jobs(
        store,
        S3Files::new(
            tickets_s3::testing::local_client(),
            "no-such-bucket-anywhere",
        ),
        3,
    );
    for receive in 1..=3 {
        let mut event = SqsEvent::default();
        event.records = vec![message(&job.id, JobKind::Export, receive)];
        let response = handle(&jobs, LambdaEvent::new(event, Context::default()))
            .await
            .unwrap();
        let failed = !response.batch_item_failures.is_empty();
        assert_eq!(failed, receive < 3, "attempt {receive}");
        let status = reader.export(&job.id).await.unwrap().unwrap().status;
        assert_eq!(
            status,
            if receive < 3 {
                JobStatus::Running
            } else {
                JobStatus::Failed
            }
        );
    }
}
