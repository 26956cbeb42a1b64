//! Merging tickets against the local DynamoDB: the whole merge or nothing, idempotent under its
//! key, every refusal leaving the table as it was, and counters equal to a recount after a
//! random mix of merges.

use tickets_domain::idempotency::IdempotencyKey;
use tickets_domain::merge::{merge_tickets, MergeRequest, Merged};
use tickets_domain::service::modify_ticket;
use tickets_domain::store::PageQuery;
use tickets_domain::store::{ThreadReader, TicketReader};
use tickets_domain::{Caller, DomainError, MessageType, Role, Status, TicketPatch, TicketSummary};
use tickets_dynamodb::testing::{
    all_items, assert_counters_exact, fresh_store, seed_messages, seed_ticket,
};
use tickets_dynamodb::DynamoStore;

fn agent() -> Caller {
    Caller::new("agent-1", Role::Agent)
}

fn request(sources: &[&str]) -> MergeRequest {
    MergeRequest {
        sources: Some(sources.iter().map(|s| s.to_string()).collect()),
        comment: Some("The same printer, three times".into()),
    }
}

async fn merge(
    store: &DynamoStore,
    target: &str,
    sources: &[&str],
    key: Option<&str>,
) -> Result<Merged, DomainError> {
    let caller = agent();
    let key = key.map(|key| IdempotencyKey::of_caller(&caller, key));
    merge_tickets(store, &caller, target, &request(sources), key, |ticket| {
        serde_json::to_string(ticket).unwrap()
    })
    .await
}

async fn change(store: &DynamoStore, id: &str, patch: serde_json::Value) {
    let patch: TicketPatch = serde_json::from_value(patch).unwrap();
    let caller = agent();
    modify_ticket(store, id, &caller, None, |t, now| {
        patch.apply(t, &caller, now)
    })
    .await
    .unwrap();
}

async fn summary(store: &DynamoStore, id: &str) -> TicketSummary {
    store.get_summary(id).await.unwrap().unwrap()
}

#[tokio::test]
async fn three_sources_close_into_the_target_and_keep_their_threads() {
    let (store, _) = fresh_store().await;
    let target = seed_ticket(&store, "client-1", "Printer").await;
    let mut sources = Vec::new();
    for n in 0..3 {
        let source = seed_ticket(&store, "client-1", &format!("Printer again {n}")).await;
        seed_messages(&store, &source.summary, 3, 40).await;
        sources.push(source.summary.id.clone());
    }
    // Different states and assignees move different counters.
    change(
        &store,
        &sources[1],
        serde_json::json!({"status": "in_progress", "assignedTo": "me"}),
    )
    .await;
    change(
        &store,
        &sources[2],
        serde_json::json!({"status": "resolved", "resolution": "Dup", "priority": "urgent"}),
    )
    .await;
    let ids: Vec<&str> = sources.iter().map(String::as_str).collect();

    let Merged::Done { target: merged, .. } =
        merge(&store, &target.id, &ids, Some("k1")).await.unwrap()
    else {
        panic!("a first merge is done, not replayed");
    };
    assert_eq!(merged.merged_from, sources);
    assert_eq!(summary(&store, &target.id).await, *merged);
    for id in &sources {
        let source = summary(&store, id).await;
        assert_eq!(source.status, Status::Closed);
        assert_eq!(source.merged_into.as_deref(), Some(target.id.as_str()));
        // Its own thread is still there, with the system message naming the target, and the
        // client may read it (a merged source stays its ticket).
        let page = store
            .list_messages(
                id,
                &PageQuery {
                    limit: 50,
                    cursor: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            page.messages.len(),
            1 + 3 + 1,
            "description, 3 seeded, merge note"
        );
        let note = page.messages.last().unwrap();
        assert_eq!(note.kind, MessageType::System);
        assert!(note.message.contains(&target.id));
        let client = Caller::new("client-1", Role::Client);
        assert!(client.can_see(&source));
    }
    let thread = store
        .list_messages(
            &target.id,
            &PageQuery {
                limit: 50,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let note = thread.messages.last().unwrap();
    assert!(ids.iter().all(|id| note.message.contains(id)));
    assert!(note.message.ends_with("The same printer, three times"));
    assert_counters_exact(&store).await;

    // The same request under the same key: the first answer, nothing written.
    let before = all_items(&store).await;
    let Merged::Replayed { answer } = merge(&store, &target.id, &ids, Some("k1")).await.unwrap()
    else {
        panic!("a retry under the key is replayed");
    };
    assert_eq!(answer, serde_json::to_string(&*merged).unwrap());
    // Without the key it is a new merge, of closed sources: refused.
    assert!(matches!(
        merge(&store, &target.id, &ids, None).await,
        Err(DomainError::Conflict(_))
    ));
    // Another request under the first key: refused, whatever it asks.
    assert!(matches!(
        merge(&store, &target.id, &ids[..1], Some("k1")).await,
        Err(DomainError::IdempotencyKeyReused)
    ));
    assert_eq!(all_items(&store).await, before, "nothing changed");
}

#[tokio::test]
async fn every_refused_merge_leaves_the_table_as_it_was() {
    let (store, _) = fresh_store().await;
    let target = seed_ticket(&store, "client-1", "Target").await.summary.id;
    let mine = seed_ticket(&store, "client-1", "Mine").await.summary.id;
    let theirs = seed_ticket(&store, "client-2", "Theirs").await.summary.id;
    let deleted = seed_ticket(&store, "client-1", "Deleted").await.summary.id;
    let admin = Caller::new("root", Role::Admin);
    modify_ticket(&store, &deleted, &admin, None, |t, now| {
        t.soft_deleted(&admin, now).map(Some)
    })
    .await
    .unwrap();
    let closed = seed_ticket(&store, "client-1", "Closed").await.summary.id;
    change(&store, &closed, serde_json::json!({"status": "closed"})).await;
    let unknown = tickets_domain::model::new_id();

    let before = all_items(&store).await;
    let refusals: [(&str, Vec<&str>); 7] = [
        (&target, vec![&mine, &theirs]),
        (&target, vec![&target]),
        (&target, vec![&mine, &deleted]),
        (&target, vec![&unknown]),
        (&target, vec![&closed]),
        (&closed, vec![&mine]),
        (&unknown, vec![&mine]),
    ];
    for (into, sources) in refusals {
        let err = merge(&store, into, &sources, None).await.unwrap_err();
        assert!(
            matches!(
                err,
                DomainError::Conflict(_) | DomainError::Validation(_) | DomainError::NotFound
            ),
            "{into} <- {sources:?}: {err:?}"
        );
    }
    assert_eq!(
        all_items(&store).await,
        before,
        "a refused merge changed something"
    );
}

#[tokio::test]
async fn after_a_random_mix_of_merges_counters_equal_a_recount() {
    let (store, _) = fresh_store().await;
    let mut tickets = Vec::new();
    for n in 0..24 {
        let client = format!("client-{}", n % 2);
        let ticket = seed_ticket(&store, &client, &format!("Ticket {n}"))
            .await
            .summary
            .id;
        let patch = match n % 4 {
            0 => serde_json::json!({"assignedTo": format!("agent-{}", n % 3)}),
            1 => serde_json::json!({"status": "pending", "priority": "high"}),
            2 => {
                serde_json::json!({"status": "resolved", "resolution": "Done", "assignedTo": "agent-2"})
            }
            _ => serde_json::json!({"category": "billing", "tags": ["vip"]}),
        };
        change(&store, &ticket, patch).await;
        tickets.push(ticket);
    }
    // A deterministic shuffle of merges: some merge, some are refused (closed or merged
    // sources, other clients' tickets); each either commits whole or changes nothing.
    let mut merged = 0;
    let mut refused = Vec::new();
    for round in 0..12usize {
        let at = (round * 7) % tickets.len();
        // Sources mostly of the target's client (same parity), now and then another's.
        let sources: Vec<&str> = (1..=1 + round % 3)
            .map(|k| tickets[(at + 2 * k + usize::from(round % 5 == 4)) % tickets.len()].as_str())
            .collect();
        match merge(&store, &tickets[at], &sources, None).await {
            Ok(_) => merged += 1,
            Err(err) => refused.push(err),
        }
    }
    assert!(
        refused
            .iter()
            .all(|err| matches!(err, DomainError::Conflict(_))),
        "{refused:?}"
    );
    assert!(
        merged >= 3 && !refused.is_empty(),
        "the mix merged {merged} times and refused {}",
        refused.len()
    );
    assert_counters_exact(&store).await;
}

#[tokio::test]
async fn two_identical_merges_at_once_under_one_key_both_answer_the_one_merge() {
    let (store, _) = fresh_store().await;
    let target = seed_ticket(&store, "client-1", "Target").await.summary.id;
    let a = seed_ticket(&store, "client-1", "A").await.summary.id;
    let b = seed_ticket(&store, "client-1", "B").await.summary.id;
    let sources = [a.as_str(), b.as_str()];
    let (first, second) = tokio::join!(
        merge(&store, &target, &sources, Some("same")),
        merge(&store, &target, &sources, Some("same"))
    );
    let answer = |merged: Merged| match merged {
        Merged::Done { answer, .. } | Merged::Replayed { answer } => answer,
    };
    assert_eq!(answer(first.unwrap()), answer(second.unwrap()));
    assert_counters_exact(&store).await;
}
