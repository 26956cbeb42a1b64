//! The EventBridge adapter against a real EventBridge API (the local moto server).

use serde_json::json;
use tickets_domain::history::DomainEvent;
use tickets_domain::store::EventPublisher;
use tickets_events::testing::fresh_bus;
use tickets_events::EventBus;

fn events(count: usize) -> Vec<DomainEvent> {
    (0..count)
        .map(|n| DomainEvent {
            detail_type: "SupportTicket.Created".into(),
            detail: json!({"ticketId": format!("t{n}")}),
        })
        .collect()
}

#[tokio::test]
async fn events_are_accepted_in_batches_of_ten() {
    let (bus, _, _) = fresh_bus().await;
    bus.publish(&events(23)).await.unwrap();
}

#[tokio::test]
async fn events_the_bus_refuses_are_an_error_not_a_silent_loss() {
    let (_, client, _) = fresh_bus().await;
    let missing = EventBus::new(client, "no-such-bus");
    assert!(missing.publish(&events(2)).await.is_err());
}
