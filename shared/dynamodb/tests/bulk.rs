//! Bulk changes against the local DynamoDB: every id answered with its own outcome, no update
//! lost to concurrent single changes, and with a third of the transactions cancelled for
//! conflicts (as DynamoDB does when parallel transactions meet on a counter item; moto never
//! does) every change still lands once and the counters equal a recount.

use serde_json::json;
use tickets_domain::bulk::{BulkPatch, BulkResult};
use tickets_domain::service::modify_ticket;
use tickets_domain::store::TicketReader;
use tickets_domain::{Caller, DomainError, Priority, Role, TicketPatch};
use tickets_dynamodb::testing::{
    assert_counters_exact, fresh_store, fresh_store_behind, local_client, seed_ticket, FaultProxy,
};
use tickets_dynamodb::DynamoStore;

fn agent() -> Caller {
    Caller::new("agent-1", Role::Agent)
}

async fn bulk(store: &DynamoStore, body: serde_json::Value) -> Vec<BulkResult> {
    let request: BulkPatch = serde_json::from_value(body).unwrap();
    request
        .check(&agent())
        .unwrap()
        .apply(store, &agent())
        .await
}

async fn change(store: &DynamoStore, id: &str, patch: serde_json::Value) {
    let patch: TicketPatch = serde_json::from_value(patch).unwrap();
    let caller = Caller::new("agent-2", Role::Agent);
    modify_ticket(store, id, &caller, None, |t, now| {
        patch.apply(t, &caller, now)
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn each_of_100_ids_gets_its_own_answer_and_no_concurrent_update_is_lost() {
    let (store, _) = fresh_store().await;
    let mut open = Vec::new();
    for n in 0..70 {
        let client = format!("client-{}", n % 3);
        open.push(
            seed_ticket(&store, &client, &format!("Open {n}"))
                .await
                .summary
                .id,
        );
    }
    let mut closed = Vec::new();
    for n in 0..10 {
        let id = seed_ticket(&store, "client-0", &format!("Closed {n}"))
            .await
            .summary
            .id;
        change(&store, &id, json!({"status": "closed"})).await;
        closed.push(id);
    }
    let mut stale = Vec::new();
    for n in 0..10 {
        let id = seed_ticket(&store, "client-1", &format!("Stale {n}"))
            .await
            .summary
            .id;
        change(&store, &id, json!({"tags": ["moved-on"]})).await;
        stale.push(id);
    }
    let unknown: Vec<String> = (0..10).map(|_| tickets_domain::model::new_id()).collect();

    let mut ids: Vec<serde_json::Value> = Vec::new();
    ids.extend(open.iter().map(|id| json!(id)));
    ids.extend(closed.iter().map(|id| json!(id)));
    // Version 1 is the created one: each of these has moved on since.
    ids.extend(stale.iter().map(|id| json!({"_id": id, "version": 1})));
    ids.extend(unknown.iter().map(|id| json!(id)));
    let body = json!({"ids": ids, "changes": {"priority": "urgent", "assignedTo": "me"}});

    // Single changes of another field to the same tickets, while the bulk change runs.
    let racers = {
        let store = store.clone();
        let open = open.clone();
        tokio::spawn(async move {
            for id in open.iter().step_by(2) {
                change(&store, id, json!({"tags": ["raced"]})).await;
            }
        })
    };
    let results = bulk(&store, body).await;
    racers.await.unwrap();

    assert_eq!(results.len(), 100);
    let answered: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    let asked: Vec<&str> = open
        .iter()
        .chain(&closed)
        .chain(&stale)
        .chain(&unknown)
        .map(String::as_str)
        .collect();
    assert_eq!(answered, asked, "one answer per id, in the order asked");
    for (n, result) in results.iter().enumerate() {
        match (n / 10, &result.outcome) {
            (0..=6, Ok(ticket)) => assert_eq!(ticket.priority, Priority::Urgent),
            (7, Err(DomainError::Conflict(_))) => {}
            (8, Err(DomainError::PreconditionFailed { expected: 1 })) => {}
            (9, Err(DomainError::NotFound)) => {}
            (_, other) => panic!("{}: {other:?}", result.id),
        }
    }
    // Both writers' changes are on every raced ticket: none overwrote the other.
    for (n, id) in open.iter().enumerate() {
        let ticket = store.get_summary(id).await.unwrap().unwrap();
        assert_eq!(ticket.priority, Priority::Urgent, "{id}");
        assert_eq!(ticket.assigned_to.as_deref(), Some("agent-1"), "{id}");
        if n % 2 == 0 {
            assert_eq!(ticket.tags, ["raced"], "{id} lost the single change");
        }
    }
    assert_counters_exact(&store).await;
}

#[tokio::test]
async fn with_a_third_of_transactions_cancelled_for_conflicts_every_change_lands_once() {
    let proxy = FaultProxy::start();
    let (faulty, _) = fresh_store_behind(&proxy).await;
    let clean = DynamoStore::new(local_client(Default::default()), faulty.table());
    let mut ids = Vec::new();
    for n in 0..60 {
        // Two clients: their changes meet on two counter items.
        let client = format!("client-{}", n % 2);
        ids.push(
            seed_ticket(&clean, &client, &format!("Busy {n}"))
                .await
                .summary
                .id,
        );
    }
    proxy.configure(json!({"rate": 0.33, "kinds": ["conflict"], "seed": 11}));
    let results = bulk(
        &faulty,
        json!({"ids": ids, "changes": {"status": "in_progress", "category": "billing"}}),
    )
    .await;
    let report = proxy.report();
    eprintln!("faults: {report}");
    assert!(
        report["injected"]["conflict"].as_u64().unwrap() >= 10,
        "conflicts were injected: {report}"
    );
    for result in &results {
        let ticket = result
            .outcome
            .as_ref()
            .unwrap_or_else(|err| panic!("{}: {err:?}", result.id));
        // Changed once: created at 1, this change is 2.
        assert_eq!(ticket.version, 2, "{}", result.id);
        let stored = clean.get_summary(&result.id).await.unwrap().unwrap();
        assert_eq!(stored, *ticket);
    }
    assert_counters_exact(&clean).await;
}
