//! `merge-tickets` in-process, against the local DynamoDB API: the answer, its `ETag`, a replay
//! under the same `Idempotency-Key`, and refusals that change nothing.

use merge_tickets::handle;
use serde_json::{json, Value};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

fn merge(target: &str, body: &Value) -> TestRequest {
    TestRequest::new("POST", format!("/v2/support-tickets/{target}/merge"))
        .ticket(target)
        .json(body)
}

async fn send(api: &Api<DynamoStore>, req: TestRequest) -> (u16, Value, Option<String>) {
    let response = handle(api, req.build()).await.unwrap();
    let etag = response
        .headers()
        .get("etag")
        .map(|value| value.to_str().unwrap().to_owned());
    let (status, body) = read(response);
    (status, body, etag)
}

#[tokio::test]
async fn a_merge_answers_the_target_and_a_retry_under_its_key_the_same() {
    let (store, _) = fresh_store().await;
    let target = seed_ticket(&store, "client-1", "Printer").await.summary;
    let a = seed_ticket(&store, "client-1", "Printer 2")
        .await
        .summary
        .id;
    let b = seed_ticket(&store, "client-1", "Printer 3")
        .await
        .summary
        .id;
    let api = Api::new(store, Auth::default());
    let body = json!({"sources": [a, b], "comment": "Same printer"});
    let req = || {
        merge(&target.id, &body)
            .caller("agent-1", "agent")
            .header("Idempotency-Key", "merge-1")
    };

    let (status, first, etag) = send(&api, req()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["data"]["_id"], target.id);
    assert_eq!(first["data"]["mergedFrom"], json!([a, b]));
    assert_eq!(first["data"]["description"], target.description);
    assert_eq!(etag, Some(format!("\"{}\"", target.version + 1)));

    let stored = all_items(&api.store).await;
    let (status, again, etag_again) = send(&api, req()).await;
    assert_eq!((status, &again, &etag_again), (200, &first, &etag));
    assert_eq!(
        all_items(&api.store).await,
        stored,
        "a replay writes nothing"
    );

    // The same key with another body is refused; without a key the sources are closed now.
    let other = merge(&target.id, &json!({"sources": [a]}))
        .caller("agent-1", "agent")
        .header("Idempotency-Key", "merge-1");
    let (status, reply, _) = send(&api, other).await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (422, Some("VALIDATION_FAILED"))
    );
    let (status, reply, _) = send(&api, merge(&target.id, &body).caller("agent-1", "agent")).await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (409, Some("CONFLICT")),
        "{reply}"
    );
    assert_eq!(all_items(&api.store).await, stored);
}

#[tokio::test]
async fn refusals_answer_their_documented_status_and_change_nothing() {
    let (store, _) = fresh_store().await;
    let target = seed_ticket(&store, "client-1", "Target").await.summary.id;
    let mine = seed_ticket(&store, "client-1", "Mine").await.summary.id;
    let theirs = seed_ticket(&store, "client-2", "Theirs").await.summary.id;
    let api = Api::new(store, Auth::default());
    let before = all_items(&api.store).await;
    let unknown = tickets_domain::model::new_id();
    let cases = [
        (
            merge(&target, &json!({"sources": [mine]})).caller("client-1", "client"),
            403,
        ),
        (merge(&target, &json!({"sources": [mine]})), 401),
        (
            merge(&target, &json!({"sources": [theirs]})).caller("agent-1", "agent"),
            409,
        ),
        (
            merge(&target, &json!({"sources": [target]})).caller("agent-1", "agent"),
            422,
        ),
        (
            merge(&target, &json!({"sources": [unknown]})).caller("agent-1", "agent"),
            422,
        ),
        (
            merge(&target, &json!({"sources": []})).caller("agent-1", "agent"),
            422,
        ),
        (
            merge(&target, &json!({"sources": [mine], "extra": 1})).caller("agent-1", "agent"),
            400,
        ),
        (
            merge(&unknown, &json!({"sources": [mine]})).caller("agent-1", "agent"),
            404,
        ),
        (
            merge(&target, &json!({"sources": [mine]}))
                .caller("agent-1", "agent")
                .header("Idempotency-Key", " "),
            400,
        ),
    ];
    for (n, (req, want)) in cases.into_iter().enumerate() {
        let (status, reply, _) = send(&api, req).await;
        assert_eq!(status, want, "case {n}: {reply}");
        assert_eq!(reply["success"], false);
    }
    assert_eq!(all_items(&api.store).await, before);
}
