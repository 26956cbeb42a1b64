//! `get-sla-policies` in-process, against the local DynamoDB API: staff read the document (an
//! empty one before the first is written), clients may not.

use get_sla_policies::handle;
use serde_json::Value;
use tickets_domain::sla::SlaDocument;
use tickets_domain::store::{SlaStore, StoredSla};
use tickets_dynamodb::testing::fresh_store;
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

async fn get(api: &Api<DynamoStore>, sub: &str, role: &str) -> (u16, Value) {
    let req = TestRequest::new("GET", "/v2/sla-policies").caller(sub, role);
    read(handle(api, req.build()).await.unwrap())
}

#[tokio::test]
async fn staff_read_the_policies_and_clients_may_not() {
    let (store, _) = fresh_store().await;
    let api = Api::new(store, Auth::default());
    let (status, reply) = get(&api, "agent-1", "agent").await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["data"]["version"], 0);
    assert_eq!(reply["data"]["policies"], serde_json::json!([]));

    let document: SlaDocument = serde_json::from_value(serde_json::json!({
        "policies": [{"name": "All", "targets": {"low": {"resolution": 600}}}]
    }))
    .unwrap();
    let stored = StoredSla {
        document,
        version: 1,
        updated_at: Some(tickets_domain::Timestamp::now()),
        updated_by: Some("admin-1".into()),
    };
    api.store.put_sla(&stored, 0).await.unwrap();
    let (status, reply) = get(&api, "admin-1", "admin").await;
    assert_eq!(
        (status, &reply["data"]["policies"][0]["name"]),
        (200, &Value::from("All"))
    );
    assert_eq!(reply["data"]["updatedBy"], "admin-1");

    let (status, _) = get(&api, "client-1", "client").await;
    assert_eq!(status, 403);
}
