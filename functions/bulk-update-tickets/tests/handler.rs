//! `bulk-update-tickets` in-process, against the local DynamoDB API: one line per id with the
//! status, code and details a single change would answer, and a replay under the same key.

use bulk_update_tickets::handle;
use serde_json::{json, Value};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

fn bulk(body: &Value) -> TestRequest {
    TestRequest::new("PATCH", "/v2/support-tickets").json(body)
}

async fn send(api: &Api<DynamoStore>, req: TestRequest) -> (u16, Value) {
    read(handle(api, req.build()).await.unwrap())
}

#[tokio::test]
async fn each_id_is_answered_as_a_single_change_would_be() {
    let (store, _) = fresh_store().await;
    let open = seed_ticket(&store, "client-1", "Open").await.summary;
    let other = seed_ticket(&store, "client-2", "Other").await.summary;
    let api = Api::new(store, Auth::default());
    let unknown = tickets_domain::model::new_id();
    let body = json!({
        "ids": [open.id, {"_id": other.id, "version": 9}, unknown],
        "changes": {"priority": "urgent", "assignedTo": "me"}
    });
    let req = || {
        bulk(&body)
            .caller("agent-1", "agent")
            .header("Idempotency-Key", "bulk-1")
    };
    let (status, reply) = send(&api, req()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["data"][0],
        json!({"_id": open.id, "status": 200, "version": open.version + 1})
    );
    assert_eq!(reply["data"][1]["status"], 412);
    assert_eq!(reply["data"][1]["code"], "PRECONDITION_FAILED");
    assert_eq!(reply["data"][2]["status"], 404);
    assert_eq!(reply["data"][2]["code"], "NOT_FOUND");

    let stored = all_items(&api.store).await;
    let (status, again) = send(&api, req()).await;
    assert_eq!((status, &again), (200, &reply));
    assert_eq!(
        all_items(&api.store).await,
        stored,
        "a replay writes nothing"
    );

    // A field the rules refuse is each ticket's 422, with its details.
    let bad = json!({"ids": [open.id], "changes": {"priority": "whenever"}});
    let (_, reply) = send(&api, bulk(&bad).caller("agent-1", "agent")).await;
    assert_eq!(reply["data"][0]["status"], 422);
    assert_eq!(reply["data"][0]["details"][0]["field"], "priority");
}

#[tokio::test]
async fn clients_and_malformed_requests_change_nothing() {
    let (store, _) = fresh_store().await;
    let open = seed_ticket(&store, "client-1", "Open").await.summary;
    let api = Api::new(store, Auth::default());
    let before = all_items(&api.store).await;
    let change = json!({"ids": [open.id], "changes": {"title": "Mine now"}});
    for (req, want) in [
        (bulk(&change).caller("client-1", "client"), 403),
        (bulk(&change), 401),
        (
            bulk(&json!({"ids": [], "changes": {}})).caller("agent-1", "agent"),
            422,
        ),
        (
            bulk(&json!({"ids": [open.id]})).caller("agent-1", "agent"),
            422,
        ),
        (
            bulk(&json!({"ids": ["nope"], "changes": {"title": "x"}})).caller("agent-1", "agent"),
            422,
        ),
        (
            bulk(&json!({"ids": [open.id], "changes": {"bogus": 1}})).caller("agent-1", "agent"),
            400,
        ),
    ] {
        let (status, reply) = send(&api, req).await;
        assert_eq!(status, want, "{reply}");
    }
    assert_eq!(all_items(&api.store).await, before);
}
