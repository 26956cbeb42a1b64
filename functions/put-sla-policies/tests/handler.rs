//! `put-sla-policies` in-process, against the local DynamoDB API: admins replace the document,
//! every broken rule is a 422 naming its field and stores nothing, `If-Match` guards the version.

use put_sla_policies::handle;
use serde_json::{json, Value};
use tickets_domain::store::SlaStore;
use tickets_dynamodb::testing::fresh_store;
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

fn put(body: &Value) -> TestRequest {
    TestRequest::new("PUT", "/v2/sla-policies").json(body)
}

async fn send(api: &Api<DynamoStore>, req: TestRequest) -> (u16, Value) {
    read(handle(api, req.build()).await.unwrap())
}

fn office() -> Value {
    json!({
        "schedule": {"timeZone": "Europe/Madrid", "hours": {"mon": [["09:00", "18:00"]]}},
        "policies": [{"name": "Office", "businessHours": true,
                      "targets": {"urgent": {"firstResponse": 30}}}]
    })
}

#[tokio::test]
async fn an_admin_replaces_the_policies_under_their_version() {
    let (store, _) = fresh_store().await;
    let api = Api::new(store, Auth::default());
    let (status, reply) = send(&api, put(&office()).caller("admin-1", "admin")).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["data"]["version"], 1);
    assert_eq!(reply["data"]["updatedBy"], "admin-1");
    assert_eq!(reply["data"]["policies"][0]["name"], "Office");

    let stale = put(&json!({"policies": []}))
        .caller("admin-1", "admin")
        .header("If-Match", "\"7\"");
    let (status, reply) = send(&api, stale).await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (412, Some("PRECONDITION_FAILED"))
    );
    let current = put(&json!({"policies": []}))
        .caller("admin-1", "admin")
        .header("If-Match", "\"1\"");
    let (status, reply) = send(&api, current).await;
    assert_eq!((status, reply["data"]["version"].as_u64()), (200, Some(2)));
}

#[tokio::test]
async fn broken_rules_and_other_callers_store_nothing() {
    let (store, _) = fresh_store().await;
    let api = Api::new(store, Auth::default());
    let broken = json!({
        "schedule": {"timeZone": "Atlantis/Capital",
                     "hours": {"mon": [["10:00", "09:00"], ["08:00", "12:00"], ["11:00", "13:00"]]}},
        "policies": [{"name": "X", "targets": {"asap": {"firstResponse": -1},
                                                "low": {"resolution": 0}}}]
    });
    let (status, reply) = send(&api, put(&broken).caller("admin-1", "admin")).await;
    assert_eq!(status, 422, "{reply}");
    let fields: Vec<&str> = reply["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "schedule.timeZone",
            "schedule.hours.mon[0]",
            "schedule.hours.mon[2]",
            "policies[0].targets.asap",
            "policies[0].targets.low.resolution",
        ]
    );
    for (req, want) in [
        (put(&office()).caller("agent-1", "agent"), 403),
        (put(&office()).caller("client-1", "client"), 403),
        (put(&office()), 401),
        (
            put(&json!({"policies": [], "extra": true})).caller("admin-1", "admin"),
            400,
        ),
    ] {
        let (status, reply) = send(&api, req).await;
        assert_eq!(status, want, "{reply}");
    }
    assert!(
        api.store.get_sla().await.unwrap().is_none(),
        "nothing stored"
    );
}
