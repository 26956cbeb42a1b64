//! Counters under concurrent random work: after 300 operations by several callers, every
//! count `countByStatus` reads equals a recount from the tickets, overall and per client.

use std::collections::BTreeMap;

use tickets_domain::service::{modify_ticket, post_message};
use tickets_domain::store::{CounterSet, Facet, TicketCreator, TicketLister};
use tickets_domain::{
    Caller, NewMessage, NewTicket, Role, Status, TicketPatch, TicketSummary, Timestamp,
};
use tickets_dynamodb::testing::{all_items, fresh_store};
use tickets_dynamodb::DynamoStore;

/// A small deterministic generator, so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % sides as u64) as usize
    }
}

async fn random_work(store: DynamoStore, worker: u64, operations: usize) {
    let mut dice = Dice(worker * 7919 + 1);
    let client = Caller::new(format!("client-{}", worker % 3), Role::Client);
    let agent = Caller::new(format!("agent-{worker}"), Role::Agent);
    let admin = Caller::new("admin", Role::Admin);
    let mut mine: Vec<String> = Vec::new();
    for _ in 0..operations {
        let pick = dice.roll(8);
        if mine.is_empty() || pick == 0 {
            let ticket = NewTicket {
                title: Some("Random".into()),
                description: Some("Random work".into()),
                priority: Some(["low", "high"][dice.roll(2)].into()),
                category: Some(["billing", "technical"][dice.roll(2)].into()),
                tags: Some(vec![["a", "b"][dice.roll(2)].into()]),
                ..NewTicket::default()
            }
            .into_ticket(&client, Timestamp::now())
            .unwrap();
            store.create_ticket(&ticket, None).await.unwrap();
            mine.push(ticket.summary.id);
            continue;
        }
        let id = mine[dice.roll(mine.len())].clone();
        let status = Status::ALL[dice.roll(5)].to_string();
        let result = match pick {
            1..=3 => {
                let patch: TicketPatch = serde_json::from_value(serde_json::json!({
                    "status": status,
                    "resolution": "Random resolution",
                    "assignedTo": if dice.roll(2) == 0 { serde_json::Value::Null } else { "me".into() },
                }))
                .unwrap();
                modify_ticket(&store, &id, &agent, None, |t, now| {
                    patch.apply(t, &agent, now)
                })
                .await
                .map(|_| ())
            }
            4 | 5 => {
                let message = NewMessage {
                    message: Some("Any news?".into()),
                    internal: None,
                };
                post_message(&store, &id, &client, message)
                    .await
                    .map(|_| ())
            }
            6 => modify_ticket(&store, &id, &admin, None, |t, now| {
                t.soft_deleted(&admin, now).map(Some)
            })
            .await
            .map(|_| ()),
            _ => modify_ticket(&store, &id, &admin, None, |t, _| {
                t.restored(&admin).map(Some)
            })
            .await
            .map(|_| ()),
        };
        // Refusals (a closed ticket, deleting a deleted one, ...) are part of random work.
        if let Err(err) = result {
            assert!(
                !matches!(err, tickets_domain::DomainError::Store(_)),
                "storage failed: {err:?}"
            );
        }
    }
}

fn recount(tickets: &[TicketSummary], set: &CounterSet) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for ticket in tickets {
        for facet in Facet::of_set(ticket, set) {
            *counts.entry(facet.key()).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test]
async fn after_300_concurrent_random_operations_counters_equal_a_recount() {
    let (store, _) = fresh_store().await;
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..6 {
        workers.spawn(random_work(store.clone(), worker, 50));
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
    let tickets: Vec<TicketSummary> = all_items(&store)
        .await
        .into_iter()
        .filter(|item| matches!(item.get("sk"), Some(aws_sdk_dynamodb::types::AttributeValue::S(sk)) if sk == "TICKET"))
        .map(|item| serde_dynamo::from_item(item).unwrap())
        .collect();
    assert!(tickets.len() > 20, "work created tickets");
    // Every set: overall, per client, and the assignee's (cells included, so every filter
    // combination's total is checked too).
    // ("me" is the agent who assigns: agent-0 .. agent-5, one per worker.)
    let mut sets = vec![
        CounterSet::All,
        CounterSet::Client("client-0".into()),
        CounterSet::Client("client-1".into()),
        CounterSet::Client("client-2".into()),
    ];
    sets.extend((0..6).map(|worker| CounterSet::Assignee(format!("agent-{worker}"))));
    assert!(
        tickets
            .iter()
            .any(|t| t.assigned_to.is_some() && !t.is_deleted()),
        "work assigned tickets"
    );
    for set in sets {
        let stored = store.count_tickets(&set).await.unwrap();
        let stored: BTreeMap<String, i64> = stored.0.into_iter().filter(|(_, n)| *n != 0).collect();
        assert_eq!(stored, recount(&tickets, &set), "{set:?}");
    }
}
