//! Concurrent `PATCH`es on one ticket, against the local DynamoDB API.

use std::sync::Arc;

use serde_json::json;
use tickets_domain::store::TicketReader;
use tickets_dynamodb::testing::{fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};
use update_ticket::handle;

async fn patch(
    api: Arc<Api<DynamoStore>>,
    id: String,
    body: serde_json::Value,
    if_match: Option<&'static str>,
) -> u16 {
    let mut req = TestRequest::new("PATCH", format!("/v2/support-tickets/{id}"))
        .ticket(&id)
        .caller("agent-1", "agent")
        .json(&body);
    if let Some(version) = if_match {
        req = req.header("If-Match", version);
    }
    read(handle(&api, req.build()).await.unwrap()).0
}

#[tokio::test]
async fn a_hundred_patches_with_the_same_if_match_give_one_200_and_99_412() {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Contended").await;
    let api = Arc::new(Api::new(store, Auth::default()));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..100 {
        let body = json!({"title": format!("Title {n}")});
        tasks.spawn(patch(api.clone(), ticket.id.clone(), body, Some("\"1\"")));
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 99);
    assert_eq!(
        api.store
            .get_summary(&ticket.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );
}

#[tokio::test]
async fn concurrent_patches_of_different_fields_lose_none() {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Many hands").await;
    let api = Arc::new(Api::new(store, Auth::default()));
    let changes = [
        json!({"title": "New title"}),
        json!({"description": "New description"}),
        json!({"priority": "urgent"}),
        json!({"category": "billing"}),
        json!({"assignedTo": "agent-7"}),
        json!({"tags": ["vip"]}),
        json!({"resolution": "Draft resolution"}),
        json!({"status": "in_progress"}),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for change in changes.clone() {
        tasks.spawn(patch(api.clone(), ticket.id.clone(), change, None));
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let stored =
        serde_json::to_value(api.store.get_summary(&ticket.id).await.unwrap().unwrap()).unwrap();
    for change in changes {
        for (field, value) in change.as_object().unwrap() {
            assert_eq!(&stored[field], value, "{field} was lost");
        }
    }
    assert_eq!(stored["version"], 1 + 8);
}
