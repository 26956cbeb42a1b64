//! Webhooks against the local DynamoDB: subscriptions round-trip with their keys and never
//! show them; a change is conditional on the version; the delivery log keeps every attempt of
//! a delivery in one entry, newest delivery first, paged; a subscription is disabled only
//! while active and only when nothing was delivered since its failing delivery began.

use std::time::Duration;

use serde_json::json;
use tickets_domain::store::{PageQuery, StoredSubscription, WebhookStore};
use tickets_domain::webhook::delivery::{fan_out, Answer, Attempt, BusEvent, DeliveryStatus};
use tickets_domain::webhook::{NewSubscription, Reach, WebhookStatus};
use tickets_domain::{Caller, Role, StoreError, Timestamp};
use tickets_dynamodb::testing::fresh_store;

fn at(minutes: i64) -> Timestamp {
    Timestamp::from(Timestamp::now().as_datetime() + chrono::Duration::minutes(minutes))
}

fn new_subscription() -> StoredSubscription {
    let body = NewSubscription {
        url: Some("https://hooks.example.com/desk".into()),
        events: Some(vec!["*".into()]),
        description: Some("CRM".into()),
    };
    let (subscription, signing) = body
        .check(
            &Caller::new("admin-1", Role::Admin),
            Reach::default(),
            Timestamp::now(),
        )
        .unwrap();
    StoredSubscription {
        subscription,
        signing,
        last_success_at: None,
    }
}

#[tokio::test]
async fn subscriptions_round_trip_and_change_only_from_the_version_read() {
    let (store, _) = fresh_store().await;
    let mut stored = new_subscription();
    let id = stored.subscription.id.clone();
    store.put_subscription(&stored, 0).await.unwrap();
    assert!(matches!(
        store.put_subscription(&stored, 0).await,
        Err(StoreError::VersionConflict)
    ));
    assert_eq!(
        store.subscription(&id).await.unwrap().as_ref(),
        Some(&stored)
    );
    let (rotated, _) = stored.signing.rotated(Timestamp::now()).unwrap();
    stored.signing = rotated;
    stored.subscription.version = 2;
    store.put_subscription(&stored, 1).await.unwrap();
    assert!(matches!(
        store.put_subscription(&stored, 1).await,
        Err(StoreError::VersionConflict)
    ));
    let all = store.subscriptions().await.unwrap();
    assert_eq!(all, [stored.clone()]);
    // What the API shows of it holds no secret.
    let shown = serde_json::to_string(&all[0].subscription).unwrap();
    assert!(!shown.contains("whsec_"), "{shown}");
    assert!(store.remove_subscription(&id).await.unwrap());
    assert!(!store.remove_subscription(&id).await.unwrap());
    assert_eq!(store.subscription(&id).await.unwrap(), None);
}

#[tokio::test]
async fn the_log_keeps_every_attempt_newest_delivery_first() {
    let (store, _) = fresh_store().await;
    let stored = new_subscription();
    store.put_subscription(&stored, 0).await.unwrap();
    let id = stored.subscription.id.clone();
    let mut orders = Vec::new();
    for n in 0..3 {
        let event = BusEvent {
            id: format!("event-{n}"),
            detail_type: "SupportTicket.Created".into(),
            time: Some(at(n).to_string()),
            detail: json!({"ticketId": format!("ticket-{n}"), "version": 1}),
        };
        orders.extend(fan_out(&event, std::slice::from_ref(&stored.subscription)));
    }
    let failed = Attempt::new(
        1,
        at(0),
        Answer::NoAnswer("timed out".into()),
        Duration::from_secs(5),
    );
    let delivered = Attempt::new(
        2,
        at(1),
        Answer::Status {
            code: 200,
            excerpt: String::new(),
        },
        Duration::from_millis(40),
    );
    store
        .record_attempt(&orders[0], &failed, DeliveryStatus::Pending)
        .await
        .unwrap();
    store
        .record_attempt(&orders[0], &delivered, DeliveryStatus::Succeeded)
        .await
        .unwrap();
    for order in &orders[1..] {
        store
            .record_attempt(order, &failed, DeliveryStatus::Pending)
            .await
            .unwrap();
    }
    let first = store
        .deliveries(
            &id,
            &PageQuery {
                limit: 2,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let ids: Vec<&str> = first.deliveries.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [orders[2].delivery.as_str(), orders[1].delivery.as_str()]
    );
    let rest = store
        .deliveries(
            &id,
            &PageQuery {
                limit: 2,
                cursor: first.next_cursor.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.next_cursor, None);
    let record = &rest.deliveries[0];
    assert_eq!(record.id, orders[0].delivery);
    assert_eq!(record.status, DeliveryStatus::Succeeded);
    assert_eq!(record.attempts, [failed, delivered]);
    assert_eq!(record.data, orders[0].data);
    assert_eq!(
        store
            .delivery(&id, &orders[0].delivery)
            .await
            .unwrap()
            .as_ref(),
        Some(record)
    );
    // Sending it again makes the same order, by hand.
    let again = record.retry_order(&id);
    assert!(again.manual && again.delivery == orders[0].delivery && again.data == orders[0].data);
    assert!(matches!(
        store
            .deliveries(
                &id,
                &PageQuery {
                    limit: 2,
                    cursor: Some("bm9wZQ".into())
                }
            )
            .await,
        Err(StoreError::InvalidCursor)
    ));
}

#[tokio::test]
async fn disabled_only_while_active_and_when_nothing_was_delivered_since() {
    let (store, _) = fresh_store().await;
    let stored = new_subscription();
    store.put_subscription(&stored, 0).await.unwrap();
    let id = stored.subscription.id.clone();
    store.note_success(&id, at(-10)).await.unwrap();
    // A delivery failing since before that success: the receiver works, keep it.
    assert!(!store.disable(&id, "failing", at(-20), at(0)).await.unwrap());
    assert!(store.disable(&id, "failing", at(-5), at(0)).await.unwrap());
    let disabled = store.subscription(&id).await.unwrap().unwrap();
    assert_eq!(disabled.subscription.status, WebhookStatus::Disabled);
    assert_eq!(
        disabled.subscription.disabled_reason.as_deref(),
        Some("failing")
    );
    assert_eq!(disabled.subscription.version, 2);
    assert!(disabled.last_success_at.is_some());
    // Once is enough; a removed subscription is neither disabled nor noted.
    assert!(!store.disable(&id, "failing", at(-5), at(0)).await.unwrap());
    store.remove_subscription(&id).await.unwrap();
    store.note_success(&id, at(0)).await.unwrap();
    assert!(!store.disable(&id, "failing", at(-5), at(0)).await.unwrap());
    assert_eq!(store.subscription(&id).await.unwrap(), None);
}
