//! A person who wrote by e-mail first signs in with the same verified address, against the
//! local DynamoDB (queue in memory): the job their first call starts moves the address and all
//! their tickets (more than one step's worth, a deleted one among them) to the signed-in id,
//! with the messages and files they wrote; an agent's messages stay the agent's, another
//! client's tickets stay theirs, the counters agree with a recount, nothing names the old id
//! but the contact's memory of it. Then the same move with a quarter of the storage requests
//! failing, each failed step run again as the queue would: it ends in the same state.

use serde_json::json;
use tickets_domain::doubles::MemoryQueue;
use tickets_domain::mail::{newcomer_principal, remember_caller};
use tickets_domain::rekey::{rekey_job_id, rekey_step, Rekey, RekeyStep, REKEY_STEP};
use tickets_domain::service::{modify_ticket, post_message};
use tickets_domain::store::{
    AttachmentWriter, ClientData, Contact, ContactSource, ContactStore, JobKind, JobStatus,
    RekeyJobs, ThreadReader, TicketReader,
};
use tickets_domain::{Caller, NewMessage, NewUpload, Role, TicketEdit, Timestamp, UploadRules};
use tickets_dynamodb::layout::Item;
use tickets_dynamodb::testing::{
    all_items, assert_counters_exact, fresh_store, fresh_store_behind, local_client, seed_ticket,
    FaultProxy,
};
use tickets_dynamodb::DynamoStore;

const ADDRESS: &str = "erin@example.com";
const OTHER: &str = "client-kept";
const AGENT: &str = "agent-1";

/// What the desk holds before the person signs in.
struct Desk {
    person: String,
    tickets: Vec<String>,
    /// The ticket with a message and a file of theirs and an agent's answer.
    talked: String,
}

/// `REKEY_STEP + 5` tickets of a person the desk made for an address it got mail from: one
/// with a message and a file of theirs and an agent's answer, one soft-deleted; two tickets of
/// another client.
async fn desk(store: &DynamoStore) -> Desk {
    let person = newcomer_principal();
    store
        .remember_contact(&Contact {
            principal: person.clone(),
            address: ADDRESS.into(),
            source: ContactSource::Email,
            notifications: false,
            staff: false,
            created_at: Timestamp::now(),
            former: Vec::new(),
        })
        .await
        .unwrap();
    let mut tickets = Vec::new();
    for n in 0..REKEY_STEP + 5 {
        tickets.push(
            seed_ticket(store, &person, &format!("Mail {n}"))
                .await
                .summary
                .id,
        );
    }
    let talked = tickets[0].clone();
    let them = Caller::new(&person, Role::Client);
    let said = |text: &str| NewMessage {
        message: Some(text.into()),
        ..NewMessage::default()
    };
    post_message(store, &talked, &them, said("Any news?"))
        .await
        .unwrap();
    post_message(
        store,
        &talked,
        &Caller::new(AGENT, Role::Agent),
        said("On it."),
    )
    .await
    .unwrap();
    let ticket = store.get_summary(&talked).await.unwrap().unwrap();
    let upload = NewUpload {
        filename: Some("invoice.pdf".into()),
        size: Some(2048),
        content_type: Some("application/pdf".into()),
    };
    let file = upload
        .into_attachment(&ticket, 0, &them, &UploadRules::default())
        .unwrap();
    store
        .add_attachment(&file, &TicketEdit::check(&ticket))
        .await
        .unwrap();
    let admin = Caller::new("admin-1", Role::Admin);
    modify_ticket(store, &tickets[1], &admin, None, |t, now| {
        t.soft_deleted(&admin, now).map(Some)
    })
    .await
    .unwrap();
    for n in 0..2 {
        seed_ticket(store, OTHER, &format!("Theirs {n}")).await;
    }
    Desk {
        person,
        tickets,
        talked,
    }
}

/// The id the person signs in with, a client whose token verifies the address.
fn signed_in() -> Caller {
    Caller::new(
        format!("sub-{}", tickets_domain::model::new_id()),
        Role::Client,
    )
    .with_verified_email(ADDRESS)
}

/// Runs the move's steps as the queue would, each failed step again; the tickets it moved.
/// The steps it queued are taken off the queue.
async fn run(store: &DynamoStore, queue: &MemoryQueue, job: &str) -> u64 {
    for _ in 0..500 {
        if let Ok(RekeyStep::Finished(moved)) =
            rekey_step(store, queue, job, Timestamp::now()).await
        {
            while let Some(step) = queue.pop() {
                assert_eq!(step, (job.to_owned(), JobKind::Rekey));
            }
            return moved;
        }
    }
    panic!("the move never ended");
}

fn mentioning(items: &[Item], text: &str) -> Vec<String> {
    items
        .iter()
        .filter(|item| format!("{item:?}").contains(text))
        .map(|item| format!("{:?} {:?}", item.get("pk"), item.get("sk")))
        .collect()
}

/// Everything holds as the move left it.
async fn assert_moved(store: &DynamoStore, desk: &Desk, to: &Caller) {
    let items = all_items(store).await;
    assert_eq!(
        mentioning(&items, &desk.person),
        vec![format!(
            "Some(S(\"PERSON#{}\")) Some(S(\"CONTACT\"))",
            to.id
        )],
        "only the signed-in person's contact remembers the id they had"
    );
    let mut theirs = store.client_ticket_ids(&to.id, 100).await.unwrap();
    let mut expected = desk.tickets.clone();
    theirs.sort();
    expected.sort();
    assert_eq!(theirs, expected, "every ticket, the deleted one too");
    assert_eq!(store.client_ticket_ids(OTHER, 100).await.unwrap().len(), 2);

    let contact = store.contact_by_address(ADDRESS).await.unwrap().unwrap();
    assert_eq!(contact.principal, to.id);
    assert_eq!(contact.former, vec![desk.person.clone()]);
    assert!(!contact.notifications, "their choice came with them");
    assert_eq!(store.contact_of(&desk.person).await.unwrap(), None);

    let ticket = store.get_ticket(&desk.talked).await.unwrap().unwrap();
    assert_eq!(ticket.summary.client, to.id);
    let authors: Vec<&str> = ticket.threads.iter().map(|m| m.author.as_str()).collect();
    assert_eq!(authors, [to.id.as_str(), to.id.as_str(), AGENT]);
    assert_eq!(
        ticket.attachments[0].uploaded_by.as_deref(),
        Some(to.id.as_str())
    );
    let page = store
        .list_messages(
            &desk.talked,
            &tickets_domain::store::PageQuery {
                limit: 10,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let texts: Vec<&str> = page.messages.iter().map(|m| m.message.as_str()).collect();
    assert_eq!(
        texts,
        ["About Mail 0", "Any news?", "On it."],
        "the thread reads as before"
    );
    assert_counters_exact(store).await;
}

#[tokio::test]
async fn a_person_who_wrote_by_mail_is_moved_to_the_id_they_sign_in_with() {
    let (store, _) = fresh_store().await;
    let desk = desk(&store).await;
    let erin = signed_in();
    let queue = MemoryQueue::default();

    let started = remember_caller(&store, &queue, &erin).await.unwrap();
    assert_eq!(started, Some(Rekey::Queued));
    let job = rekey_job_id(&desk.person);
    assert_eq!(queue.pop(), Some((job.clone(), JobKind::Rekey)));
    assert_eq!(
        remember_caller(&store, &queue, &erin).await.unwrap(),
        Some(Rekey::Running),
        "a second call finds the job and queues nothing"
    );
    assert_eq!(queue.pop(), None);
    // Two steps that read the job at once (a chain queued again beside one still alive): one
    // marks it and goes on, the other finds it marked and leaves; a mark whose answer was lost
    // is found as the sender's own.
    let seen = store.rekey_job(&job).await.unwrap().unwrap().updated_at;
    let (first, second): (Timestamp, Timestamp) = (
        "2030-01-01T00:00:00.001Z".parse().unwrap(),
        "2030-01-01T00:00:00.002Z".parse().unwrap(),
    );
    assert!(store.claim_rekey(&job, seen, first).await.unwrap());
    assert!(!store.claim_rekey(&job, seen, second).await.unwrap());
    assert!(store.claim_rekey(&job, seen, first).await.unwrap());
    let stranger = Caller::new("sub-stranger", Role::Agent).with_verified_email(ADDRESS);
    assert_eq!(
        remember_caller(&store, &queue, &stranger).await.unwrap(),
        None,
        "staff with the address move nobody"
    );

    let moved = run(&store, &queue, &job).await;
    assert_eq!(moved, u64::from(REKEY_STEP + 5));
    let ended = store.rekey_job(&job).await.unwrap().unwrap();
    assert_eq!(ended.status, JobStatus::Done);
    assert_eq!((ended.from, ended.to), (None, None), "no id is kept");
    assert_moved(&store, &desk, &erin).await;

    // A redelivered step, and the person's next calls, change nothing.
    let before = all_items(&store).await;
    assert_eq!(
        rekey_step(&store, &queue, &job, Timestamp::now())
            .await
            .unwrap(),
        RekeyStep::Idle
    );
    assert_eq!(remember_caller(&store, &queue, &erin).await.unwrap(), None);
    assert_eq!(queue.pop(), None);
    assert_eq!(all_items(&store).await, before);
}

#[tokio::test]
async fn a_move_that_keeps_failing_midway_ends_as_an_uninterrupted_one() {
    let proxy = FaultProxy::start();
    let (faulty, _) = fresh_store_behind(&proxy).await;
    let clean = DynamoStore::new(local_client(Default::default()), faulty.table());
    let desk = desk(&clean).await;
    let erin = signed_in();
    let queue = MemoryQueue::default();
    proxy.configure(
        json!({"rate": 0.25, "kinds": ["drop", "error", "throttle", "lost"], "seed": 11}),
    );
    let job = loop {
        if let Ok(Some(Rekey::Queued)) = remember_caller(&faulty, &queue, &erin).await {
            break queue.pop().unwrap().0;
        }
    };
    let moved = run(&faulty, &queue, &job).await;
    let report = proxy.report();
    proxy.configure(json!({"rate": 0.0}));
    eprintln!("faults: {report}");
    let injected: u64 = report["injected"]
        .as_object()
        .map(|kinds| kinds.values().filter_map(|n| n.as_u64()).sum())
        .unwrap_or_default();
    assert!(injected >= 20, "too few faults to prove anything: {report}");
    assert_eq!(moved, u64::from(REKEY_STEP + 5), "each ticket counted once");
    assert_moved(&clean, &desk, &erin).await;
}
