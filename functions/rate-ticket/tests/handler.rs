//! `rate-ticket` in-process, against the local DynamoDB API.

use rate_ticket::{handle, Window};
use serde_json::{json, Value};
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_domain::{Status, Ticket};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

async fn setup(status: Status) -> (Api<DynamoStore>, Ticket) {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Printer jam").await;
    let mut after = ticket.summary.clone();
    after.status = status;
    after.version += 1;
    store.save_ticket(&ticket.summary, &after).await.unwrap();
    let ticket = store.get_ticket(&ticket.id).await.unwrap().unwrap();
    (Api::new(store, Auth::default()), ticket)
}

fn rate(id: &str, body: &Value) -> TestRequest {
    TestRequest::new("PUT", format!("/v2/support-tickets/{id}/satisfaction"))
        .ticket(id)
        .json(body)
}

async fn send(api: &Api<DynamoStore>, window: u32, req: TestRequest) -> (u16, Value) {
    read(handle(api, Window(window), req.build()).await.unwrap())
}

#[tokio::test]
async fn the_owner_rates_a_closed_ticket_and_changes_the_rating_once_more() {
    let (api, ticket) = setup(Status::Closed).await;
    let body = json!({"rating": "bad", "comment": "Took a week"});
    let (status, reply) = send(
        &api,
        7,
        rate(&ticket.id, &body).caller("client-1", "client"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["data"]["satisfaction"]["rating"], "bad");
    assert_eq!(reply["data"]["satisfaction"]["comment"], "Took a week");
    assert_eq!(reply["data"]["version"], ticket.version + 1);
    let first = reply["data"]["satisfaction"]["ratedAt"].clone();

    let (status, reply) = send(
        &api,
        7,
        rate(&ticket.id, &json!({"rating": "good"})).caller("client-1", "client"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["data"]["satisfaction"]["rating"], "good");
    assert_eq!(reply["data"]["satisfaction"]["firstRatedAt"], first);
    // Staff read it on the ticket too.
    let stored = api.store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert_eq!(
        stored.satisfaction.as_ref().map(|s| s.rating.to_string()),
        Some("good".into())
    );
}

#[tokio::test]
async fn others_open_tickets_and_a_closed_window_change_nothing() {
    let (api, ticket) = setup(Status::Resolved).await;
    let good = json!({"rating": "good"});
    let before = all_items(&api.store).await;
    for (sub, role, want) in [
        ("agent-1", "agent", 403),
        ("admin-1", "admin", 403),
        ("client-2", "client", 404),
    ] {
        let (status, reply) = send(&api, 7, rate(&ticket.id, &good).caller(sub, role)).await;
        assert_eq!(status, want, "{sub}: {reply}");
    }
    for bad in [
        json!({}),
        json!({"rating": "great"}),
        json!({"rating": "good", "extra": 1}),
    ] {
        let (status, reply) =
            send(&api, 7, rate(&ticket.id, &bad).caller("client-1", "client")).await;
        assert!(status == 400 || status == 422, "{bad}: {status} {reply}");
    }
    assert_eq!(all_items(&api.store).await, before, "nothing changed");

    let (open_api, open) = setup(Status::Open).await;
    let (status, _) = send(
        &open_api,
        7,
        rate(&open.id, &good).caller("client-1", "client"),
    )
    .await;
    assert_eq!(status, 409);

    // With a window of 0 days, the first rating is the last.
    let (status, _) = send(
        &api,
        0,
        rate(&ticket.id, &good).caller("client-1", "client"),
    )
    .await;
    assert_eq!(status, 200);
    let bad = json!({"rating": "bad"});
    let (status, reply) = send(&api, 0, rate(&ticket.id, &bad).caller("client-1", "client")).await;
    assert_eq!(status, 409, "{reply}");
}
