//! `get-ticket` in-process, against the local DynamoDB API.

use get_ticket::handle;
use serde_json::Value;
use tickets_domain::store::{TicketCreator, TicketWriter};
use tickets_domain::{MessageType, ThreadMessage, Timestamp};
use tickets_dynamodb::testing::{fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

async fn api() -> Api<DynamoStore> {
    let (store, _) = fresh_store().await;
    Api::new(store, Auth::default())
}

async fn get(api: &Api<DynamoStore>, id: &str, caller: Option<(&str, &str)>) -> (u16, Value) {
    let mut req = TestRequest::new("GET", format!("/v2/support-tickets/{id}")).ticket(id);
    if let Some((sub, role)) = caller {
        req = req.caller(sub, role);
    }
    read(handle(api, req.build()).await.unwrap())
}

#[tokio::test]
async fn the_owner_agents_and_admins_read_the_whole_ticket() {
    let api = api().await;
    let ticket = seed_ticket(&api.store, "client-1", "Login broken").await;
    for caller in [
        ("client-1", "client"),
        ("agent-1", "agent"),
        ("admin-1", "admin"),
    ] {
        let (status, body) = get(&api, &ticket.id, Some(caller)).await;
        assert_eq!(status, 200, "{caller:?}");
        assert_eq!(body["success"], true);
        assert_eq!(body["data"]["_id"], ticket.id.as_str());
        assert_eq!(body["data"]["status"], "open");
        assert_eq!(body["data"]["threads"][0]["message"], "About Login broken");
    }
}

#[tokio::test]
async fn the_etag_is_the_version() {
    let api = api().await;
    let ticket = seed_ticket(&api.store, "client-1", "Etag").await;
    let req = TestRequest::new("GET", "/")
        .ticket(&ticket.id)
        .caller("client-1", "client");
    let response = handle(&api, req.build()).await.unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
}

#[tokio::test]
async fn another_clients_ticket_is_not_found_exactly_like_a_missing_one() {
    let api = api().await;
    let ticket = seed_ticket(&api.store, "client-1", "Private").await;
    let (status, mut hidden) = get(&api, &ticket.id, Some(("client-2", "client"))).await;
    assert_eq!(status, 404);
    let missing_id = tickets_domain::model::new_id();
    let (status, mut missing) = get(&api, &missing_id, Some(("client-2", "client"))).await;
    assert_eq!(status, 404);
    // Nothing but the request id may tell the two apart.
    hidden["requestId"] = Value::Null;
    missing["requestId"] = Value::Null;
    assert_eq!(hidden, missing);
    assert_eq!(hidden["code"], "NOT_FOUND");
}

#[tokio::test]
async fn no_identity_is_unauthorized_and_a_malformed_id_is_not_found() {
    let api = api().await;
    let ticket = seed_ticket(&api.store, "client-1", "Anon").await;
    let (status, body) = get(&api, &ticket.id, None).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("UNAUTHORIZED")));
    let (status, _) = get(&api, "..%2Fetc", Some(("agent-1", "agent"))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn clients_never_see_internal_notes() {
    let api = api().await;
    let mut ticket = seed_ticket(&api.store, "client-1", "Notes").await;
    // A ticket stored with an internal note beside the public thread.
    ticket.summary.id = tickets_domain::model::new_id();
    ticket.threads.push(ThreadMessage {
        id: tickets_domain::model::new_id(),
        author: "agent-1".into(),
        message: "Customer seems confused".into(),
        timestamp: Timestamp::now(),
        kind: MessageType::Agent,
        internal: true,
    });
    api.store.create_ticket(&ticket, None).await.unwrap();

    let (_, client_view) = get(&api, &ticket.id, Some(("client-1", "client"))).await;
    assert_eq!(client_view["data"]["threads"].as_array().unwrap().len(), 1);
    assert!(!client_view.to_string().contains("Customer seems confused"));
    let (_, agent_view) = get(&api, &ticket.id, Some(("agent-1", "agent"))).await;
    assert_eq!(agent_view["data"]["threads"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_deleted_ticket_is_visible_to_admins_only() {
    let api = api().await;
    let ticket = seed_ticket(&api.store, "client-1", "Gone").await;
    let mut deleted = ticket.summary.clone();
    deleted.deleted_at = Some(Timestamp::now());
    deleted.version += 1;
    api.store
        .save_ticket(&ticket.summary, &deleted)
        .await
        .unwrap();

    assert_eq!(
        get(&api, &ticket.id, Some(("client-1", "client"))).await.0,
        404
    );
    assert_eq!(
        get(&api, &ticket.id, Some(("agent-1", "agent"))).await.0,
        404
    );
    let (status, body) = get(&api, &ticket.id, Some(("admin-1", "admin"))).await;
    assert_eq!(status, 200);
    assert!(body["data"]["deletedAt"].is_string());
}
