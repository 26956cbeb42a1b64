//! `ingest-tickets` in-process: SQS batches as Lambda delivers them, against the local
//! DynamoDB API.

use ingest_tickets::handle;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use tickets_domain::store::TicketReader;
use tickets_dynamodb::testing::{fresh_store, stored_ticket_ids};

fn message(id: &str, body: &str) -> Value {
    json!({
        "messageId": id,
        "receiptHandle": format!("handle-{id}"),
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1795000000001"
        },
        "messageAttributes": {},
        "md5OfBody": "0",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:tickets-ingest",
        "awsRegion": "us-east-1"
    })
}

fn batch(messages: Vec<Value>) -> LambdaEvent<aws_lambda_events::event::sqs::SqsEvent> {
    LambdaEvent::new(
        serde_json::from_value(json!({"Records": messages})).unwrap(),
        Context::default(),
    )
}

fn command(title: &str) -> String {
    json!({
        "client": "client-42",
        "title": title,
        "description": "Sent by the e-mail gateway",
        "priority": "medium",
        "category": "general",
        "tags": ["email"]
    })
    .to_string()
}

#[tokio::test]
async fn each_message_opens_one_ticket_and_only_bad_ones_are_reported() {
    let (store, _) = fresh_store().await;
    let event = batch(vec![
        message("m-1", &command("Invoice question")),
        message("m-2", "{not json"),
        message(
            "m-3",
            &json!({"client": "client-42", "title": ""}).to_string(),
        ),
        message("m-4", &command("Password reset")),
        message("m-1", &command("Invoice question")),
    ]);
    let response = handle(&store, event).await.unwrap();
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m-2", "m-3"]);

    let ids = stored_ticket_ids(&store).await;
    assert_eq!(
        ids.len(),
        2,
        "the duplicate delivery of m-1 created nothing"
    );
    for id in ids {
        let ticket = store.get_ticket(&id).await.unwrap().unwrap();
        assert_eq!(ticket.client, "client-42");
        assert_eq!(ticket.threads[0].message, "Sent by the e-mail gateway");
    }
}

#[tokio::test]
async fn the_same_batch_delivered_twice_changes_nothing_the_second_time() {
    let (store, _) = fresh_store().await;
    let messages = vec![message("a", &command("One")), message("b", &command("Two"))];
    handle(&store, batch(messages.clone())).await.unwrap();
    let first = stored_ticket_ids(&store).await;
    let response = handle(&store, batch(messages)).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(stored_ticket_ids(&store).await, first);
}

#[tokio::test]
async fn the_fixture_in_the_repository_is_a_valid_event() {
    let (store, _) = fresh_store().await;
    let fixture: Value =
        serde_json::from_str(include_str!("../../../events/ingest-tickets.json")).unwrap();
    let event = LambdaEvent::new(serde_json::from_value(fixture).unwrap(), Context::default());
    let response = handle(&store, event).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(stored_ticket_ids(&store).await.len(), 1);
}
