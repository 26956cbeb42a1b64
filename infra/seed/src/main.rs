//! Puts the data that the fixtures in `events/` name on the local stack, so that
//! `cargo lambda invoke <function> --data-file events/<function>.json` acts on it.
//! `infra/stack.sh` runs it right after `infra/bootstrap.py`:
//!
//! - ticket `01JD6ZKQ8C4W3M5T7N9P1R3S5V` of `client-1` (the `sub` of the README's `CLIENT`
//!   token), opened on 2026-11-24 exactly as `events/on-ticket-change.json`'s stream record
//!   shows it (a test checks that they agree), with its first thread message;
//! - its attachment `01JD6ZKQ8D6X8Z0B2D4F6H8K0M` (`error.png`, uploaded by `client-1`),
//!   `available`, with its object under the key that `events/on-attachment-uploaded.json`
//!   names;
//! - a ticket of `client-1` resolved 30 days ago, for `events/close-resolved-tickets.json` to
//!   close (the first run of that function closes it, the relay's schedule included);
//! - two open tickets of `client-1` about the same printer, for `events/merge-tickets.json` to
//!   merge (its `Idempotency-Key` makes every later run answer the first merge again);
//! - ticket `01JD6ZKQ8P6G8J0M2P4R6T8W0Y` of `client-1`, soft-deleted 40 days ago, for
//!   `events/purge-deleted-tickets.json` to erase (the first run erases it, the relay's
//!   schedule included; the next seed puts it back);
//! - erasure job `01JD6ZKQ8R7H9K1N3Q5S7V9X1Z`, done, for `events/get-erasure.json` and
//!   `events/run-data-jobs.json` (a step of an ended job does nothing);
//! - export job `01JD6ZKQ8S8J0M2P4R6T8W0Y2A` of `client-1`, done (by `admin-1`), with its
//!   archive (of nothing), for `events/get-export.json`;
//! - webhook `01JD6ZKQ8H2C4E6G8J0M2P4R6T` (paused: it receives nothing unless a test resumes
//!   it) with a failed delivery `01JD6ZKQ8K4E6G8J0M2P4R6T8W` in its log, and webhook
//!   `01JD6ZKQ8J3D5F7H9K1N3Q5S7V` for `events/delete-webhook.json` to remove.
//!
//! The HTTP fixtures call as `admin-1`; `create-ticket` and `ingest-tickets` open their own
//! tickets for `client-1`.
//!
//! Everything goes through the store's own write paths (`create_ticket`, `add_attachment`,
//! `save_ticket`): the items are laid out as the functions lay them out, and the counters stay
//! equal to a recount. Only what is missing is created, so a second run changes nothing; after
//! `delete-attachment` a run puts the attachment and its object back (on a ticket that is not
//! deleted or closed).
//!
//! Reads, as the functions do: `TABLE_NAME`, `BUCKET_NAME`, `AWS_ENDPOINT_URL`,
//! `S3_FORCE_PATH_STYLE`, `AWS_REGION` and the credentials.

use std::error::Error;

use aws_sdk_s3::primitives::ByteStream;
use chrono::TimeDelta;
use tickets_domain::attachment::{download_route, object_key};
use tickets_domain::export::archive::ArchiveWriter;
use tickets_domain::export::exports_prefix;
use tickets_domain::store::{
    ArchiveStore, AttachmentReader, AttachmentWriter, ErasureJob, ErasureJobs, ExportJob,
    ExportJobs, ExportProgress, Exported, FileStore, JobStatus, Removed, StoredSubscription,
    TicketCreator, TicketReader, TicketWriter, WebhookStore,
};
use tickets_domain::webhook::delivery::{Answer, Attempt, DeliveryOrder, DeliveryStatus};
use tickets_domain::webhook::{NewSubscription, Reach, WebhookStatus};
use tickets_domain::{
    Attachment, AttachmentStatus, Caller, NewTicket, NewUpload, Patch, Role, Status, Ticket,
    TicketEdit, TicketPatch, TicketSummary, Timestamp, UploadRules,
};
use tickets_dynamodb::DynamoStore;
use tickets_lambda::Settings;
use tickets_s3::S3Files;

/// The ids the fixtures name.
const TICKET_ID: &str = "01JD6ZKQ8C4W3M5T7N9P1R3S5V";
const ATTACHMENT_ID: &str = "01JD6ZKQ8D6X8Z0B2D4F6H8K0M";
/// The fixture ticket's first thread message (its description).
const FIRST_MESSAGE_ID: &str = "01JD6ZKQ8C4W3M5T7N9P1R3S5W";
/// The ticket that was resolved long ago.
const RESOLVED_TICKET_ID: &str = "01JD6ZKQ8E8Z0B2D4F6H8K0M2P";

/// Two tickets about one problem: the second is merged into the first.
const DUPLICATE_TARGET_ID: &str = "01JD6ZKQ8F0A2C4E6G8J0M2P4R";
const DUPLICATE_ID: &str = "01JD6ZKQ8G1B3D5F7H9K1N3Q5S";

/// The erasure job the fixtures read (done).
const ERASURE_JOB_ID: &str = "01JD6ZKQ8R7H9K1N3Q5S7V9X1Z";

/// The export job the fixtures read (done, its archive in the bucket).
const EXPORT_JOB_ID: &str = "01JD6ZKQ8S8J0M2P4R6T8W0Y2A";

/// The ticket deleted long ago, which the purge erases.
const PURGED_TICKET_ID: &str = "01JD6ZKQ8P6G8J0M2P4R6T8W0Y";
/// How long before the seed runs it was deleted (more than the 30 days a deleted ticket is kept).
const PURGED_TICKET_AGE_DAYS: i64 = 40;

/// The webhook the fixtures read, change and send a delivery of again; the one they remove; the
/// delivery in the first one's log.
const WEBHOOK_ID: &str = "01JD6ZKQ8H2C4E6G8J0M2P4R6T";
const SPARE_WEBHOOK_ID: &str = "01JD6ZKQ8J3D5F7H9K1N3Q5S7V";
const DELIVERY_ID: &str = "01JD6ZKQ8K4E6G8J0M2P4R6T8W";
/// Where the fixture webhooks point: a loopback port where nothing listens (they are paused).
const WEBHOOK_URL: &str = "http://127.0.0.1:9/fixture";

const CLIENT: &str = "client-1";
const ADMIN: &str = "admin-1";
const AGENT: &str = "agent-1";
/// When the fixture ticket was opened (`createdAt` in the stream record).
const OPENED_AT: &str = "2026-11-24T10:00:00.000Z";
/// The declared and real size of the attachment's object (the S3 event says so too).
const OBJECT_SIZE: u64 = 20480;
const OBJECT_TYPE: &str = "image/png";
/// How long before the seed runs the resolved ticket was opened; it was resolved a day later.
const RESOLVED_TICKET_AGE_DAYS: i64 = 31;

type Failure = Box<dyn Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let settings = Settings::from_env();
    let aws = tickets_lambda::aws_config(&settings)?;
    let store = DynamoStore::from_config(&aws, &settings)?;
    let files = S3Files::from_config(&aws, &settings)?;
    // The adapter only presigns and inspects; the object itself is put with its S3 settings.
    let s3 = aws_sdk_s3::Client::from_conf(tickets_s3::config(
        &aws,
        settings.is_true("S3_FORCE_PATH_STYLE"),
    ));
    let bucket = settings.required("BUCKET_NAME")?;

    let mut created = Vec::new();
    created.extend(fixture_ticket_and_attachment(&store).await?);
    created.extend(attachment_object(&files, &s3, bucket).await?);
    created.extend(resolved_ticket(&store).await?);
    created.extend(duplicate_tickets(&store).await?);
    created.extend(deleted_long_ago(&store).await?);
    created.extend(ended_erasure(&store).await?);
    created.extend(ended_export(&store, &files).await?);
    created.extend(fixture_webhooks(&store).await?);

    let table = store.table();
    if created.is_empty() {
        println!("==> fixture data already in '{table}': nothing to do");
    } else {
        println!(
            "==> fixture data in '{table}': created {}",
            created.join(", ")
        );
    }
    Ok(())
}

fn timestamp(text: &str) -> Timestamp {
    text.parse().expect("a valid timestamp")
}

/// The fixture ticket as `client-1` opened it (the body of `events/create-ticket.json`),
/// with its attachment.
fn fixture_ticket() -> Ticket {
    let client = Caller::new(CLIENT, Role::Client);
    let mut ticket = NewTicket {
        title: Some("Cannot log in".into()),
        description: Some("The login page shows error 500.".into()),
        priority: Some("high".into()),
        category: Some("technical".into()),
        tags: Some(vec!["login".into()]),
        ..NewTicket::default()
    }
    .into_ticket(&client, timestamp(OPENED_AT))
    .expect("the fixture ticket is valid");
    ticket.summary.id = TICKET_ID.into();
    ticket.threads[0].id = FIRST_MESSAGE_ID.into();
    ticket.attachments = vec![fixture_attachment(&ticket.summary)];
    ticket
}

/// `error.png` as `client-1` declared it, with the fixture's id, uploaded and checked.
fn fixture_attachment(ticket: &TicketSummary) -> Attachment {
    let mut attachment = NewUpload {
        filename: Some("error.png".into()),
        size: Some(OBJECT_SIZE),
        content_type: Some(OBJECT_TYPE.into()),
    }
    .into_attachment(
        ticket,
        0,
        &Caller::new(CLIENT, Role::Client),
        &UploadRules::default(),
    )
    .expect("the fixture attachment is valid");
    attachment.id = ATTACHMENT_ID.into();
    attachment.url = download_route(&ticket.id, ATTACHMENT_ID);
    attachment.status = AttachmentStatus::Available;
    attachment
}

/// Creates the ticket with its first message and attachment in one write when it is missing;
/// adds the attachment back when only that is missing.
async fn fixture_ticket_and_attachment(store: &DynamoStore) -> Result<Vec<String>, Failure> {
    match store.get_attachment(TICKET_ID, ATTACHMENT_ID).await? {
        None => {
            store.create_ticket(&fixture_ticket(), None).await?;
            Ok(vec![format!(
                "ticket {TICKET_ID} with its first message and attachment {ATTACHMENT_ID}"
            )])
        }
        Some((_, Some(_))) => Ok(vec![]),
        Some((ticket, None)) => {
            if ticket.is_deleted() || ticket.status == Status::Closed {
                return Err(format!(
                    "ticket {TICKET_ID} is deleted or closed, so attachment {ATTACHMENT_ID} \
                     cannot be added back: restore the ticket first"
                )
                .into());
            }
            let attachment = fixture_attachment(&ticket);
            let edit = TicketEdit::check(&ticket);
            store.add_attachment(&attachment, &edit).await?;
            Ok(vec![format!("attachment {ATTACHMENT_ID}")])
        }
    }
}

/// The attachment's object: a PNG signature padded to the declared size.
async fn attachment_object(
    files: &S3Files,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Vec<String>, Failure> {
    let key = object_key(TICKET_ID, ATTACHMENT_ID);
    if files.inspect(&key).await?.is_some() {
        return Ok(vec![]);
    }
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(OBJECT_SIZE as usize, 0);
    s3.put_object()
        .bucket(bucket)
        .key(&key)
        .content_type(OBJECT_TYPE)
        .body(ByteStream::from(bytes))
        .send()
        .await?;
    Ok(vec![format!("object {key}")])
}

/// A ticket of `client-1` opened 31 days before the first run, open.
fn long_ago_ticket(now: Timestamp) -> Ticket {
    let opened = Timestamp::from(now.as_datetime() - TimeDelta::days(RESOLVED_TICKET_AGE_DAYS));
    let mut ticket = NewTicket {
        title: Some("The March invoice is empty".into()),
        description: Some("The PDF of the March invoice has no pages.".into()),
        priority: Some("low".into()),
        category: Some("billing".into()),
        tags: Some(vec!["invoice".into()]),
        ..NewTicket::default()
    }
    .into_ticket(&Caller::new(CLIENT, Role::Client), opened)
    .expect("the resolved ticket is valid");
    ticket.summary.id = RESOLVED_TICKET_ID.into();
    ticket
}

/// `ticket` resolved by `agent-1` a day after it was opened, as `PATCH` would resolve it.
fn resolved(ticket: &TicketSummary) -> TicketSummary {
    let agent = Caller::new(AGENT, Role::Agent);
    let at = Timestamp::from(ticket.created_at.as_datetime() + TimeDelta::days(1));
    let patch = TicketPatch {
        status: Patch::Value(Status::Resolved.to_string()),
        resolution: Patch::Value("Regenerated the invoice.".into()),
        ..TicketPatch::default()
    };
    patch
        .apply(ticket, &agent, at)
        .expect("an open ticket can be resolved")
        .expect("resolving changes the ticket")
        .revised(&agent.id, at)
}

/// Creates the long-resolved ticket (open, then resolved) when it is missing, and finishes a
/// run that stopped between the two writes.
async fn resolved_ticket(store: &DynamoStore) -> Result<Vec<String>, Failure> {
    let mut created = Vec::new();
    let open = match store.get_summary(RESOLVED_TICKET_ID).await? {
        None => {
            let ticket = long_ago_ticket(Timestamp::now());
            store.create_ticket(&ticket, None).await?;
            created.push(format!("ticket {RESOLVED_TICKET_ID}"));
            ticket.summary
        }
        Some(ticket) if ticket.status == Status::Open && ticket.version == 1 => ticket,
        Some(_) => return Ok(created),
    };
    store.save_ticket(&open, &resolved(&open)).await?;
    if created.is_empty() {
        created.push(format!("the resolution of ticket {RESOLVED_TICKET_ID}"));
    }
    Ok(created)
}

/// The two printer tickets, each created when missing (a merged one stays merged).
async fn duplicate_tickets(store: &DynamoStore) -> Result<Vec<String>, Failure> {
    let client = Caller::new(CLIENT, Role::Client);
    let mut created = Vec::new();
    for (id, title) in [
        (DUPLICATE_TARGET_ID, "The printer is offline"),
        (DUPLICATE_ID, "Printer offline again"),
    ] {
        if store.get_summary(id).await?.is_some() {
            continue;
        }
        let mut ticket = NewTicket {
            title: Some(title.into()),
            description: Some("The office printer shows as offline on every laptop.".into()),
            priority: Some("medium".into()),
            category: Some("technical".into()),
            ..NewTicket::default()
        }
        .into_ticket(&client, timestamp(OPENED_AT))
        .expect("the printer tickets are valid");
        ticket.summary.id = id.into();
        store.create_ticket(&ticket, None).await?;
        created.push(format!("ticket {id}"));
    }
    Ok(created)
}

/// An erasure that ran (of a client who had nothing), created when missing.
async fn ended_erasure(store: &DynamoStore) -> Result<Vec<String>, Failure> {
    if store.job(ERASURE_JOB_ID).await?.is_some() {
        return Ok(Vec::new());
    }
    let at = timestamp(OPENED_AT);
    let job = ErasureJob {
        id: ERASURE_JOB_ID.into(),
        status: JobStatus::Running,
        requested_by: ADMIN.into(),
        created_at: at,
        updated_at: at,
        finished_at: None,
        removed: Removed::default(),
        client: Some("client-erased-long-ago".into()),
    };
    store.start_job(&job).await?;
    store
        .finish_job(ERASURE_JOB_ID, &Removed::default(), at)
        .await?;
    Ok(vec![format!("erasure {ERASURE_JOB_ID}")])
}

/// An export that ran (its archive holds only its `export.json`), created when missing; done
/// when the seed first ran, so that its archive is kept while the local stack is used.
async fn ended_export(store: &DynamoStore, files: &S3Files) -> Result<Vec<String>, Failure> {
    if store.export(EXPORT_JOB_ID).await?.is_some() {
        return Ok(Vec::new());
    }
    let now = Timestamp::now();
    let archive = format!(
        "{}{EXPORT_JOB_ID}/export-{EXPORT_JOB_ID}.tar.gz",
        exports_prefix(CLIENT)
    );
    let job = ExportJob {
        id: EXPORT_JOB_ID.into(),
        status: JobStatus::Running,
        client: CLIENT.into(),
        requested_by: ADMIN.into(),
        created_at: now,
        updated_at: now,
        finished_at: None,
        exported: Exported::default(),
        progress: ExportProgress {
            role: Role::Admin.as_str().into(),
            archive: archive.clone(),
            complete: true,
            ..ExportProgress::default()
        },
    };
    let mut writer = ArchiveWriter::resume(Vec::new(), 0);
    let manifest = serde_json::json!({"jobId": EXPORT_JOB_ID, "client": CLIENT, "requestedBy": ADMIN, "view": "staff"});
    writer.append("export.json", manifest.to_string().as_bytes())?;
    files.put(&archive, writer.finish_archive()?).await?;
    store.start_export(&job).await?;
    store.finish_export(EXPORT_JOB_ID, now).await?;
    Ok(vec![format!("export {EXPORT_JOB_ID}")])
}

/// A ticket soft-deleted long ago, created (and deleted) when missing.
async fn deleted_long_ago(store: &DynamoStore) -> Result<Vec<String>, Failure> {
    if store.get_summary(PURGED_TICKET_ID).await?.is_some() {
        return Ok(Vec::new());
    }
    let at =
        Timestamp::from(Timestamp::now().as_datetime() - TimeDelta::days(PURGED_TICKET_AGE_DAYS));
    let mut ticket = NewTicket {
        title: Some("Old spam".into()),
        description: Some("Buy cheap watches.".into()),
        priority: Some("low".into()),
        category: Some("general".into()),
        ..NewTicket::default()
    }
    .into_ticket(&Caller::new(CLIENT, Role::Client), at)
    .expect("the old ticket is valid");
    ticket.summary.id = PURGED_TICKET_ID.into();
    store.create_ticket(&ticket, None).await?;
    let admin = Caller::new(ADMIN, Role::Admin);
    let deleted = ticket.summary.soft_deleted(&admin, at)?.revised(ADMIN, at);
    store.save_ticket(&ticket.summary, &deleted).await?;
    Ok(vec![format!(
        "ticket {PURGED_TICKET_ID} (deleted {PURGED_TICKET_AGE_DAYS} days ago)"
    )])
}

/// The fixture webhooks, paused, and a failed delivery in the first one's log.
async fn fixture_webhooks(store: &DynamoStore) -> Result<Vec<String>, Failure> {
    let mut created = Vec::new();
    for id in [WEBHOOK_ID, SPARE_WEBHOOK_ID] {
        if store.subscription(id).await?.is_some() {
            continue;
        }
        let body = NewSubscription {
            url: Some(WEBHOOK_URL.into()),
            events: Some(vec!["SupportTicket.Created".into()]),
            description: Some("Fixture".into()),
        };
        let admin = Caller::new(ADMIN, Role::Admin);
        let (mut subscription, signing) =
            body.check(&admin, Reach { loopback: true }, timestamp(OPENED_AT))?;
        subscription.id = id.into();
        subscription.status = WebhookStatus::Paused;
        let stored = StoredSubscription {
            subscription,
            signing,
            last_success_at: None,
        };
        store.put_subscription(&stored, 0).await?;
        created.push(format!("webhook {id}"));
    }
    if store.delivery(WEBHOOK_ID, DELIVERY_ID).await?.is_none() {
        let order = DeliveryOrder {
            subscription: WEBHOOK_ID.into(),
            delivery: DELIVERY_ID.into(),
            event_type: "SupportTicket.Created".into(),
            timestamp: timestamp(OPENED_AT),
            data: serde_json::json!({"ticketId": TICKET_ID, "client": CLIENT, "version": 1}),
            manual: false,
        };
        let refused = Answer::Status {
            code: 503,
            excerpt: "Service Unavailable".into(),
        };
        let attempt = Attempt::new(
            1,
            timestamp(OPENED_AT),
            refused,
            std::time::Duration::from_millis(12),
        );
        store
            .record_attempt(&order, &attempt, DeliveryStatus::Failed)
            .await?;
        created.push(format!("delivery {DELIVERY_ID}"));
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const STREAM_FIXTURE: &str = include_str!("../../../events/on-ticket-change.json");

    #[test]
    fn the_stream_fixture_shows_the_seeded_ticket_as_it_is_stored() {
        let fixture: Value = serde_json::from_str(STREAM_FIXTURE).unwrap();
        let record = &fixture["Records"][0]["dynamodb"];
        let stored =
            serde_json::to_value(tickets_dynamodb::testing::stream_image(&fixture_ticket()))
                .unwrap();
        assert_eq!(record["NewImage"], stored);
        assert_eq!(record["Keys"]["pk"], stored["pk"]);
        assert_eq!(record["Keys"]["sk"], stored["sk"]);
    }

    #[test]
    fn the_fixture_data_is_what_the_fixtures_name() {
        let ticket = fixture_ticket();
        assert_eq!(ticket.client, CLIENT);
        assert_eq!(ticket.version, 1);
        assert_eq!(ticket.threads.len(), 1);
        assert_eq!(ticket.attachments[0].status, AttachmentStatus::Available);
        let upload: Value =
            serde_json::from_str(include_str!("../../../events/on-attachment-uploaded.json"))
                .unwrap();
        let object = &upload["Records"][0]["s3"]["object"];
        assert_eq!(object["key"], object_key(TICKET_ID, ATTACHMENT_ID));
        assert_eq!(object["size"], OBJECT_SIZE);
        for ids in [
            TICKET_ID,
            ATTACHMENT_ID,
            FIRST_MESSAGE_ID,
            RESOLVED_TICKET_ID,
            DUPLICATE_TARGET_ID,
            DUPLICATE_ID,
        ] {
            assert!(tickets_domain::is_valid_id(ids), "{ids}");
        }
    }

    #[test]
    fn the_long_ago_ticket_is_resolved_well_before_any_auto_close_delay() {
        let now = Timestamp::now();
        let ticket = resolved(&long_ago_ticket(now).summary);
        assert_eq!(ticket.status, Status::Resolved);
        assert_eq!(ticket.version, 2);
        let resolved_at = ticket.resolved_at.expect("resolvedAt is set");
        assert!(now.as_datetime() - resolved_at.as_datetime() >= TimeDelta::days(30));
    }
}
