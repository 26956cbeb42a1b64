//! `on-attachment-uploaded` in-process: S3 events as S3 sends them, against the local
//! DynamoDB and S3 APIs.

use lambda_runtime::{Context, LambdaEvent};
use on_attachment_uploaded::{handle, Deps};
use serde_json::json;
use tickets_domain::attachment::object_key;
use tickets_domain::service::request_upload;
use tickets_domain::store::TicketReader;
use tickets_domain::{Attachment, AttachmentStatus, Caller, NewUpload, Role, UploadRules};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_s3::testing::{exists, fresh_files, put};
use tickets_s3::S3Files;

struct Setup {
    deps: Deps<DynamoStore, S3Files>,
    s3: tickets_s3::testing::Client,
    bucket: String,
    ticket_id: String,
}

async fn setup() -> Setup {
    let (store, _) = fresh_store().await;
    let (files, s3, bucket) = fresh_files().await;
    let ticket = seed_ticket(&store, "client-1", "Upload").await;
    Setup {
        deps: Deps {
            store,
            files,
            rules: UploadRules::default(),
        },
        s3,
        bucket,
        ticket_id: ticket.id.clone(),
    }
}

/// Declares `declared_size` bytes of `text/plain` and returns the pending record.
async fn declare(setup: &Setup, declared_size: u64) -> Attachment {
    let upload = NewUpload {
        filename: Some("notes.txt".into()),
        size: Some(declared_size),
        content_type: Some("text/plain".into()),
    };
    let caller = Caller::new("client-1", Role::Client);
    let deps = &setup.deps;
    request_upload(
        &deps.store,
        &deps.files,
        &setup.ticket_id,
        &caller,
        upload,
        &deps.rules,
    )
    .await
    .unwrap()
    .0
}

/// An `ObjectCreated:Put` event as S3 delivers it, the key URL-encoded.
fn event(
    bucket: &str,
    encoded_key: &str,
    size: usize,
) -> LambdaEvent<aws_lambda_events::event::s3::S3Event> {
    let payload = json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-24T10:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "attachments",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": {"key": encoded_key, "size": size, "eTag": "0123456789abcdef", "sequencer": "0A1B2C3D4E5F678901"}
        }
    }]});
    LambdaEvent::new(serde_json::from_value(payload).unwrap(), Context::default())
}

async fn status_of(setup: &Setup, id: &str) -> (AttachmentStatus, u64) {
    let ticket = setup
        .deps
        .store
        .get_ticket(&setup.ticket_id)
        .await
        .unwrap()
        .unwrap();
    let attachment = ticket.attachments.into_iter().find(|a| a.id == id).unwrap();
    (attachment.status, attachment.size)
}

#[tokio::test]
async fn an_upload_as_declared_becomes_available_and_a_repeat_changes_nothing() {
    let setup = setup().await;
    let attachment = declare(&setup, 11).await;
    let key = object_key(&setup.ticket_id, &attachment.id);
    put(&setup.s3, &setup.bucket, &key, b"hello world", "text/plain").await;

    handle(&setup.deps, event(&setup.bucket, &key, 11))
        .await
        .unwrap();
    assert_eq!(
        status_of(&setup, &attachment.id).await,
        (AttachmentStatus::Available, 11)
    );
    let settled = all_items(&setup.deps.store).await;
    handle(&setup.deps, event(&setup.bucket, &key, 11))
        .await
        .unwrap();
    assert_eq!(all_items(&setup.deps.store).await, settled);
    assert!(exists(&setup.s3, &setup.bucket, &key).await);
}

#[tokio::test]
async fn a_size_or_type_other_than_declared_is_rejected_and_the_object_deleted() {
    let setup = setup().await;
    for (body, content_type) in [
        (&b"hello world, and more"[..], "text/plain"),
        (&b"hello world"[..], "text/html"),
    ] {
        let attachment = declare(&setup, 11).await;
        let key = object_key(&setup.ticket_id, &attachment.id);
        put(&setup.s3, &setup.bucket, &key, body, content_type).await;
        handle(&setup.deps, event(&setup.bucket, &key, body.len()))
            .await
            .unwrap();
        assert_eq!(
            status_of(&setup, &attachment.id).await.0,
            AttachmentStatus::Rejected
        );
        assert!(
            !exists(&setup.s3, &setup.bucket, &key).await,
            "no object left"
        );
    }
}

#[tokio::test]
async fn keys_with_spaces_and_non_ascii_are_decoded_and_unknown_ones_ignored() {
    let setup = setup().await;
    let before = all_items(&setup.deps.store).await;
    // "tickets/some dir/ñandú file.png", encoded as S3 does.
    let encoded = "tickets/some+dir/%C3%B1and%C3%BA+file.png";
    put(
        &setup.s3,
        &setup.bucket,
        "tickets/some dir/ñandú file.png",
        b"x",
        "image/png",
    )
    .await;
    handle(&setup.deps, event(&setup.bucket, encoded, 1))
        .await
        .unwrap();
    let unknown = object_key(&setup.ticket_id, &tickets_domain::model::new_id());
    handle(&setup.deps, event(&setup.bucket, &unknown, 1))
        .await
        .unwrap();
    assert_eq!(all_items(&setup.deps.store).await, before);
    assert!(
        exists(&setup.s3, &setup.bucket, "tickets/some dir/ñandú file.png").await,
        "not ours to delete"
    );
}

#[tokio::test]
async fn the_fixture_in_the_repository_is_a_valid_event() {
    let setup = setup().await;
    let fixture = include_str!("../../../events/on-attachment-uploaded.json");
    let payload = serde_json::from_str(fixture).unwrap();
    handle(&setup.deps, LambdaEvent::new(payload, Context::default()))
        .await
        .unwrap();
}
