//! `check-sla` in-process with an injected clock, against the local DynamoDB API: a run moves
//! exactly the tickets whose moment has come, once.

use check_sla::{handle, Deps};
use chrono::Duration;
use lambda_runtime::{Context, LambdaEvent};
use tickets_domain::create::{open_ticket, Opened};
use tickets_domain::sla::settings::replace_policies;
use tickets_domain::sla::{ClockStatus, SlaDocument};
use tickets_domain::store::TicketReader;
use tickets_domain::{Caller, NewTicket, Role, Timestamp};
use tickets_dynamodb::testing::fresh_store;
use tickets_dynamodb::DynamoStore;

fn in_two_hours() -> Timestamp {
    Timestamp::from(Timestamp::now().as_datetime() + Duration::hours(2))
}

async fn open(store: &DynamoStore, priority: &str) -> String {
    let command = NewTicket {
        title: Some("Down".into()),
        description: Some("Everything is down".into()),
        priority: Some(priority.into()),
        category: Some("technical".into()),
        client: Some("client-1".into()),
        ..NewTicket::default()
    };
    let agent = Caller::new("agent-1", Role::Agent);
    match open_ticket(store, &agent, command, None, Timestamp::now(), |_| {
        String::new()
    })
    .await
    {
        Ok(Opened::Created { ticket_id, .. }) => ticket_id,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_run_breaches_what_fell_due_and_nothing_twice() {
    let (store, _) = fresh_store().await;
    let document: SlaDocument = serde_json::from_value(serde_json::json!({
        "policies": [{"name": "Hour", "targets": {"urgent": {"firstResponse": 60}}}]
    }))
    .unwrap();
    let admin = Caller::new("admin-1", Role::Admin);
    replace_policies(&store, &admin, document, None, Timestamp::now())
        .await
        .unwrap();
    let measured = open(&store, "urgent").await;
    let unmeasured = open(&store, "low").await;

    let deps = Deps {
        store,
        clock: in_two_hours,
    };
    let event = || LambdaEvent::new(serde_json::json!({}), Context::default());
    let checked = handle(&deps, event()).await.unwrap();
    assert_eq!(checked.moved, std::slice::from_ref(&measured));
    let ticket = deps.store.get_summary(&measured).await.unwrap().unwrap();
    let first = ticket.sla.unwrap().first_response.unwrap();
    assert_eq!(first.status, ClockStatus::Breached);
    let other = deps.store.get_summary(&unmeasured).await.unwrap().unwrap();
    assert!(
        other.sla.unwrap().first_response.is_none(),
        "low has no target"
    );

    let again = handle(&deps, event()).await.unwrap();
    assert!(again.moved.is_empty() && again.skipped.is_empty());
}
