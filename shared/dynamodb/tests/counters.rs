//! Counters under concurrent random work: after 300 operations by several callers, every
//! count `countByStatus` reads equals a recount from the tickets, overall and per client.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;

use tickets_domain::service::{modify_ticket, post_message};
use tickets_domain::store::{CounterSet, Facet, TicketCreator, TicketLister};
use tickets_domain::{
    Caller, NewMessage, NewTicket, Role, Status, TicketPatch, TicketSummary, Timestamp,
};
use tickets_dynamodb::layout::counter_pk;
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

async fn stored_tickets(store: &DynamoStore) -> Vec<TicketSummary> {
    all_items(store)
        .await
        .into_iter()
        .filter(|item| matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == "TICKET"))
        .map(|item| serde_dynamo::from_item(item).unwrap())
        .collect()
}

/// Every counter set the random work touches: overall, per client, and each assignee's
/// ("me" is the agent who assigns: agent-0 .. agent-5, one per worker).
fn sets() -> Vec<CounterSet> {
    let mut sets = vec![
        CounterSet::All,
        CounterSet::Client("client-0".into()),
        CounterSet::Client("client-1".into()),
        CounterSet::Client("client-2".into()),
    ];
    sets.extend((0..6).map(|worker| CounterSet::Assignee(format!("agent-{worker}"))));
    sets
}

/// The sets whose stored counters differ from a recount of the tickets.
async fn drifted(store: &DynamoStore, tickets: &[TicketSummary]) -> Vec<CounterSet> {
    let mut drifted = Vec::new();
    for set in sets() {
        let stored = store.count_tickets(&set).await.unwrap();
        let stored: BTreeMap<String, i64> = stored.0.into_iter().filter(|(_, n)| *n != 0).collect();
        if stored != recount(tickets, &set) {
            drifted.push(set);
        }
    }
    drifted
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
    let tickets = stored_tickets(&store).await;
    assert!(tickets.len() > 20, "work created tickets");
    assert!(
        tickets
            .iter()
            .any(|t| t.assigned_to.is_some() && !t.is_deleted()),
        "work assigned tickets"
    );
    // Every set, cells included, so every filter combination's total is checked too.
    assert_eq!(drifted(&store, &tickets).await, Vec::<CounterSet>::new());
}

#[tokio::test]
async fn a_recount_corrects_counters_never_kept_or_drifted_and_a_second_one_changes_nothing() {
    let (store, _) = fresh_store().await;
    for worker in 0..3 {
        random_work(store.clone(), worker, 40).await;
    }
    let tickets = stored_tickets(&store).await;
    // A desk upgraded from a version without cells and assignee counters, and a drifted shard.
    let client = counter_pk(&CounterSet::Client("client-1".into()), "");
    let stored = store
        .client()
        .get_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(client.clone()))
        .key("sk", AttributeValue::S("COUNTER".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let cells: Vec<&String> = stored
        .keys()
        .filter(|name| name.starts_with("c:"))
        .collect();
    assert!(!cells.is_empty(), "the client has cell counters");
    let mut forget = store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(client))
        .key("sk", AttributeValue::S("COUNTER".into()));
    let mut names = Vec::new();
    for (n, cell) in cells.iter().enumerate() {
        forget = forget.expression_attribute_names(format!("#c{n}"), cell.as_str());
        names.push(format!("#c{n}"));
    }
    forget
        .update_expression(format!("REMOVE {}", names.join(", ")))
        .send()
        .await
        .unwrap();
    for worker in 0..6 {
        store
            .client()
            .delete_item()
            .table_name(store.table())
            .key(
                "pk",
                AttributeValue::S(counter_pk(
                    &CounterSet::Assignee(format!("agent-{worker}")),
                    "",
                )),
            )
            .key("sk", AttributeValue::S("COUNTER".into()))
            .send()
            .await
            .unwrap();
    }
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key(
            "pk",
            AttributeValue::S(counter_pk(&CounterSet::All, &tickets[0].id)),
        )
        .key("sk", AttributeValue::S("COUNTER".into()))
        .update_expression("ADD #all :five")
        .expression_attribute_names("#all", "all")
        .expression_attribute_values(":five", AttributeValue::N("5".into()))
        .send()
        .await
        .unwrap();
    let before = drifted(&store, &tickets).await;
    assert!(
        before.contains(&CounterSet::All)
            && before.contains(&CounterSet::Client("client-1".into()))
    );
    assert!(
        before
            .iter()
            .any(|set| matches!(set, CounterSet::Assignee(_))),
        "{before:?}"
    );

    let report = store.recount_counters().await.unwrap();
    assert_eq!(report.tickets, tickets.len());
    assert!(report.corrected_items >= 3, "{report:?}");
    assert_eq!(drifted(&store, &tickets).await, Vec::<CounterSet>::new());

    let again = store.recount_counters().await.unwrap();
    assert_eq!((again.corrected_items, again.corrected_facets), (0, 0));
}
