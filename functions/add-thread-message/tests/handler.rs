//! `add-thread-message` in-process, against the local DynamoDB API.

use add_thread_message::handle;
use serde_json::{json, Value};
use tickets_domain::doubles::MemoryQueue;
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_domain::{Status, Ticket, Timestamp};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

async fn setup() -> (Api<DynamoStore, (), MemoryQueue>, Ticket) {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Thread").await;
    (
        Api::new(store, Auth::default()).with_jobs(MemoryQueue::default()),
        ticket,
    )
}

fn post(id: &str, body: &Value) -> TestRequest {
    TestRequest::new("POST", format!("/v2/support-tickets/{id}/threads"))
        .ticket(id)
        .json(body)
}

async fn send(api: &Api<DynamoStore, (), MemoryQueue>, req: TestRequest) -> (u16, Value) {
    read(handle(api, req.build()).await.unwrap())
}

#[tokio::test]
async fn owner_agents_and_admins_write_and_the_type_follows_the_role() {
    let (api, ticket) = setup().await;
    let cases = [
        ("client-1", "client", "user"),
        ("agent-1", "agent", "agent"),
        ("admin-1", "admin", "agent"),
    ];
    for (sub, role, kind) in cases {
        let (status, reply) = send(
            &api,
            post(&ticket.id, &json!({"message": format!("hi from {sub}")})).caller(sub, role),
        )
        .await;
        assert_eq!(status, 201, "{reply}");
        assert_eq!(reply["data"]["type"], kind);
        assert_eq!(reply["data"]["author"], sub);
        assert_eq!(reply["data"]["internal"], false);
    }
    let stored = api.store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert_eq!(stored.threads.len(), 4);
    // Only the agent's first response changed a field of the ticket.
    assert_eq!(stored.version, 2);
    assert!(stored.first_response_at.is_some());
}

#[tokio::test]
async fn other_clients_and_anonymous_callers_write_nothing() {
    let (api, ticket) = setup().await;
    let before = all_items(&api.store).await;
    let body = json!({"message": "let me in"});
    assert_eq!(
        send(&api, post(&ticket.id, &body).caller("client-2", "client"))
            .await
            .0,
        404
    );
    assert_eq!(send(&api, post(&ticket.id, &body)).await.0, 401);
    let missing = tickets_domain::model::new_id();
    assert_eq!(
        send(&api, post(&missing, &body).caller("agent-1", "agent"))
            .await
            .0,
        404
    );
    assert_eq!(all_items(&api.store).await, before);
}

#[tokio::test]
async fn bad_messages_get_the_documented_code_and_write_nothing() {
    let (api, ticket) = setup().await;
    let before = all_items(&api.store).await;
    let client = |body: Value| post(&ticket.id, &body).caller("client-1", "client");
    let cases = [
        (client(json!({})), 422, "VALIDATION_FAILED"),
        (client(json!({"message": "  "})), 422, "VALIDATION_FAILED"),
        (
            client(json!({"message": "x".repeat(64 * 1024 + 1)})),
            422,
            "VALIDATION_FAILED",
        ),
        (client(json!({"message": 5})), 400, "INVALID_BODY"),
        (
            client(json!({"message": "hi", "internal": "yes"})),
            400,
            "INVALID_BODY",
        ),
        (
            client(json!({"message": "hi", "type": "agent"})),
            400,
            "INVALID_BODY",
        ),
        (
            client(json!({"message": "psst", "internal": true})),
            403,
            "FORBIDDEN",
        ),
    ];
    for (req, want_status, want_code) in cases {
        let (status, reply) = send(&api, req).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (want_status, Some(want_code)),
            "{reply}"
        );
    }
    assert_eq!(all_items(&api.store).await, before);
}

#[tokio::test]
async fn a_closed_ticket_takes_no_message() {
    let (api, ticket) = setup().await;
    let mut closed = ticket.summary.clone();
    closed.status = Status::Closed;
    closed.resolution = Some("done".into());
    closed.closed_at = Some(Timestamp::now());
    closed.version += 1;
    api.store
        .save_ticket(&ticket.summary, &closed)
        .await
        .unwrap();
    let before = all_items(&api.store).await;
    let req = post(&ticket.id, &json!({"message": "one more thing"})).caller("agent-1", "agent");
    let (status, reply) = send(&api, req).await;
    assert_eq!((status, reply["code"].as_str()), (409, Some("CONFLICT")));
    assert_eq!(all_items(&api.store).await, before);
}

#[tokio::test]
async fn agents_write_internal_notes() {
    let (api, ticket) = setup().await;
    let req = post(
        &ticket.id,
        &json!({"message": "VIP customer", "internal": true}),
    )
    .caller("agent-1", "agent");
    let (status, reply) = send(&api, req).await;
    assert_eq!(
        (status, reply["data"]["internal"].as_bool()),
        (201, Some(true))
    );
    let stored = api.store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert_eq!(
        stored.first_response_at, None,
        "an internal note is no response"
    );
}
