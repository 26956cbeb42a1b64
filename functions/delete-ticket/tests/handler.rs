//! `delete-ticket` in-process, against the local DynamoDB API.

use delete_ticket::handle;
use serde_json::Value;
use tickets_domain::store::{Facet, Scope, TicketLister, TicketReader};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};
use tickets_s3::testing::fresh_files;
use tickets_s3::S3Files;

type Subject = Api<DynamoStore, S3Files>;

async fn api() -> Subject {
    let (store, _) = fresh_store().await;
    let (files, _, _) = fresh_files().await;
    Api::with_files(store, files, Auth::default())
}

async fn delete(api: &Subject, id: &str, caller: Option<(&str, &str)>) -> (u16, Value) {
    let mut req = TestRequest::new("DELETE", format!("/v2/support-tickets/{id}")).ticket(id);
    if let Some((sub, role)) = caller {
        req = req.caller(sub, role);
    }
    read(handle(api, req.build()).await.unwrap())
}

#[tokio::test]
async fn an_admin_soft_deletes_and_the_ticket_leaves_lists_and_counts() {
    let api = api().await;
    let ticket = seed_ticket(&api.store, "client-1", "Spam").await;
    let (status, reply) = delete(&api, &ticket.id, Some(("admin-1", "admin"))).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply["data"]["deletedAt"].is_string());
    assert_eq!(reply["data"]["version"], 2);

    let stored = api.store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert!(stored.is_deleted(), "soft delete keeps the ticket");
    for scope in [Scope::All, Scope::Client("client-1".into())] {
        assert_eq!(
            api.store
                .count_tickets(&(&scope).into())
                .await
                .unwrap()
                .get(&Facet::All),
            0
        );
    }
    let (status, reply) = delete(&api, &ticket.id, Some(("admin-1", "admin"))).await;
    assert_eq!((status, reply["code"].as_str()), (409, Some("CONFLICT")));
}

#[tokio::test]
async fn only_admins_delete_and_other_clients_learn_nothing() {
    let api = api().await;
    let ticket = seed_ticket(&api.store, "client-1", "Keep").await;
    let before = all_items(&api.store).await;
    let cases = [
        (Some(("client-1", "client")), 403),
        (Some(("agent-1", "agent")), 403),
        (Some(("client-2", "client")), 404),
        (None, 401),
    ];
    for (caller, want) in cases {
        assert_eq!(delete(&api, &ticket.id, caller).await.0, want, "{caller:?}");
    }
    assert_eq!(
        delete(
            &api,
            &tickets_domain::model::new_id(),
            Some(("admin-1", "admin"))
        )
        .await
        .0,
        404
    );
    assert_eq!(all_items(&api.store).await, before);
}
