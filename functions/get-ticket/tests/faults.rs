//! `get-ticket` with storage faults injected between the function and the local DynamoDB API:
//! reads retry through transient faults; faults that persist answer 503 with `Retry-After` and
//! nothing internal.

use get_ticket::handle;
use serde_json::json;
use tickets_domain::Ticket;
use tickets_dynamodb::testing::{fresh_store_behind, seed_ticket, FaultProxy};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

async fn setup(proxy: &FaultProxy) -> (Api<DynamoStore>, Ticket) {
    let (store, _) = fresh_store_behind(proxy).await;
    let ticket = seed_ticket(&store, "client-1", "Faulty").await;
    (Api::new(store, Auth::default()), ticket)
}

async fn get(api: &Api<DynamoStore>, id: &str) -> (u16, serde_json::Value, Option<String>) {
    let req = TestRequest::new("GET", format!("/v2/support-tickets/{id}"))
        .ticket(id)
        .caller("client-1", "client");
    let response = handle(api, req.build()).await.unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, body) = read(response);
    (status, body, retry_after)
}

#[tokio::test]
async fn reads_succeed_through_transient_throttling_errors_drops_and_timeouts() {
    let proxy = FaultProxy::start();
    let (api, ticket) = setup(&proxy).await;
    for plan in [
        json!(["throttle", "throttle"]),
        json!(["error", "error"]),
        json!(["drop"]),
        json!(["delay"]),
        json!(["throttle", "drop"]),
    ] {
        proxy.configure(json!({"plan": plan, "delay_seconds": 2.5}));
        let (status, body, _) = get(&api, &ticket.id).await;
        assert_eq!(status, 200, "{plan}: {body}");
        assert_eq!(body["data"]["_id"], ticket.id.as_str());
    }
    let injected = &proxy.report()["injected"];
    assert_eq!(
        (
            injected["throttle"].as_u64(),
            injected["error"].as_u64(),
            injected["drop"].as_u64(),
            injected["delay"].as_u64()
        ),
        (Some(3), Some(2), Some(2), Some(1))
    );
}

#[tokio::test]
async fn faults_that_persist_answer_503_with_retry_after_and_no_internals() {
    let proxy = FaultProxy::start();
    let (api, ticket) = setup(&proxy).await;
    for kind in ["throttle", "error", "drop"] {
        proxy.configure(json!({"rate": 1.0, "kinds": [kind]}));
        let (status, body, retry_after) = get(&api, &ticket.id).await;
        assert_eq!(status, 503, "{kind}: {body}");
        assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
        assert!(retry_after.is_some());
        let text = body.to_string();
        for internal in [
            "Throttling",
            "InternalServerError",
            "dispatch",
            "tickets-test",
            "TICKET#",
        ] {
            assert!(!text.contains(internal), "{kind}: leaks {internal}: {text}");
        }
    }
    proxy.configure(json!({"rate": 0.0}));
    assert_eq!(get(&api, &ticket.id).await.0, 200, "and it recovers");
}
