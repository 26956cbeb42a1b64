//! `restore-ticket` in-process, against the local DynamoDB API.

use restore_ticket::handle;
use serde_json::Value;
use tickets_domain::store::{CounterSet, Facet, TicketLister, TicketWriter};
use tickets_domain::{Ticket, Timestamp};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

/// A store holding one soft-deleted ticket of `client-1`.
async fn setup() -> (Api<DynamoStore>, Ticket) {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Deleted by mistake").await;
    let mut deleted = ticket.summary.clone();
    deleted.deleted_at = Some(Timestamp::now());
    deleted.version += 1;
    store.save_ticket(&ticket.summary, &deleted).await.unwrap();
    (Api::new(store, Auth::default()), ticket)
}

async fn restore(api: &Api<DynamoStore>, id: &str, caller: Option<(&str, &str)>) -> (u16, Value) {
    let mut req = TestRequest::new("POST", format!("/v2/support-tickets/{id}/restore")).ticket(id);
    if let Some((sub, role)) = caller {
        req = req.caller(sub, role);
    }
    read(handle(api, req.build()).await.unwrap())
}

#[tokio::test]
async fn an_admin_restores_a_deleted_ticket_into_lists_and_counts() {
    let (api, ticket) = setup().await;
    let (status, reply) = restore(&api, &ticket.id, Some(("admin-1", "admin"))).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply["data"]["deletedAt"].is_null());
    assert_eq!(reply["data"]["version"], 3);
    assert_eq!(reply["data"]["threads"].as_array().unwrap().len(), 1);
    let counts = api
        .store
        .count_tickets(&CounterSet::Client("client-1".into()))
        .await
        .unwrap();
    assert_eq!(counts.get(&Facet::All), 1);

    let (status, reply) = restore(&api, &ticket.id, Some(("admin-1", "admin"))).await;
    assert_eq!((status, reply["code"].as_str()), (409, Some("CONFLICT")));
}

#[tokio::test]
async fn nobody_but_an_admin_can_see_or_restore_a_deleted_ticket() {
    let (api, ticket) = setup().await;
    let before = all_items(&api.store).await;
    let cases = [
        (Some(("client-1", "client")), 404),
        (Some(("client-2", "client")), 404),
        (Some(("agent-1", "agent")), 404),
        (None, 401),
    ];
    for (caller, want) in cases {
        assert_eq!(
            restore(&api, &ticket.id, caller).await.0,
            want,
            "{caller:?}"
        );
    }
    assert_eq!(all_items(&api.store).await, before);
}

#[tokio::test]
async fn restoring_a_live_ticket_conflicts_and_non_admins_are_forbidden() {
    let (store, _) = fresh_store().await;
    let live = seed_ticket(&store, "client-1", "Alive").await;
    let api = Api::new(store, Auth::default());
    assert_eq!(
        restore(&api, &live.id, Some(("admin-1", "admin"))).await.0,
        409
    );
    assert_eq!(
        restore(&api, &live.id, Some(("agent-1", "agent"))).await.0,
        403
    );
    assert_eq!(
        restore(&api, &live.id, Some(("client-1", "client")))
            .await
            .0,
        403
    );
    assert_eq!(
        restore(&api, &live.id, Some(("client-2", "client")))
            .await
            .0,
        404
    );
}
