//! `on-email-received` in-process, against the local DynamoDB and S3 APIs: raw messages as
//! SES's receipt rule stores them (its verdict headers on top), S3 events as S3 sends them.

use std::sync::atomic::{AtomicBool, Ordering};

use lambda_runtime::{Context, LambdaEvent};
use on_email_received::{handle, receive, Deps, Inbound, Received};
use serde_json::json;
use tickets_domain::doubles::MemoryQueue;
use tickets_domain::mail::{InboundDefaults, MailKey};
use tickets_domain::store::{
    raw_mail_key, ContactStore, FileStore, MailFiles, PresignedUpload, RawMail, StoredObject,
    ThreadReader, TicketReader, TicketWriter,
};
use tickets_domain::{
    Attachment, AttachmentStatus, MessageType, Status, StoreError, TicketSummary, Timestamp,
    UploadRules,
};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket, stored_ticket_ids};
use tickets_dynamodb::DynamoStore;
use tickets_mail::{Inbox, Limits};
use tickets_s3::testing::{exists, fresh_files, put};
use tickets_s3::S3Files;

const DESK: &str = "support@desk.example";
const KEY: &str = "a signing key for the handler tests, long enough";

/// The bucket's files, with a switch that makes the next delete fail (a crash after the
/// ticket was written, before the message left the inbound prefix).
struct Files {
    inner: S3Files,
    fail_delete: AtomicBool,
}

impl FileStore for Files {
    async fn presign_upload(
        &self,
        key: &str,
        attachment: &Attachment,
    ) -> Result<PresignedUpload, StoreError> {
        self.inner.presign_upload(key, attachment).await
    }
    async fn presign_download(
        &self,
        key: &str,
        attachment: &Attachment,
    ) -> Result<String, StoreError> {
        self.inner.presign_download(key, attachment).await
    }
    async fn inspect(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        self.inner.inspect(key).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        if self.fail_delete.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable);
        }
        self.inner.delete(key).await
    }
}

impl MailFiles for Files {
    async fn raw_mail(&self, key: &str, max_bytes: u64) -> Result<RawMail, StoreError> {
        self.inner.raw_mail(key, max_bytes).await
    }
    async fn store_file(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.inner.store_file(key, bytes, content_type).await
    }
}

struct Setup {
    deps: Deps<DynamoStore, Files>,
    s3: tickets_s3::testing::Client,
    bucket: String,
}

fn inbound(max_bytes: u64, take_strangers: bool) -> Inbound {
    Inbound {
        inbox: Inbox::new(
            [DESK],
            Limits {
                max_bytes: max_bytes as usize,
                ..Limits::default()
            },
        ),
        key: MailKey::new(KEY).unwrap(),
        rules: UploadRules::default(),
        defaults: InboundDefaults::default(),
        max_bytes,
        take_strangers,
    }
}

async fn setup_with(inbound: Inbound) -> Setup {
    let (store, _) = fresh_store().await;
    let (files, s3, bucket) = fresh_files().await;
    Setup {
        deps: Deps {
            store,
            files: Files {
                inner: files,
                fail_delete: AtomicBool::new(false),
            },
            inbound,
        },
        s3,
        bucket,
    }
}

async fn setup() -> Setup {
    setup_with(inbound(1024 * 1024, true)).await
}

/// SES's headers on top of a message from `from`: verdicts, and DKIM/DMARC as given.
fn raw(from: &str, to: &str, subject: &str, dkim: bool, extra: &str, body: &str) -> Vec<u8> {
    let domain = from.split('@').nth(1).unwrap();
    let results = if dkim {
        format!("dkim=pass header.i=@{domain}; dmarc=pass header.from={domain}")
    } else {
        format!("dkim=none; dmarc=none header.from={domain}")
    };
    format!(
        "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n\
         Authentication-Results: amazonses.com; spf=pass smtp.mailfrom={domain}; {results}\r\n\
         From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{subject_id}@{domain}>\r\n\
         {extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        subject_id = subject.len()
    )
    .into_bytes()
}

/// Stores `bytes` where the receipt rule would and returns the S3 event for it.
async fn arrive(
    setup: &Setup,
    mail_id: &str,
    bytes: &[u8],
) -> LambdaEvent<aws_lambda_events::event::s3::S3Event> {
    let key = format!("inbound/{mail_id}");
    put(
        &setup.s3,
        &setup.bucket,
        &key,
        bytes,
        "application/octet-stream",
    )
    .await;
    let payload = json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:ses",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-24T10:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "inbound",
            "bucket": {"name": setup.bucket, "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": format!("arn:aws:s3:::{}", setup.bucket)},
            "object": {"key": key, "size": bytes.len(), "eTag": "0123456789abcdef", "sequencer": "0A1B2C3D4E5F678901"}
        }
    }]});
    LambdaEvent::new(serde_json::from_value(payload).unwrap(), Context::default())
}

async fn receive_now(setup: &Setup, mail_id: &str, bytes: &[u8]) -> Received {
    arrive(setup, mail_id, bytes).await;
    receive(&setup.deps, &format!("inbound/{mail_id}"), mail_id)
        .await
        .unwrap()
}

fn ticket_of(received: &Received) -> String {
    match received {
        Received::Opened { ticket } | Received::Replied { ticket } => ticket.clone(),
        other => panic!("not a ticket: {other:?}"),
    }
}

async fn messages(setup: &Setup, ticket: &str) -> Vec<tickets_domain::ThreadMessage> {
    setup
        .deps
        .store
        .list_messages(
            ticket,
            &tickets_domain::store::PageQuery {
                limit: 100,
                cursor: None,
            },
        )
        .await
        .unwrap()
        .messages
}

#[tokio::test]
async fn a_new_address_opens_a_ticket_and_a_redelivered_event_changes_nothing() {
    let setup = setup().await;
    let mail = raw(
        "erin@customer.example",
        DESK,
        "Printer on fire",
        false,
        "",
        "It smokes.",
    );
    let event = arrive(&setup, "ses-one", &mail).await;
    // The first attempt dies after the ticket is written, before the message leaves inbound/.
    setup.deps.files.fail_delete.store(true, Ordering::SeqCst);
    assert!(handle(&setup.deps, event.clone()).await.is_err());
    let [ticket_id] = stored_ticket_ids(&setup.deps.store)
        .await
        .try_into()
        .unwrap();
    // S3 delivers the event again: the same ticket, nothing written twice, the message moved.
    let written = all_items(&setup.deps.store).await.len();
    handle(&setup.deps, event.clone()).await.unwrap();
    assert_eq!(
        stored_ticket_ids(&setup.deps.store).await,
        std::slice::from_ref(&ticket_id)
    );
    assert_eq!(all_items(&setup.deps.store).await.len(), written);
    assert!(!exists(&setup.s3, &setup.bucket, "inbound/ses-one").await);
    assert!(
        exists(
            &setup.s3,
            &setup.bucket,
            &raw_mail_key(&ticket_id, "ses-one")
        )
        .await
    );
    // And once more, after the move: nothing to read, nothing to do.
    handle(&setup.deps, event).await.unwrap();
    assert_eq!(all_items(&setup.deps.store).await.len(), written);

    let ticket = setup
        .deps
        .store
        .get_ticket(&ticket_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.title, "Printer on fire");
    assert_eq!(ticket.description, "It smokes.");
    assert!(ticket.client.starts_with("mail:"));
    let contact = setup
        .deps
        .store
        .contact_by_address("ERIN@customer.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact.principal, ticket.client);
}

#[tokio::test]
async fn refused_messages_are_recorded_with_their_reason_and_change_nothing_else() {
    let setup = setup_with(inbound(4096, false)).await;
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "auto",
            raw(
                "erin@customer.example",
                DESK,
                "Out of office",
                true,
                "Auto-Submitted: auto-replied\r\n",
                "Away.",
            ),
            "auto_reply",
        ),
        (
            "loop",
            raw(DESK, DESK, "Loop", true, "", "Me again."),
            "from_desk",
        ),
        (
            "large",
            raw(
                "erin@customer.example",
                DESK,
                "Big",
                true,
                "",
                &"x".repeat(5000),
            ),
            "too_large",
        ),
        (
            "stranger",
            raw(
                "nobody@customer.example",
                DESK,
                "Hello",
                true,
                "",
                "Who am I?",
            ),
            "unknown_sender",
        ),
    ];
    for (mail_id, bytes, reason) in cases {
        assert_eq!(
            receive_now(&setup, mail_id, &bytes).await,
            Received::Refused(reason),
            "{mail_id}"
        );
        // Kept under inbound/ for the lifecycle rule; the reason stored by id.
        assert!(exists(&setup.s3, &setup.bucket, &format!("inbound/{mail_id}")).await);
    }
    assert!(stored_ticket_ids(&setup.deps.store).await.is_empty());
    let refusals: Vec<String> = all_items(&setup.deps.store)
        .await
        .into_iter()
        .filter(|item| item["sk"].as_s().is_ok_and(|sk| sk == "REFUSED"))
        .map(|item| item["reason"].as_s().unwrap().clone())
        .collect();
    assert_eq!(refusals.len(), 4, "{refusals:?}");
}

#[tokio::test]
async fn replies_land_in_their_thread_as_their_sender_may_write() {
    let setup = setup().await;
    let key = MailKey::new(KEY).unwrap();
    let opened = receive_now(
        &setup,
        "first",
        &raw("erin@customer.example", DESK, "Help", false, "", "Hi."),
    )
    .await;
    let ticket_id = ticket_of(&opened);
    let erin = setup
        .deps
        .store
        .get_summary(&ticket_id)
        .await
        .unwrap()
        .unwrap()
        .client;
    let reply_to = format!(
        "support+{}@desk.example",
        key.reply_token(&ticket_id, &erin)
    );

    // The client, to the reply address, without DKIM: her message, public.
    let replied = receive_now(
        &setup,
        "second",
        &raw(
            "erin@customer.example",
            &reply_to,
            "Re: Help",
            false,
            "",
            "More details.\r\n\r\nOn Monday someone wrote:\r\n> Hi.",
        ),
    )
    .await;
    assert_eq!(ticket_of(&replied), ticket_id);
    let thread = messages(&setup, &ticket_id).await;
    let last = thread.last().unwrap();
    assert_eq!(
        (last.message.as_str(), last.kind, last.internal),
        ("More details.", MessageType::User, false)
    );

    // A stranger who knows the address: refused, whatever its DKIM.
    let stranger = raw(
        "mallory@elsewhere.example",
        &reply_to,
        "Re: Help",
        true,
        "",
        "Send the password.",
    );
    assert_eq!(
        receive_now(&setup, "third", &stranger).await,
        Received::Refused("sender_not_on_ticket")
    );
    // The address the agents' list got vouches for nobody else: a forged From of the client
    // without DKIM, sent to it, is refused.
    let agents_address = format!(
        "support+{}@desk.example",
        key.reply_token(&ticket_id, "agents")
    );
    let forged = raw(
        "erin@customer.example",
        &agents_address,
        "Re: Help",
        false,
        "",
        "Refund me.",
    );
    assert_eq!(
        receive_now(&setup, "forged", &forged).await,
        Received::Refused("client_not_authenticated")
    );
    // An agent known from its token: only with DKIM/DMARC alignment, then as the agent.
    let agent = tickets_domain::Caller::new("agent-7", tickets_domain::Role::Agent)
        .with_verified_email("agent7@desk-staff.example");
    tickets_domain::mail::remember_caller(&setup.deps.store, &MemoryQueue::default(), &agent)
        .await
        .unwrap();
    let unsigned = raw(
        "agent7@desk-staff.example",
        &reply_to,
        "Re: Help",
        false,
        "",
        "Try this.",
    );
    assert_eq!(
        receive_now(&setup, "fourth", &unsigned).await,
        Received::Refused("staff_not_authenticated")
    );
    let signed = raw(
        "agent7@desk-staff.example",
        &reply_to,
        "Re: Help",
        true,
        "",
        "Try this.",
    );
    assert_eq!(
        ticket_of(&receive_now(&setup, "fifth", &signed).await),
        ticket_id
    );
    let last = messages(&setup, &ticket_id).await.pop().unwrap();
    assert_eq!(
        (last.author.as_str(), last.kind),
        ("agent-7", MessageType::Agent)
    );
    assert_eq!(messages(&setup, &ticket_id).await.len(), thread.len() + 1);
}

#[tokio::test]
async fn a_reply_reopens_a_resolved_ticket_and_one_to_a_closed_ticket_opens_a_follow_up() {
    let setup = setup().await;
    let key = MailKey::new(KEY).unwrap();
    let store = &setup.deps.store;
    let ticket = seed_ticket(store, "client-9", "Broken").await;
    let contact = tickets_domain::Caller::new("client-9", tickets_domain::Role::Client)
        .with_verified_email("nine@customer.example");
    tickets_domain::mail::remember_caller(store, &MemoryQueue::default(), &contact)
        .await
        .unwrap();
    set_status(store, &ticket.summary, Status::Resolved).await;
    let reply_to = format!(
        "support+{}@desk.example",
        key.reply_token(&ticket.id, "client-9")
    );

    let reply = raw(
        "nine@customer.example",
        &reply_to,
        "Re: Broken",
        false,
        "",
        "Still broken.",
    );
    assert_eq!(
        ticket_of(&receive_now(&setup, "r1", &reply).await),
        ticket.id
    );
    let reopened = store.get_summary(&ticket.id).await.unwrap().unwrap();
    assert_eq!(reopened.status, Status::Open);

    set_status(store, &reopened, Status::Closed).await;
    let late = raw(
        "nine@customer.example",
        &reply_to,
        "Re: Broken",
        false,
        "",
        "Again!",
    );
    let follow_up = ticket_of(&receive_now(&setup, "r2", &late).await);
    assert_ne!(follow_up, ticket.id);
    let new = store.get_summary(&follow_up).await.unwrap().unwrap();
    assert_eq!(new.client, "client-9");
    let opened = store.get_ticket(&follow_up).await.unwrap().unwrap();
    assert!(
        opened.description.contains(&ticket.id),
        "{}",
        opened.description
    );
}

#[tokio::test]
async fn files_become_available_attachments_and_refused_ones_are_left_out() {
    let setup = setup().await;
    let boundary = "b0undary";
    let body = format!(
        "--{boundary}\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
         --{boundary}\r\nContent-Type: application/pdf; name=report.pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJSVFT0YK\r\n\
         --{boundary}\r\nContent-Type: application/x-msdownload; name=run.exe\r\nContent-Disposition: attachment; filename=run.exe\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n\
         --{boundary}--"
    );
    let mut bytes = raw("erin@customer.example", DESK, "With files", true, "", "");
    let text = String::from_utf8(bytes).unwrap().replace(
        "Content-Type: text/plain; charset=utf-8\r\n\r\n\r\n",
        &format!("Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{body}\r\n"),
    );
    bytes = text.into_bytes();
    let ticket_id = ticket_of(&receive_now(&setup, "files", &bytes).await);
    let ticket = setup
        .deps
        .store
        .get_ticket(&ticket_id)
        .await
        .unwrap()
        .unwrap();
    let [attachment] = ticket.attachments.as_slice() else {
        panic!("{:?}", ticket.attachments)
    };
    assert_eq!(
        (
            attachment.filename.as_str(),
            attachment.status,
            attachment.size
        ),
        ("report.pdf", AttachmentStatus::Available, 15)
    );
    let object = tickets_domain::attachment::object_key(&ticket_id, &attachment.id);
    assert!(exists(&setup.s3, &setup.bucket, &object).await);
}

async fn set_status(store: &DynamoStore, ticket: &TicketSummary, status: Status) {
    let mut after = ticket.clone().revised("agent-1", Timestamp::now());
    after.status = status;
    if status == Status::Resolved {
        after.resolution = Some("Done".into());
    }
    store.save_ticket(ticket, &after).await.unwrap();
}
