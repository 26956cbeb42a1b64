//! Writes under storage faults: creates and messages through a proxy that fails a third of
//! the requests (throttling, 5xx, dropped connections). Some operations fail; none leaves a
//! half-written ticket: every ticket has its first message, every message its version bump,
//! and the counters equal a recount.

use std::collections::BTreeMap;

use serde_json::json;
use tickets_domain::service::post_message;
use tickets_domain::store::{CounterSet, Facet, TicketCreator, TicketLister, TicketReader};
use tickets_domain::{Caller, DomainError, NewMessage, NewTicket, Role, Timestamp};
use tickets_dynamodb::testing::{fresh_store_behind, stored_ticket_ids, FaultProxy};
use tickets_dynamodb::DynamoStore;

#[tokio::test]
async fn no_fault_leaves_a_half_written_ticket() {
    let proxy = FaultProxy::start();
    let (faulty, _) = fresh_store_behind(&proxy).await;
    // The same table, read without faults to check the outcome.
    let clean = DynamoStore::new(
        tickets_dynamodb::testing::local_client(Default::default()),
        faulty.table(),
    );
    proxy.configure(json!({"rate": 0.33, "kinds": ["throttle", "error", "drop"], "seed": 7}));

    let client = Caller::new("client-1", Role::Client);
    let agent = Caller::new("agent-1", Role::Agent);
    let (mut created, mut failed_creates, mut posted, mut failed_posts) = (Vec::new(), 0, 0, 0);
    for n in 0..25 {
        let ticket = NewTicket {
            title: Some(format!("Under faults {n}")),
            description: Some("First message".into()),
            priority: Some("low".into()),
            category: Some("general".into()),
            ..NewTicket::default()
        }
        .into_ticket(&client, Timestamp::now())
        .unwrap();
        match faulty.create_ticket(&ticket, None).await {
            Ok(_) => created.push(ticket.summary.id),
            Err(_) => failed_creates += 1,
        }
    }
    for n in 0..50 {
        let Some(id) = created.get(n % created.len().max(1)) else {
            break;
        };
        let caller = if n % 2 == 0 { &client } else { &agent };
        let message = NewMessage {
            message: Some(format!("message {n}")),
            internal: None,
        };
        match post_message(&faulty, id, caller, message).await {
            Ok(_) => posted += 1,
            Err(DomainError::Store(_)) => failed_posts += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    let report = proxy.report();
    eprintln!(
        "faults: {} | creates ok {} failed {failed_creates} | messages ok {posted} failed {failed_posts}",
        report,
        created.len()
    );
    assert!(report["injected"]["throttle"].as_u64().unwrap() > 0);
    assert!(report["injected"]["drop"].as_u64().unwrap() > 0);

    // Every stored ticket is whole, and only acknowledged work is stored.
    let stored = stored_ticket_ids(&clean).await;
    let mut messages_stored = 0;
    for id in &stored {
        let ticket = clean.get_ticket(id).await.unwrap().unwrap();
        assert_eq!(
            ticket.threads[0].message, "First message",
            "{id} lost its first message"
        );
        assert_eq!(
            ticket.description, "First message",
            "{id} lost its description"
        );
        // The only change a message makes here: an agent's first answer.
        let answered = ticket.threads.iter().any(|m| m.author == agent.id);
        assert_eq!(ticket.first_response_at.is_some(), answered, "{id}");
        assert_eq!(
            ticket.version,
            1 + u64::from(answered),
            "{id}: one version per change"
        );
        messages_stored += ticket.threads.len() - 1;
    }
    let mut created_sorted = created.clone();
    created_sorted.sort();
    let mut stored_sorted = stored.clone();
    stored_sorted.sort();
    assert_eq!(
        stored_sorted, created_sorted,
        "exactly the acknowledged creates are stored"
    );
    assert_eq!(
        messages_stored, posted,
        "exactly the acknowledged messages are stored"
    );

    let counts = clean.count_tickets(&CounterSet::All).await.unwrap();
    let want: BTreeMap<String, i64> = BTreeMap::from([
        (Facet::All.key(), stored.len() as i64),
        ("status:open".into(), stored.len() as i64),
    ]);
    for (key, value) in want {
        assert_eq!(counts.0.get(&key).copied().unwrap_or(0), value, "{key}");
    }
}
