//! `create-attachment` in-process, against the local DynamoDB and S3 APIs.

use aws_sdk_dynamodb::types::AttributeValue;
use create_attachment::handle;
use serde_json::{json, Value};
use tickets_domain::attachment::{
    download_route, ATTACHMENTS_MAX, SETTLE_GRACE_MINUTES, UPLOAD_WINDOW_MINUTES,
};
use tickets_domain::model::id_at;
use tickets_domain::store::{AttachmentWriter, TicketReader};
use tickets_domain::{Caller, NewUpload, Role, Ticket, TicketEdit, Timestamp, UploadRules};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};
use tickets_s3::testing::fresh_files;
use tickets_s3::S3Files;

async fn setup() -> (Api<DynamoStore, S3Files>, Ticket) {
    let (store, _) = fresh_store().await;
    let (files, _, _) = fresh_files().await;
    let ticket = seed_ticket(&store, "client-1", "Screenshots").await;
    (Api::with_files(store, files, Auth::default()), ticket)
}

fn declare(id: &str, body: &Value) -> TestRequest {
    TestRequest::new("POST", format!("/v2/support-tickets/{id}/attachments"))
        .ticket(id)
        .json(body)
}

async fn send(api: &Api<DynamoStore, S3Files>, req: TestRequest) -> (u16, Value) {
    read(
        handle(api, &UploadRules::default(), req.build())
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn a_declared_file_gets_a_pending_record_and_a_presigned_put_to_a_server_chosen_key() {
    let (api, ticket) = setup().await;
    let body = json!({"filename": "../../etc/passwd", "size": 1234, "type": "text/plain"});
    let (status, reply) = send(
        &api,
        declare(&ticket.id, &body).caller("client-1", "client"),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let data = &reply["data"];
    let id = data["_id"].as_str().unwrap();
    assert_eq!(data["status"], "pending");
    assert_eq!(data["filename"], "_.._etc_passwd");
    assert_eq!(
        data["url"],
        format!("/v2/support-tickets/{}/attachments/{id}", ticket.id)
    );
    assert_eq!(data["upload"]["method"], "PUT");
    let url = data["upload"]["url"].as_str().unwrap();
    assert!(
        url.contains(&format!("/tickets/{}/{id}?", ticket.id)),
        "{url}"
    );
    assert!(
        !url.contains("passwd"),
        "the filename never reaches the key"
    );
    assert!(data["upload"]["expiresAt"].is_string());

    let stored = api.store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert_eq!(stored.attachments.len(), 1);
    // The ticket's own fields are as they were: an attachment changes none of them.
    assert_eq!(stored.version, 1);
}

#[tokio::test]
async fn odd_filenames_are_stored_safely_and_come_back_readable() {
    let (api, ticket) = setup().await;
    let long = format!("{}.pdf", "ü".repeat(500));
    let cases = [
        ("a/b\\c.txt", "a_b_c.txt".to_string()),
        ("bell\u{7}and\ttab.txt", "bell and tab.txt".to_string()),
        ("quote\"d'.txt", "quote\"d'.txt".to_string()),
        ("发票.pdf", "发票.pdf".to_string()),
        (long.as_str(), format!("{}.pdf", "ü".repeat(251))),
    ];
    for (given, want) in cases {
        let body = json!({"filename": given, "size": 10, "type": "text/plain"});
        let (status, reply) =
            send(&api, declare(&ticket.id, &body).caller("agent-1", "agent")).await;
        assert_eq!(status, 201, "{reply}");
        assert_eq!(reply["data"]["filename"], want.as_str());
    }
}

#[tokio::test]
async fn bad_declarations_are_refused_before_any_url_and_write_nothing() {
    let (api, ticket) = setup().await;
    let before = all_items(&api.store).await;
    let client = |body: Value| declare(&ticket.id, &body).caller("client-1", "client");
    let too_big = UploadRules::default().max_bytes + 1;
    let cases = [
        (
            client(json!({"filename": "a.png", "size": too_big, "type": "image/png"})),
            422,
            "size",
        ),
        (
            client(json!({"filename": "a.exe", "size": 10, "type": "application/x-msdownload"})),
            422,
            "type",
        ),
        (
            client(json!({"filename": "a.png", "size": 0, "type": "image/png"})),
            422,
            "size",
        ),
        (
            client(json!({"size": 10, "type": "image/png"})),
            422,
            "filename",
        ),
        (
            client(json!({"filename": "a.png", "size": -1, "type": "image/png"})),
            400,
            "size",
        ),
        (
            client(json!({"filename": "a.png", "size": 1, "type": "image/png", "key": "x"})),
            400,
            "key",
        ),
    ];
    for (req, want_status, field) in cases {
        let (status, reply) = send(&api, req).await;
        assert_eq!(status, want_status, "{reply}");
        assert!(reply.get("data").is_none(), "no upload URL");
        assert!(reply["details"].to_string().contains(field), "{reply}");
    }
    assert_eq!(all_items(&api.store).await, before);
}

#[tokio::test]
async fn only_callers_who_may_see_the_ticket_may_upload() {
    let (api, ticket) = setup().await;
    let body = json!({"filename": "a.png", "size": 10, "type": "image/png"});
    let cases = [
        (Some(("client-1", "client")), 201),
        (Some(("agent-1", "agent")), 201),
        (Some(("admin-1", "admin")), 201),
        (Some(("client-2", "client")), 404),
        (None, 401),
    ];
    for (caller, want) in cases {
        let mut req = declare(&ticket.id, &body);
        if let Some((sub, role)) = caller {
            req = req.caller(sub, role);
        }
        let (status, reply) = send(&api, req).await;
        assert_eq!(status, want, "{caller:?}");
        if want != 201 {
            assert!(reply.get("data").is_none());
        }
    }
}

#[tokio::test]
async fn a_pending_upload_that_never_arrived_goes_stale_and_stops_counting_toward_the_cap() {
    let (api, ticket) = setup().await;
    let client = Caller::new("client-1", Role::Client);
    let now = Timestamp::now();
    let window = i64::from(UPLOAD_WINDOW_MINUTES + SETTLE_GRACE_MINUTES);
    let long_ago = Timestamp::from(now.as_datetime() - chrono::Duration::minutes(window + 1));
    // The cap's worth of uploads declared long ago, none of which ever arrived.
    for n in 0..ATTACHMENTS_MAX {
        let mut stale = NewUpload {
            filename: Some(format!("never-{n}.png")),
            size: Some(10),
            content_type: Some("image/png".into()),
        }
        .into_attachment(&ticket, 0, &client, &UploadRules::default())
        .unwrap();
        stale.id = id_at(long_ago);
        stale.url = download_route(&ticket.id, &stale.id);
        let edit = TicketEdit::check(&ticket.summary);
        api.store.add_attachment(&stale, &edit).await.unwrap();
    }
    let items = all_items(&api.store).await;
    let pending: Vec<_> = items
        .iter()
        .filter(
            |item| matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk.starts_with("ATT#")),
        )
        .collect();
    assert_eq!(pending.len(), ATTACHMENTS_MAX);
    // Each carries the TTL that lets the table forget it.
    assert!(pending
        .iter()
        .all(|item| matches!(item.get("ttl"), Some(AttributeValue::N(_)))));

    // They count toward nothing: another upload is declared as if there were none.
    let body = json!({"filename": "fresh.png", "size": 10, "type": "image/png"});
    let (status, reply) = send(
        &api,
        declare(&ticket.id, &body).caller("client-1", "client"),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    // And they are shown nowhere: the ticket lists only the fresh one.
    let shown = api
        .store
        .get_ticket(&ticket.id)
        .await
        .unwrap()
        .unwrap()
        .visible_to(&client, Timestamp::now());
    assert_eq!(shown.attachments.len(), 1);
    assert_eq!(shown.attachments[0].filename, "fresh.png");

    // Fresh pending uploads do count: the cap's worth of them refuses one more.
    for n in 1..ATTACHMENTS_MAX {
        let body = json!({"filename": format!("f{n}.png"), "size": 10, "type": "image/png"});
        let (status, _) = send(
            &api,
            declare(&ticket.id, &body).caller("client-1", "client"),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, reply) = send(
        &api,
        declare(&ticket.id, &body).caller("client-1", "client"),
    )
    .await;
    assert_eq!(status, 409, "{reply}");
}
