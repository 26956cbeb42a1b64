//! `close-resolved-tickets` in-process with an injected clock, against the local DynamoDB API.

use chrono::{DateTime, Duration};
use close_resolved_tickets::{handle, Deps};
use lambda_runtime::{Context, LambdaEvent};
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_domain::{MessageType, Status, Timestamp};
use tickets_dynamodb::testing::{fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;

fn fixed_now() -> Timestamp {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap().into()
}

fn days_ago(days: i64) -> Timestamp {
    Timestamp::from(fixed_now().as_datetime() - Duration::days(days))
}

/// A ticket of client-1 put into `status` at `at` (resolved at `at` when resolved).
async fn ticket_in(store: &DynamoStore, status: Status, at: Timestamp, deleted: bool) -> String {
    let ticket = seed_ticket(store, "client-1", "Old").await;
    let mut after = ticket.summary.clone();
    after.status = status;
    after.resolution = Some("Done".into());
    after.resolved_at = (status == Status::Resolved).then_some(at);
    after.updated_at = at;
    after.deleted_at = deleted.then_some(at);
    after.version += 1;
    store.save_ticket(&ticket.summary, &after).await.unwrap();
    ticket.summary.id
}

#[tokio::test]
async fn exactly_the_tickets_resolved_longer_than_the_limit_are_closed_with_a_system_message() {
    let (store, reads) = fresh_store().await;
    let due = [
        ticket_in(&store, Status::Resolved, days_ago(5), false).await,
        ticket_in(&store, Status::Resolved, days_ago(30), false).await,
    ];
    let not_due = [
        ticket_in(&store, Status::Resolved, days_ago(3), false).await,
        ticket_in(
            &store,
            Status::Resolved,
            Timestamp::from(days_ago(4).as_datetime() + Duration::seconds(1)),
            false,
        )
        .await,
        ticket_in(&store, Status::InProgress, days_ago(30), false).await,
        ticket_in(&store, Status::Resolved, days_ago(30), true).await,
    ];
    let deps = Deps {
        store,
        after_days: 4,
        clock: fixed_now,
    };
    reads.reset();
    let report = handle(
        &deps,
        LambdaEvent::new(serde_json::json!({}), Context::default()),
    )
    .await
    .unwrap();
    assert_eq!(reads.scans(), 0, "never a scan");
    let mut closed = report.closed.clone();
    closed.sort();
    let mut want = due.to_vec();
    want.sort();
    assert_eq!(closed, want);

    for id in &due {
        let ticket = deps.store.get_ticket(id).await.unwrap().unwrap();
        assert_eq!(ticket.status, Status::Closed);
        assert_eq!(ticket.closed_at, Some(fixed_now()));
        assert_eq!(ticket.changed_by.as_deref(), Some("system"));
        let last = ticket.threads.last().unwrap();
        assert_eq!(
            (last.kind, last.author.as_str()),
            (MessageType::System, "system")
        );
    }
    for id in &not_due {
        assert_ne!(
            deps.store.get_summary(id).await.unwrap().unwrap().status,
            Status::Closed
        );
    }
    // A second run finds nothing left to close.
    let again = handle(
        &deps,
        LambdaEvent::new(serde_json::json!({}), Context::default()),
    )
    .await
    .unwrap();
    assert!(again.closed.is_empty());
}
