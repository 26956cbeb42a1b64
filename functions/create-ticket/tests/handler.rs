//! `create-ticket` in-process, against the local DynamoDB API.

use create_ticket::handle;
use serde_json::{json, Value};
use tickets_domain::doubles::MemoryQueue;
use tickets_domain::store::TicketReader;
use tickets_dynamodb::testing::{all_items, fresh_store, stored_ticket_ids};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

async fn api() -> Api<DynamoStore, (), MemoryQueue> {
    let (store, _) = fresh_store().await;
    Api::new(store, Auth::default()).with_jobs(MemoryQueue::default())
}

fn valid() -> Value {
    json!({
        "title": "Cannot log in",
        "description": "The login page answers with an error.",
        "priority": "high",
        "category": "technical"
    })
}

fn post(body: &Value) -> TestRequest {
    TestRequest::new("POST", "/v2/support-tickets").json(body)
}

async fn send(api: &Api<DynamoStore, (), MemoryQueue>, req: TestRequest) -> (u16, Value) {
    read(handle(api, req.build()).await.unwrap())
}

#[tokio::test]
async fn the_documented_create_answers_the_open_ticket_with_its_first_message() {
    let api = api().await;
    let body = json!({
        "title": "Cannot verify identity",
        "description": "The document upload keeps failing.",
        "priority": "high",
        "category": "technical",
        "tags": ["Verification", "upload"],
        "attachments": [{
            "filename": "screenshot.png",
            "url": "https://files.example.com/screenshot.png",
            "size": 20480,
            "type": "image/png"
        }]
    });
    let (status, reply) = send(&api, post(&body).caller("client-1", "client")).await;
    assert_eq!(status, 201);
    assert_eq!(reply["success"], true);
    let data = &reply["data"];
    assert_eq!(data["status"], "open");
    assert_eq!(data["client"], "client-1");
    assert_eq!(data["tags"], json!(["verification", "upload"]));
    assert_eq!(data["version"], 1);
    assert_eq!(data["threads"].as_array().unwrap().len(), 1);
    assert_eq!(
        data["threads"][0]["message"],
        "The document upload keeps failing."
    );
    assert_eq!(data["threads"][0]["type"], "user");
    assert_eq!(data["attachments"][0]["status"], "external");
    assert_eq!(data["attachments"][0]["filename"], "screenshot.png");

    let stored = api
        .store
        .get_ticket(data["_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(serde_json::to_value(&stored).unwrap(), *data);
}

#[tokio::test]
async fn staff_create_for_a_named_client_and_must_name_one() {
    let api = api().await;
    let (status, reply) = send(&api, post(&valid()).caller("agent-1", "agent")).await;
    assert_eq!(status, 422);
    assert_eq!(reply["details"][0]["field"], "client");

    let mut body = valid();
    body["client"] = json!("client-7");
    body["assignedTo"] = json!("me");
    let (status, reply) = send(&api, post(&body).caller("agent-1", "agent")).await;
    assert_eq!(status, 201);
    assert_eq!(reply["data"]["client"], "client-7");
    assert_eq!(reply["data"]["assignedTo"], "agent-1");
    assert_eq!(reply["data"]["threads"][0]["author"], "client-7");
}

#[tokio::test]
async fn a_client_sending_staff_fields_is_forbidden_and_nothing_is_written() {
    let api = api().await;
    for (field, value) in [
        ("status", json!("open")),
        ("assignedTo", json!("agent-1")),
        ("resolution", json!("done")),
        ("client", json!("client-2")),
    ] {
        let mut body = valid();
        body[field] = value;
        let (status, reply) = send(&api, post(&body).caller("client-1", "client")).await;
        assert_eq!(status, 403, "{field}");
        assert_eq!(reply["code"], "FORBIDDEN");
        assert_eq!(reply["details"][0]["field"], field);
    }
    assert!(all_items(&api.store).await.is_empty());
}

#[tokio::test]
async fn bad_input_gets_the_documented_code_and_writes_nothing() {
    let api = api().await;
    let with = |field: &str, value: Value| {
        let mut body = valid();
        body[field] = value;
        body
    };
    let client = |req: TestRequest| req.caller("client-1", "client");
    let cases: Vec<(&str, TestRequest, u16, &str)> = vec![
        (
            "malformed JSON",
            TestRequest::new("POST", "/")
                .header("content-type", "application/json")
                .raw_body("{\"title\": "),
            400,
            "INVALID_BODY",
        ),
        (
            "nested too deep",
            TestRequest::new("POST", "/")
                .header("content-type", "application/json")
                .raw_body(&format!(
                    "{{\"tags\": {}{}}}",
                    "[".repeat(200),
                    "]".repeat(200)
                )),
            400,
            "INVALID_BODY",
        ),
        (
            "not UTF-8",
            TestRequest::new("POST", "/")
                .header("content-type", "application/json")
                .binary_body(b"{\"title\": \"\xff\xfe\"}"),
            400,
            "INVALID_BODY",
        ),
        (
            "trailing garbage",
            TestRequest::new("POST", "/")
                .header("content-type", "application/json")
                .raw_body("{} {}"),
            400,
            "INVALID_BODY",
        ),
        ("not an object", post(&json!([1, 2])), 400, "INVALID_BODY"),
        (
            "wrong type",
            post(&with("title", json!(42))),
            400,
            "INVALID_BODY",
        ),
        (
            "unknown field",
            post(&with("severity", json!("high"))),
            400,
            "INVALID_BODY",
        ),
        (
            "empty body",
            TestRequest::new("POST", "/").header("content-type", "application/json"),
            400,
            "INVALID_BODY",
        ),
        (
            "not JSON content",
            TestRequest::new("POST", "/")
                .header("content-type", "text/plain")
                .raw_body("{}"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "no content type",
            TestRequest::new("POST", "/").raw_body(&valid().to_string()),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "too large",
            post(&with("description", json!("x".repeat(1024 * 1024)))),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "empty title",
            post(&with("title", json!("   "))),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "long title",
            post(&with("title", json!("x".repeat(201)))),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "long description",
            post(&with("description", json!("x".repeat(10_001)))),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "invalid enum",
            post(&with("priority", json!("critical"))),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "missing field",
            post(&json!({"title": "t"})),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "too many tags",
            post(&with(
                "tags",
                json!(vec!["t"; 21]
                    .iter()
                    .enumerate()
                    .map(|(i, _)| format!("t{i}"))
                    .collect::<Vec<_>>()),
            )),
            422,
            "VALIDATION_FAILED",
        ),
        (
            "bad attachment",
            post(&with(
                "attachments",
                json!([{"filename": "a", "url": "javascript:alert(1)", "size": 1, "type": "x"}]),
            )),
            422,
            "VALIDATION_FAILED",
        ),
    ];
    for (name, req, want_status, want_code) in cases {
        let (status, reply) = send(&api, client(req)).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (want_status, Some(want_code)),
            "{name}: {reply}"
        );
        assert_eq!(reply["success"], false);
        assert!(reply["requestId"].is_string());
    }
    let (status, reply) = send(&api, post(&valid())).await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (401, Some("UNAUTHORIZED"))
    );
    assert!(all_items(&api.store).await.is_empty());
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_first_result() {
    let api = api().await;
    let req = || {
        post(&valid())
            .caller("client-1", "client")
            .header("Idempotency-Key", "order-42")
    };
    let (first_status, first) = send(&api, req()).await;
    let (second_status, second) = send(&api, req()).await;
    assert_eq!((first_status, second_status), (201, 201));
    assert_eq!(first, second);
    assert_eq!(
        stored_ticket_ids(&api.store).await,
        [first["data"]["_id"].as_str().unwrap()]
    );

    // The same key with another body is refused; another caller's key is its own.
    let mut other = valid();
    other["title"] = json!("Something else");
    let (status, reply) = send(
        &api,
        post(&other)
            .caller("client-1", "client")
            .header("Idempotency-Key", "order-42"),
    )
    .await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (422, Some("VALIDATION_FAILED"))
    );
    let (status, reply) = send(
        &api,
        post(&valid())
            .caller("client-2", "client")
            .header("Idempotency-Key", "order-42"),
    )
    .await;
    assert_eq!(status, 201);
    assert_ne!(reply["data"]["_id"], first["data"]["_id"]);
}

#[tokio::test]
async fn a_replayed_create_carries_the_etag_of_the_first_answer() {
    let api = api().await;
    let req = || {
        post(&valid())
            .caller("client-1", "client")
            .header("Idempotency-Key", "order-43")
    };
    let first = handle(&api, req().build()).await.unwrap();
    let replay = handle(&api, req().build()).await.unwrap();
    assert_eq!(replay.status(), 201);
    assert_eq!(first.headers()["etag"], "\"1\"");
    assert_eq!(replay.headers()["etag"], first.headers()["etag"]);
    assert_eq!(read(first).1, read(replay).1);
}
