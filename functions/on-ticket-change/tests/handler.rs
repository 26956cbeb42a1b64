//! `on-ticket-change` in-process: stream batches as DynamoDB Streams delivers them, history in
//! the local DynamoDB API, events recorded by a stand-in publisher (the end-to-end tests read
//! real events back from the local bus).

use std::sync::Mutex;

use lambda_runtime::{Context, LambdaEvent};
use on_ticket_change::{handle, Deps};
use serde_json::{json, Value};
use tickets_domain::history::DomainEvent;
use tickets_domain::store::{EventPublisher, HistoryStore, PageQuery};
use tickets_domain::{MessageType, Status, StoreError, ThreadMessage, TicketSummary, Timestamp};
use tickets_dynamodb::testing::{fresh_store, seed_ticket, stream_image, stream_message_image};
use tickets_dynamodb::DynamoStore;

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl EventPublisher for Recorder {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        self.0
            .lock()
            .unwrap()
            .extend(events.iter().map(|e| e.detail_type.clone()));
        Ok(())
    }
}

fn record(seq: u32, name: &str, old: Option<Value>, new: Option<Value>) -> Value {
    let mut change = json!({
        "Keys": {"pk": {"S": "x"}, "sk": {"S": "y"}},
        "SequenceNumber": format!("{seq:021}"),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "ApproximateCreationDateTime": 1_795_000_000.0
    });
    if let Some(old) = old {
        change["OldImage"] = old;
    }
    if let Some(new) = new {
        change["NewImage"] = new;
    }
    json!({
        "eventID": format!("event-{seq}"),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/tickets/stream/2026-11-24T00:00:00.000",
        "dynamodb": change
    })
}

fn image(ticket: &TicketSummary) -> Value {
    serde_json::to_value(stream_image(ticket)).unwrap()
}

fn batch(records: Vec<Value>) -> LambdaEvent<aws_lambda_events::event::dynamodb::Event> {
    LambdaEvent::new(
        serde_json::from_value(json!({"Records": records})).unwrap(),
        Context::default(),
    )
}

async fn setup() -> (Deps<DynamoStore, Recorder, DynamoStore>, TicketSummary) {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Streamed").await.summary;
    (
        Deps {
            history: store.clone(),
            publisher: Recorder::default(),
            reports: store,
            zone: tickets_domain::reports::Tz::UTC,
        },
        ticket,
    )
}

fn changed(
    ticket: &TicketSummary,
    by: &str,
    change: impl FnOnce(&mut TicketSummary),
) -> TicketSummary {
    let mut after = ticket.clone();
    change(&mut after);
    after.version += 1;
    after.changed_by = Some(by.into());
    after.updated_at = Timestamp::now();
    after
}

#[tokio::test]
async fn changes_become_history_and_events_and_a_poison_record_fails_alone() {
    let (deps, created) = setup().await;
    let taken = changed(&created, "agent-1", |t| {
        t.status = Status::InProgress;
        t.assigned_to = Some("agent-1".into());
    });
    let mut poison = image(&taken);
    poison["status"] = json!({"S": "on_fire"});
    let message = ThreadMessage {
        id: tickets_domain::model::new_id(),
        author: "agent-1".into(),
        message: "On it".into(),
        timestamp: Timestamp::now(),
        kind: MessageType::Agent,
        internal: false,
    };
    let message_image = serde_json::to_value(stream_message_image(&taken, &message)).unwrap();
    let records = vec![
        record(1, "INSERT", None, Some(image(&created))),
        record(2, "MODIFY", Some(image(&created)), Some(poison)),
        record(3, "MODIFY", Some(image(&created)), Some(image(&taken))),
        record(4, "INSERT", None, Some(message_image)),
    ];
    let response = handle(&deps, batch(records.clone())).await.unwrap();
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    assert_eq!(failed, [format!("{:021}", 2)], "only the poison record");

    let history = deps
        .history
        .list_history(
            &created.id,
            &PageQuery {
                limit: 50,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let entries: Vec<(u64, &str, Option<&str>)> = history
        .entries
        .iter()
        .map(|e| (e.version, e.field.as_str(), e.by.as_deref()))
        .collect();
    assert_eq!(
        entries,
        [
            (1, "ticket", Some("client-1")),
            (2, "status", Some("agent-1")),
            (2, "assignedTo", Some("agent-1"))
        ]
    );
    assert_eq!(history.entries[1].old, json!("open"));
    assert_eq!(history.entries[1].new, json!("in_progress"));
    let published = deps.publisher.0.lock().unwrap().clone();
    assert_eq!(
        published,
        [
            "SupportTicket.Created",
            "SupportTicket.StatusChanged",
            "SupportTicket.Assigned",
            "SupportTicket.MessageAdded"
        ]
    );

    // The same batch again: nothing new is written or published.
    let again = handle(&deps, batch(records)).await.unwrap();
    assert_eq!(again.batch_item_failures.len(), 1);
    assert_eq!(deps.publisher.0.lock().unwrap().len(), published.len());
    let after = deps
        .history
        .list_history(
            &created.id,
            &PageQuery {
                limit: 50,
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(after.entries, history.entries);
}

#[tokio::test]
async fn items_that_are_not_ticket_changes_are_skipped() {
    let (deps, _) = setup().await;
    let counter = json!({"pk": {"S": "COUNTER#ALL#3"}, "sk": {"S": "COUNTER"}, "all": {"N": "4"}});
    let response = handle(
        &deps,
        batch(vec![record(
            1,
            "MODIFY",
            Some(counter.clone()),
            Some(counter),
        )]),
    )
    .await
    .unwrap();
    assert!(response.batch_item_failures.is_empty());
    assert!(deps.publisher.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_fixture_in_the_repository_is_a_valid_event() {
    let (deps, _) = setup().await;
    let fixture: Value =
        serde_json::from_str(include_str!("../../../events/on-ticket-change.json")).unwrap();
    let event = LambdaEvent::new(serde_json::from_value(fixture).unwrap(), Context::default());
    let response = handle(&deps, event).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
}
