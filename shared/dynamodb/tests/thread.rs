//! Threads against a real DynamoDB API (the local moto server).

use std::collections::HashSet;

use tickets_domain::service::post_message;
use tickets_domain::sla::SlaPolicies;
use tickets_domain::store::{
    MessagePage, PageQuery, ThreadReader, ThreadWriter, TicketReader, TicketWriter,
};
use tickets_domain::{
    Caller, DomainError, NewMessage, Role, Status, StoreError, Ticket, Timestamp, THREAD_WINDOW,
};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_messages, seed_ticket};
use tickets_dynamodb::DynamoStore;

fn say(text: &str) -> NewMessage {
    NewMessage {
        message: Some(text.into()),
        internal: None,
    }
}

async fn set_status(store: &DynamoStore, ticket: &Ticket, status: Status) -> Ticket {
    let current = store.get_ticket(&ticket.id).await.unwrap().unwrap();
    let mut after = current.summary.clone();
    after.status = status;
    after.resolution = Some("Replaced the cable".into());
    after.resolved_at = (status == Status::Resolved).then(Timestamp::now);
    after.version += 1;
    store.save_ticket(&current.summary, &after).await.unwrap();
    store.get_ticket(&ticket.id).await.unwrap().unwrap()
}

async fn page_through(
    store: &DynamoStore,
    id: &str,
    limit: u32,
) -> (Vec<String>, Vec<MessagePage>) {
    let mut query = PageQuery {
        limit,
        cursor: None,
    };
    let mut ids = Vec::new();
    let mut pages = Vec::new();
    loop {
        let page = store.list_messages(id, &query).await.unwrap();
        assert!(page.messages.len() <= limit as usize);
        ids.extend(page.messages.iter().map(|m| m.id.clone()));
        query.cursor = page.next_cursor.clone();
        pages.push(page);
        if query.cursor.is_none() {
            return (ids, pages);
        }
    }
}

#[tokio::test]
async fn messages_come_back_in_the_order_written_even_with_one_timestamp() {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Order").await;
    let agent = Caller::new("agent-1", Role::Agent);
    let same_time = Timestamp::now();
    let mut written = vec![ticket.threads[0].id.clone()];
    for n in 0..12 {
        let summary = store.get_summary(&ticket.id).await.unwrap().unwrap();
        let mut posted = say(&format!("message {n}"))
            .post(&summary, &agent, same_time, &SlaPolicies::none())
            .unwrap();
        posted.message.timestamp = same_time;
        store.add_message(&posted).await.unwrap();
        written.push(posted.message.id);
    }
    let (read, _) = page_through(&store, &ticket.id, 5).await;
    assert_eq!(read, written);
}

#[tokio::test]
async fn a_message_and_its_workflow_effects_are_written_together() {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Effects").await;
    let client = Caller::new("client-1", Role::Client);
    let agent = Caller::new("agent-1", Role::Agent);

    post_message(
        &store,
        &ticket.id,
        &agent,
        NewMessage {
            internal: Some(true),
            ..say("note")
        },
    )
    .await
    .unwrap();
    let after_note = store.get_summary(&ticket.id).await.unwrap().unwrap();
    assert_eq!(
        after_note, ticket.summary,
        "an internal note changes nothing of the ticket"
    );

    let reply = post_message(&store, &ticket.id, &agent, say("We are looking"))
        .await
        .unwrap();
    let answered = store.get_summary(&ticket.id).await.unwrap().unwrap();
    assert_eq!(answered.first_response_at, Some(reply.timestamp));
    assert_eq!(answered.updated_at, reply.timestamp);

    let resolved = set_status(&store, &ticket, Status::Resolved).await;
    post_message(&store, &ticket.id, &client, say("It broke again"))
        .await
        .unwrap();
    let reopened = store.get_summary(&ticket.id).await.unwrap().unwrap();
    assert_eq!(
        (reopened.status, reopened.resolved_at),
        (Status::Open, None)
    );
    assert_eq!(reopened.version, resolved.version + 1);
    assert_eq!(
        reopened.first_response_at, answered.first_response_at,
        "set once"
    );
}

#[tokio::test]
async fn a_failed_transaction_leaves_neither_the_message_nor_the_ticket_change() {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Atomic").await;
    let client = Caller::new("client-1", Role::Client);
    // The message is worked out against a pending ticket, which meanwhile got closed.
    let pending = set_status(&store, &ticket, Status::Pending).await;
    let posted = say("hello?")
        .post(
            &pending.summary,
            &client,
            Timestamp::now(),
            &SlaPolicies::none(),
        )
        .unwrap();
    assert_eq!(posted.edit.after.status, Status::Open, "it reopens");
    set_status(&store, &ticket, Status::Closed).await;
    let before = all_items(&store).await;

    let err = store.add_message(&posted).await.unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict));
    assert_eq!(all_items(&store).await, before, "nothing written");
    let err = post_message(&store, &ticket.id, &client, say("hello?"))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Conflict(_)));
}

#[tokio::test]
async fn fifty_concurrent_messages_are_all_stored_and_their_effects_happen_once() {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Busy").await;
    let resolved = set_status(&store, &ticket, Status::Resolved).await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50 {
        let store = store.clone();
        let id = ticket.id.clone();
        let caller = if n % 2 == 0 {
            Caller::new("client-1", Role::Client)
        } else {
            Caller::new(format!("agent-{n}"), Role::Agent)
        };
        tasks.spawn(async move {
            post_message(&store, &id, &caller, say(&format!("message {n}"))).await
        });
    }
    let mut ids = HashSet::new();
    while let Some(result) = tasks.join_next().await {
        ids.insert(result.unwrap().expect("every message is stored").id);
    }
    assert_eq!(ids.len(), 50);
    let (stored, _) = page_through(&store, &ticket.id, 100).await;
    assert_eq!(stored.len(), 51, "the first message and all 50");
    assert!(ids.iter().all(|id| stored.contains(id)));
    let after = store.get_summary(&ticket.id).await.unwrap().unwrap();
    assert_eq!(resolved.first_response_at, None);
    // One reopen and one first response, whatever the order: the other 48 change nothing.
    assert_eq!(after.version, resolved.version + 2);
    assert_eq!(
        (after.status, after.resolved_at),
        (Status::Open, None),
        "a client message reopened it"
    );
    assert!(after.first_response_at.is_some());
}

#[tokio::test]
async fn two_thousand_messages_page_with_the_ticket_on_every_page_and_no_gap_or_duplicate() {
    let (store, reads) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Long thread").await;
    let seeded = seed_messages(&store, &ticket.summary, 2000, 40).await;

    let mut query = PageQuery {
        limit: 100,
        cursor: None,
    };
    let mut read = Vec::new();
    loop {
        reads.reset();
        let page = store.list_messages(&ticket.id, &query).await.unwrap();
        let requests = if query.cursor.is_none() { 1 } else { 2 };
        assert_eq!(
            reads.requests(),
            requests,
            "the first page is one Query; a later one a Query and the ticket's GetItem"
        );
        assert_eq!(
            page.ticket.as_ref().map(|t| t.client.as_str()),
            Some("client-1"),
            "every page brings the ticket as it is now"
        );
        read.extend(page.messages.into_iter().map(|m| m.id));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    let mut want = vec![ticket.threads[0].id.clone()];
    want.extend(seeded.into_iter().map(|m| m.id));
    assert_eq!(read, want);
}

#[tokio::test]
async fn a_ticket_embeds_a_bounded_window_and_a_cursor_to_the_rest() {
    let (store, reads) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Window").await;
    let seeded = seed_messages(&store, &ticket.summary, 120, 40).await;
    reads.reset();
    let read = store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert_eq!(
        reads.requests(),
        1,
        "a ticket with small messages is one request"
    );
    assert_eq!(read.threads.len(), THREAD_WINDOW);
    assert!(read.threads_truncated);
    let rest = store
        .list_messages(
            &ticket.id,
            &PageQuery {
                limit: 100,
                cursor: read.threads_next_cursor.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.messages[0].id,
        seeded[THREAD_WINDOW - 1].id,
        "continues right after the window"
    );

    let short = seed_ticket(&store, "client-1", "Short").await;
    let read = store.get_ticket(&short.id).await.unwrap().unwrap();
    assert_eq!((read.threads.len(), read.threads_truncated), (1, false));
    assert!(read.threads_next_cursor.is_none());
}

#[tokio::test]
async fn a_window_of_the_largest_messages_stays_under_the_lambda_response_limit() {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Huge").await;
    seed_messages(
        &store,
        &ticket.summary,
        THREAD_WINDOW + 10,
        tickets_domain::thread::MESSAGE_MAX_BYTES,
    )
    .await;
    let read = store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert!(read.threads_truncated);
    let body = serde_json::to_vec(&read).unwrap();
    assert!(body.len() < 6_000_000, "{} bytes", body.len());
}

#[tokio::test]
async fn a_bad_thread_cursor_is_refused() {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Cursor").await;
    for cursor in ["%%%", "bm90LWFuLWlk"] {
        let query = PageQuery {
            limit: 10,
            cursor: Some(cursor.into()),
        };
        assert!(matches!(
            store.list_messages(&ticket.id, &query).await,
            Err(StoreError::InvalidCursor)
        ));
    }
}
