//! `get-attachment` in-process, against the local DynamoDB and S3 APIs.

use get_attachment::handle;
use serde_json::Value;
use tickets_domain::attachment::LinkPolicy;
use tickets_domain::service::request_upload;
use tickets_domain::store::TicketCreator;
use tickets_domain::store::{AttachmentWriter, TicketReader, TicketWriter, UploadVerdict};
use tickets_domain::{
    Attachment, Caller, ExternalAttachment, NewTicket, NewUpload, Role, Ticket, Timestamp,
    UploadRules,
};
use tickets_dynamodb::testing::{fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};
use tickets_s3::testing::fresh_files;
use tickets_s3::S3Files;

async fn setup() -> (Api<DynamoStore, S3Files>, Ticket) {
    let (store, _) = fresh_store().await;
    let (files, _, _) = fresh_files().await;
    let ticket = seed_ticket(&store, "client-1", "Downloads").await;
    (Api::with_files(store, files, Auth::default()), ticket)
}

async fn upload(api: &Api<DynamoStore, S3Files>, ticket: &Ticket, filename: &str) -> Attachment {
    let declared = NewUpload {
        filename: Some(filename.into()),
        size: Some(5),
        content_type: Some("application/pdf".into()),
    };
    let caller = Caller::new("client-1", Role::Client);
    let rules = UploadRules::default();
    request_upload(
        &api.store, &api.files, &ticket.id, &caller, declared, &rules,
    )
    .await
    .unwrap()
    .0
}

async fn get(
    api: &Api<DynamoStore, S3Files>,
    ticket: &str,
    attachment: &str,
    caller: Option<(&str, &str)>,
) -> (u16, Value, Option<String>) {
    let mut req = TestRequest::new(
        "GET",
        format!("/v2/support-tickets/{ticket}/attachments/{attachment}"),
    )
    .ticket(ticket)
    .attachment(attachment);
    if let Some((sub, role)) = caller {
        req = req.caller(sub, role);
    }
    let response = handle(api, &LinkPolicy::default(), req.build())
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, body) = read(response);
    (status, body, location)
}

#[tokio::test]
async fn an_available_file_redirects_owner_and_staff_to_a_short_lived_download() {
    let (api, ticket) = setup().await;
    let attachment = upload(&api, &ticket, "invoice \"march\".pdf").await;
    let verdict = UploadVerdict::Available { size: 5 };
    api.store
        .settle_attachment(&ticket.id, &attachment.id, &verdict)
        .await
        .unwrap();
    for caller in [
        ("client-1", "client"),
        ("agent-1", "agent"),
        ("admin-1", "admin"),
    ] {
        let (status, body, location) = get(&api, &ticket.id, &attachment.id, Some(caller)).await;
        assert_eq!(status, 302, "{body}");
        let location = location.unwrap();
        assert_eq!(body["data"]["url"], location.as_str());
        assert!(location.contains("X-Amz-Expires=300"), "{location}");
        assert!(
            location.contains("response-content-disposition=attachment"),
            "{location}"
        );
        assert!(location.contains(&format!("tickets/{}/{}", ticket.id, attachment.id)));
    }
}

#[tokio::test]
async fn pending_is_a_conflict_rejected_and_foreign_are_not_found() {
    let (api, ticket) = setup().await;
    let pending = upload(&api, &ticket, "a.pdf").await;
    let (status, body, location) =
        get(&api, &ticket.id, &pending.id, Some(("client-1", "client"))).await;
    assert_eq!(
        (status, body["code"].as_str(), location),
        (409, Some("CONFLICT"), None)
    );

    let rejected = upload(&api, &ticket, "b.pdf").await;
    api.store
        .settle_attachment(&ticket.id, &rejected.id, &UploadVerdict::Rejected)
        .await
        .unwrap();
    assert_eq!(
        get(&api, &ticket.id, &rejected.id, Some(("client-1", "client")))
            .await
            .0,
        404
    );

    let verdict = UploadVerdict::Available { size: 5 };
    api.store
        .settle_attachment(&ticket.id, &pending.id, &verdict)
        .await
        .unwrap();
    let (status, _, location) =
        get(&api, &ticket.id, &pending.id, Some(("client-2", "client"))).await;
    assert_eq!(
        (status, location),
        (404, None),
        "another client gets no URL"
    );
    assert_eq!(get(&api, &ticket.id, &pending.id, None).await.0, 401);
    let missing = tickets_domain::model::new_id();
    assert_eq!(
        get(&api, &ticket.id, &missing, Some(("agent-1", "agent")))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn a_soft_deleted_tickets_attachments_are_hidden() {
    let (api, ticket) = setup().await;
    let attachment = upload(&api, &ticket, "a.pdf").await;
    let verdict = UploadVerdict::Available { size: 5 };
    api.store
        .settle_attachment(&ticket.id, &attachment.id, &verdict)
        .await
        .unwrap();
    let current = api.store.get_summary(&ticket.id).await.unwrap().unwrap();
    let mut deleted = current.clone();
    deleted.deleted_at = Some(Timestamp::now());
    deleted.version += 1;
    api.store.save_ticket(&current, &deleted).await.unwrap();
    assert_eq!(
        get(
            &api,
            &ticket.id,
            &attachment.id,
            Some(("client-1", "client"))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        get(&api, &ticket.id, &attachment.id, Some(("agent-1", "agent")))
            .await
            .0,
        404
    );
    let admin = get(&api, &ticket.id, &attachment.id, Some(("admin-1", "admin"))).await;
    assert_eq!(admin.0, 404, "admins too, until the ticket is restored");
}

#[tokio::test]
async fn external_links_redirect_only_to_listed_hosts_and_are_answered_otherwise() {
    let (api, _) = setup().await;
    let client = Caller::new("client-1", Role::Client);
    let link = |url: &str| ExternalAttachment {
        filename: Some("report.pdf".into()),
        url: Some(url.into()),
        size: Some(10),
        content_type: Some("application/pdf".into()),
    };
    let ticket = NewTicket {
        title: Some("Links".into()),
        description: Some("Two links".into()),
        priority: Some("low".into()),
        category: Some("general".into()),
        attachments: Some(vec![
            link("https://files.example.com/report.pdf"),
            link("https://elsewhere.example/login"),
        ]),
        ..NewTicket::default()
    }
    .into_ticket(&client, Timestamp::now())
    .unwrap();
    api.store.create_ticket(&ticket, None).await.unwrap();
    let links = LinkPolicy::from_setting(Some("files.example.com")).unwrap();
    let answer = |attachment: &Attachment| {
        let req = TestRequest::new("GET", "/attachment")
            .ticket(&ticket.id)
            .attachment(&attachment.id)
            .caller("client-1", "client")
            .build();
        handle(&api, &links, req)
    };

    let listed = answer(&ticket.attachments[0]).await.unwrap();
    assert_eq!(listed.status(), 302);
    assert_eq!(
        listed.headers()["location"],
        "https://files.example.com/report.pdf"
    );
    let elsewhere = answer(&ticket.attachments[1]).await.unwrap();
    assert!(elsewhere.headers().get("location").is_none());
    let (status, body) = read(elsewhere);
    assert_eq!(status, 200);
    assert_eq!(body["data"]["url"], "https://elsewhere.example/login");

    // With no host listed (the default), nothing redirects.
    let (status, body, location) = get(
        &api,
        &ticket.id,
        &ticket.attachments[0].id,
        Some(("client-1", "client")),
    )
    .await;
    assert_eq!((status, location), (200, None));
    assert_eq!(body["data"]["url"], "https://files.example.com/report.pdf");
}
