//! `delete-attachment` in-process, against the local DynamoDB and S3 APIs.

use delete_attachment::handle;
use tickets_domain::attachment::object_key;
use tickets_domain::service::request_upload;
use tickets_domain::store::TicketReader;
use tickets_domain::{Attachment, Caller, NewUpload, Role, Ticket, UploadRules};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};
use tickets_s3::testing::{exists, fresh_files, put, Client};
use tickets_s3::S3Files;

struct Setup {
    api: Api<DynamoStore, S3Files>,
    s3: Client,
    bucket: String,
    ticket: Ticket,
}

async fn setup() -> Setup {
    let (store, _) = fresh_store().await;
    let (files, s3, bucket) = fresh_files().await;
    let ticket = seed_ticket(&store, "client-1", "Cleanup").await;
    Setup {
        api: Api::with_files(store, files, Auth::default()),
        s3,
        bucket,
        ticket,
    }
}

/// An uploaded file of `uploader`, with its object in the bucket.
async fn uploaded(setup: &Setup, uploader: &Caller) -> Attachment {
    let declared = NewUpload {
        filename: Some("log.txt".into()),
        size: Some(3),
        content_type: Some("text/plain".into()),
    };
    let api = &setup.api;
    let (attachment, _) = request_upload(
        &api.store,
        &api.files,
        &setup.ticket.id,
        uploader,
        declared,
        &UploadRules::default(),
    )
    .await
    .unwrap();
    put(
        &setup.s3,
        &setup.bucket,
        &object_key(&setup.ticket.id, &attachment.id),
        b"log",
        "text/plain",
    )
    .await;
    attachment
}

async fn delete(setup: &Setup, attachment: &str, caller: Option<(&str, &str)>) -> u16 {
    let id = &setup.ticket.id;
    let mut req = TestRequest::new(
        "DELETE",
        format!("/v2/support-tickets/{id}/attachments/{attachment}"),
    )
    .ticket(id)
    .attachment(attachment);
    if let Some((sub, role)) = caller {
        req = req.caller(sub, role);
    }
    read(handle(&setup.api, req.build()).await.unwrap()).0
}

#[tokio::test]
async fn the_uploader_agents_and_admins_remove_record_and_file() {
    let setup = setup().await;
    let client = Caller::new("client-1", Role::Client);
    for caller in [
        ("client-1", "client"),
        ("agent-1", "agent"),
        ("admin-1", "admin"),
    ] {
        let attachment = uploaded(&setup, &client).await;
        assert_eq!(
            delete(&setup, &attachment.id, Some(caller)).await,
            200,
            "{caller:?}"
        );
        let key = object_key(&setup.ticket.id, &attachment.id);
        assert!(!exists(&setup.s3, &setup.bucket, &key).await);
    }
    let ticket = setup
        .api
        .store
        .get_ticket(&setup.ticket.id)
        .await
        .unwrap()
        .unwrap();
    assert!(ticket.attachments.is_empty());
}

#[tokio::test]
async fn others_may_not_remove_and_nothing_changes() {
    let setup = setup().await;
    let by_agent = uploaded(&setup, &Caller::new("agent-1", Role::Agent)).await;
    let before = all_items(&setup.api.store).await;
    assert_eq!(
        delete(&setup, &by_agent.id, Some(("client-1", "client"))).await,
        403,
        "not the uploader"
    );
    assert_eq!(
        delete(&setup, &by_agent.id, Some(("client-2", "client"))).await,
        404
    );
    assert_eq!(delete(&setup, &by_agent.id, None).await, 401);
    assert_eq!(all_items(&setup.api.store).await, before);
    let key = object_key(&setup.ticket.id, &by_agent.id);
    assert!(exists(&setup.s3, &setup.bucket, &key).await);
}
