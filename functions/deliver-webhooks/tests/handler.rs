//! `deliver-webhooks` in-process: SQS batches as Lambda delivers them, the subscriptions and
//! the delivery log in the local DynamoDB, and in-memory stand-ins for the queue, the
//! receivers and the bus (the end-to-end tests use the real ones). An event fans out into one
//! order per subscription that wants it, the same ids twice over; a poison message fails
//! alone; failed attempts are hidden for the schedule's pauses and reported failed; the last
//! one disables the subscription and says so; paused and removed subscriptions get nothing.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use deliver_webhooks::{handle, Deliverer};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use tickets_domain::history::DomainEvent;
use tickets_domain::store::{
    Courier, DeliveryQueue, EventPublisher, PageQuery, StoredSubscription, WebhookStore,
};
use tickets_domain::webhook::delivery::{Answer, DeliveryOrder, DeliveryStatus, Outgoing};
use tickets_domain::webhook::{NewSubscription, Reach, RetrySchedule, WebhookStatus};
use tickets_domain::{Caller, Role, StoreError, Timestamp};
use tickets_dynamodb::testing::fresh_store;
use tickets_dynamodb::DynamoStore;

#[derive(Default)]
struct Queue {
    queued: Mutex<Vec<DeliveryOrder>>,
    postponed: Mutex<Vec<(String, Duration)>>,
}

impl DeliveryQueue for Queue {
    async fn enqueue(&self, orders: &[DeliveryOrder]) -> Result<(), StoreError> {
        self.queued.lock().unwrap().extend_from_slice(orders);
        Ok(())
    }
    async fn postpone(&self, receipt: &str, pause: Duration) -> Result<(), StoreError> {
        self.postponed.lock().unwrap().push((receipt.into(), pause));
        Ok(())
    }
}

/// Receivers that answer as scripted (then 200), remembering what they were sent.
#[derive(Default)]
struct Receivers {
    answers: Mutex<VecDeque<Answer>>,
    sent: Mutex<Vec<Outgoing>>,
}

impl Courier for Receivers {
    async fn post(&self, request: &Outgoing) -> Answer {
        self.sent.lock().unwrap().push(request.clone());
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Answer::Status {
                code: 200,
                excerpt: String::new(),
            })
    }
}

#[derive(Default)]
struct Bus(Mutex<Vec<DomainEvent>>);

impl EventPublisher for Bus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        self.0.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
}

type Subject = Deliverer<DynamoStore, Queue, Receivers, Bus>;

async fn deliverer() -> Subject {
    let (store, _) = fresh_store().await;
    Deliverer {
        store,
        queue: Queue::default(),
        courier: Receivers::default(),
        events: Bus::default(),
        schedule: RetrySchedule::parse("1,2").unwrap(),
    }
}

async fn subscribe(deliverer: &Subject, events: &[&str]) -> StoredSubscription {
    let body = NewSubscription {
        url: Some("https://93.184.215.14/hooks".into()),
        events: Some(events.iter().map(|e| e.to_string()).collect()),
        description: None,
    };
    let (subscription, signing) = body
        .check(
            &Caller::new("admin-1", Role::Admin),
            Reach::default(),
            Timestamp::now(),
        )
        .unwrap();
    let stored = StoredSubscription {
        subscription,
        signing,
        last_success_at: None,
    };
    deliverer.store.put_subscription(&stored, 0).await.unwrap();
    stored
}

fn message(id: &str, body: &str, receives: u32) -> Value {
    json!({
        "messageId": id,
        "receiptHandle": format!("receipt-{id}"),
        "body": body,
        "attributes": {"ApproximateReceiveCount": receives.to_string()},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:webhooks",
        "awsRegion": "us-east-1"
    })
}

fn bus_event(id: &str, kind: &str) -> String {
    json!({
        "version": "0", "id": id, "detail-type": kind, "source": "support-tickets",
        "account": "123456789012", "time": "2026-11-30T10:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"ticketId": "01JDTICKET", "version": 1, "status": "open"}
    })
    .to_string()
}

async fn run(deliverer: &Subject, messages: Vec<Value>) -> Vec<String> {
    let event = LambdaEvent::new(
        serde_json::from_value(json!({"Records": messages})).unwrap(),
        Context::default(),
    );
    handle(deliverer, event)
        .await
        .unwrap()
        .batch_item_failures
        .into_iter()
        .map(|failure| failure.item_identifier)
        .collect()
}

#[tokio::test]
async fn an_event_fans_out_to_who_wants_it_and_a_poison_message_fails_alone() {
    let deliverer = deliverer().await;
    let created = subscribe(&deliverer, &["SupportTicket.Created"]).await;
    let everything = subscribe(&deliverer, &["*"]).await;
    subscribe(&deliverer, &["SupportTicket.Closed"]).await;
    let failed = run(
        &deliverer,
        vec![
            message("m1", &bus_event("e1", "SupportTicket.Created"), 1),
            message("m2", "{not json", 1),
            message("m3", &bus_event("e2", "SupportWebhook.Disabled"), 1),
        ],
    )
    .await;
    assert_eq!(failed, ["m2"]);
    let queued = deliverer.queue.queued.lock().unwrap().clone();
    let mut to: Vec<&str> = queued.iter().map(|o| o.subscription.as_str()).collect();
    to.sort();
    let mut expected = [
        created.subscription.id.as_str(),
        everything.subscription.id.as_str(),
    ];
    expected.sort();
    assert_eq!(to, expected);
    // The same event again (a redelivery) makes the same orders: receivers see one id.
    run(
        &deliverer,
        vec![message("m1", &bus_event("e1", "SupportTicket.Created"), 2)],
    )
    .await;
    let again = deliverer.queue.queued.lock().unwrap()[2..].to_vec();
    assert_eq!(again, queued);
    assert!(
        deliverer.courier.sent.lock().unwrap().is_empty(),
        "the fan-out sends nothing itself"
    );
}

#[tokio::test]
async fn failures_wait_for_the_schedule_then_the_subscription_is_disabled() {
    let deliverer = deliverer().await;
    let stored = subscribe(&deliverer, &["*"]).await;
    run(
        &deliverer,
        vec![message("e", &bus_event("e1", "SupportTicket.Created"), 1)],
    )
    .await;
    let order = deliverer.queue.queued.lock().unwrap()[0].clone();
    let body = serde_json::to_string(&order).unwrap();
    let refused = |code| Answer::Status {
        code,
        excerpt: "down for maintenance".into(),
    };
    deliverer.courier.answers.lock().unwrap().extend([
        refused(503),
        Answer::NoAnswer("no answer within 5 s".into()),
        refused(500),
    ]);

    // Attempts 1 and 2: hidden for the schedule's pauses (1 s, 2 s, ±20 %), reported failed.
    for receives in 1..=2 {
        let failed = run(&deliverer, vec![message("d", &body, receives)]).await;
        assert_eq!(failed, ["d"]);
        let (receipt, pause) = deliverer
            .queue
            .postponed
            .lock()
            .unwrap()
            .last()
            .cloned()
            .unwrap();
        assert_eq!(receipt, "receipt-d");
        let base = receives as f64;
        assert!(
            (0.8 * base..=1.2 * base).contains(&pause.as_secs_f64()),
            "{pause:?}"
        );
    }
    // Attempt 3, the last: the message is done with, the subscription disabled, admins told.
    assert!(run(&deliverer, vec![message("d", &body, 3)])
        .await
        .is_empty());
    assert_eq!(deliverer.queue.postponed.lock().unwrap().len(), 2);
    let id = &stored.subscription.id;
    let now = deliverer.store.subscription(id).await.unwrap().unwrap();
    assert_eq!(now.subscription.status, WebhookStatus::Disabled);
    let announced = deliverer.events.0.lock().unwrap().clone();
    assert_eq!(announced.len(), 1);
    assert_eq!(announced[0].detail_type, "SupportWebhook.Disabled");
    assert_eq!(announced[0].detail["webhookId"], id.as_str());
    let log = deliverer
        .store
        .deliveries(
            id,
            &PageQuery {
                limit: 10,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let record = &log.deliveries[0];
    assert_eq!(record.status, DeliveryStatus::Failed);
    let seen: Vec<(u32, Option<u16>)> = record
        .attempts
        .iter()
        .map(|a| (a.number, a.status_code))
        .collect();
    assert_eq!(seen, [(1, Some(503)), (2, None), (3, Some(500))]);
    assert_eq!(
        record.attempts[0].response.as_deref(),
        Some("down for maintenance")
    );
    // Every attempt carried the same webhook-id, signed with the subscription's secret.
    let sent = deliverer.courier.sent.lock().unwrap().clone();
    let ids: Vec<&str> = sent.iter().map(|r| r.headers[1].1.as_str()).collect();
    assert_eq!(ids, vec![order.webhook_id().as_str(); 3]);

    // Disabled: a queued order is dropped, nothing sent.
    assert!(run(&deliverer, vec![message("late", &body, 1)])
        .await
        .is_empty());
    assert_eq!(deliverer.courier.sent.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_success_is_noted_and_removed_or_paused_subscriptions_get_nothing() {
    let deliverer = deliverer().await;
    let stored = subscribe(&deliverer, &["*"]).await;
    let id = stored.subscription.id.clone();
    run(
        &deliverer,
        vec![message("e", &bus_event("e1", "SupportTicket.Created"), 1)],
    )
    .await;
    let order = deliverer.queue.queued.lock().unwrap()[0].clone();
    let body = serde_json::to_string(&order).unwrap();
    assert!(run(&deliverer, vec![message("d", &body, 1)])
        .await
        .is_empty());
    let now = deliverer.store.subscription(&id).await.unwrap().unwrap();
    assert!(now.last_success_at.is_some());
    let mut paused = now.clone();
    paused.subscription.status = WebhookStatus::Paused;
    paused.subscription.version += 1;
    deliverer
        .store
        .put_subscription(&paused, now.subscription.version)
        .await
        .unwrap();
    assert!(run(&deliverer, vec![message("d2", &body, 1)])
        .await
        .is_empty());
    deliverer.store.remove_subscription(&id).await.unwrap();
    assert!(run(&deliverer, vec![message("d3", &body, 1)])
        .await
        .is_empty());
    assert_eq!(deliverer.courier.sent.lock().unwrap().len(), 1);
}
