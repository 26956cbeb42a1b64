//! Service-level clocks against the local DynamoDB: a ticket opened under a policy carries its
//! clocks; the job finds it by its next moment and writes the warning, then the breach, without
//! moving its version (an agent's `If-Match` still holds); answers stop the clocks; the queue
//! lists by standing in due order and reads only its partitions.

use chrono::Duration;
use tickets_domain::create::{open_ticket, Opened};
use tickets_domain::service::{modify_ticket, post_message};
use tickets_domain::sla::settings::replace_policies;
use tickets_domain::sla::{ClockStatus, SlaDocument};
use tickets_domain::store::{
    ClockWatcher, ListFilter, ListQuery, PageStart, Scope, SlaQueue, Sort, SortField, TicketLister,
    TicketReader,
};
use tickets_domain::triggers::check_clocks;
use tickets_domain::{
    Caller, NewMessage, NewTicket, Role, Status, TicketPatch, TicketSummary, Timestamp,
};
use tickets_dynamodb::testing::fresh_store;
use tickets_dynamodb::DynamoStore;

fn admin() -> Caller {
    Caller::new("admin-1", Role::Admin)
}

fn agent() -> Caller {
    Caller::new("agent-1", Role::Agent)
}

fn later(minutes: i64) -> Timestamp {
    Timestamp::from(Timestamp::now().as_datetime() + Duration::minutes(minutes))
}

/// Calendar targets: urgent tickets answered in 10 minutes and resolved in 60; high ones
/// answered in 30.
async fn with_policies() -> DynamoStore {
    let (store, _) = fresh_store().await;
    let document: SlaDocument = serde_json::from_value(serde_json::json!({
        "policies": [{"name": "Everyone", "targets": {
            "urgent": {"firstResponse": 10, "resolution": 60},
            "high": {"firstResponse": 30}
        }}]
    }))
    .unwrap();
    replace_policies(&store, &admin(), document, None, Timestamp::now())
        .await
        .unwrap();
    store
}

async fn open(store: &DynamoStore, priority: &str) -> TicketSummary {
    let command = NewTicket {
        title: Some(format!("{priority} problem")),
        description: Some("Nothing works".into()),
        priority: Some(priority.into()),
        category: Some("technical".into()),
        client: Some("client-1".into()),
        ..NewTicket::default()
    };
    let opened = open_ticket(store, &agent(), command, None, Timestamp::now(), |t| {
        t.id.clone()
    })
    .await
    .unwrap();
    let Opened::Created { ticket_id, .. } = opened else {
        panic!("created")
    };
    store.get_summary(&ticket_id).await.unwrap().unwrap()
}

async fn queue(store: &DynamoStore, sla: SlaQueue) -> Vec<String> {
    let query = ListQuery {
        scope: Scope::All,
        filter: ListFilter {
            sla: Some(sla),
            ..ListFilter::default()
        },
        sort: Sort {
            field: SortField::SlaDueAt,
            descending: false,
        },
        limit: 50,
        start: PageStart::Page(1),
    };
    let page = store.list_tickets(&query).await.unwrap();
    page.items.into_iter().map(|t| t.id).collect()
}

#[tokio::test]
async fn the_job_warns_then_breaches_without_moving_the_version() {
    let store = with_policies().await;
    let ticket = open(&store, "urgent").await;
    let sla = ticket.sla.clone().expect("measured by Everyone");
    assert_eq!(sla.policy, "Everyone");
    assert_eq!(sla.standing(), Some(ClockStatus::Active));
    // Nothing is due yet: the job reads nothing.
    assert!(check_clocks(&store, Timestamp::now())
        .await
        .unwrap()
        .moved
        .is_empty());

    // Eight minutes in (80 % of 10), the first response is at risk.
    let report = check_clocks(&store, later(9)).await.unwrap();
    assert_eq!(report.moved, std::slice::from_ref(&ticket.id));
    let warned = store.get_summary(&ticket.id).await.unwrap().unwrap();
    let first = warned.sla.as_ref().unwrap().first_response.clone().unwrap();
    assert_eq!(first.status, ClockStatus::AtRisk);
    assert_eq!(
        (warned.version, warned.updated_at, &warned.changed_by),
        (ticket.version, ticket.updated_at, &ticket.changed_by),
        "time moved; nobody changed the ticket"
    );
    assert_eq!(
        queue(&store, SlaQueue::Standing(ClockStatus::AtRisk)).await,
        std::slice::from_ref(&ticket.id)
    );

    let report = check_clocks(&store, later(11)).await.unwrap();
    assert_eq!(report.moved, std::slice::from_ref(&ticket.id));
    let breached = store.get_summary(&ticket.id).await.unwrap().unwrap();
    let first = breached
        .sla
        .as_ref()
        .unwrap()
        .first_response
        .clone()
        .unwrap();
    assert_eq!(first.status, ClockStatus::Breached);
    assert_eq!(first.breached_at, first.due_at);
    assert_eq!(
        queue(&store, SlaQueue::Standing(ClockStatus::Breached)).await,
        std::slice::from_ref(&ticket.id)
    );
    assert!(queue(&store, SlaQueue::Standing(ClockStatus::AtRisk))
        .await
        .is_empty());
    // Marked once: the same moment again changes nothing.
    assert!(check_clocks(&store, later(11))
        .await
        .unwrap()
        .moved
        .is_empty());

    // An agent's change under the version it read before the job ran still applies.
    let patch: TicketPatch =
        serde_json::from_value(serde_json::json!({"priority": "high"})).unwrap();
    let caller = agent();
    let changed = modify_ticket(
        &store,
        &ticket.id,
        &caller,
        Some(ticket.version),
        |t, now| patch.apply(t, &caller, now),
    )
    .await
    .unwrap();
    assert_eq!(changed.version, ticket.version + 1);
}

#[tokio::test]
async fn an_answer_stops_the_response_clock_and_the_queue_is_in_due_order() {
    let store = with_policies().await;
    let urgent = open(&store, "urgent").await;
    let high = open(&store, "high").await;
    assert_eq!(
        queue(&store, SlaQueue::Running).await,
        [urgent.id.clone(), high.id.clone()],
        "soonest due first: 10 minutes before 30"
    );

    let answer = NewMessage {
        message: Some("Looking into it".into()),
        internal: None,
    };
    post_message(&store, &high.id, &agent(), answer)
        .await
        .unwrap();
    let answered = store.get_summary(&high.id).await.unwrap().unwrap();
    let sla = answered.sla.as_ref().unwrap();
    assert_eq!(
        sla.first_response.as_ref().unwrap().status,
        ClockStatus::Met
    );
    assert_eq!(sla.standing(), None, "no clock of it runs any more");
    assert_eq!(
        queue(&store, SlaQueue::Running).await,
        std::slice::from_ref(&urgent.id)
    );
    // Nothing of it is due for the job either.
    let due = store.clocks_due(later(120), 10).await.unwrap();
    assert_eq!(due.iter().map(|t| &t.id).collect::<Vec<_>>(), [&urgent.id]);

    // Resolving stops the urgent ticket's clocks: it leaves the queue.
    let patch: TicketPatch = serde_json::from_value(
        serde_json::json!({"status": "resolved", "resolution": "Restarted"}),
    )
    .unwrap();
    let caller = agent();
    let resolved = modify_ticket(&store, &urgent.id, &caller, None, |t, now| {
        patch.apply(t, &caller, now)
    })
    .await
    .unwrap();
    assert_eq!(resolved.status, Status::Resolved);
    let sla = resolved.sla.as_ref().unwrap();
    assert_eq!(sla.resolution.as_ref().unwrap().status, ClockStatus::Met);
    assert!(queue(&store, SlaQueue::Running).await.is_empty());
}
