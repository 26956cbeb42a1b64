//! `send-notifications` in-process, against the local DynamoDB API, with a sender that keeps
//! what it was asked to send (SES itself is exercised end to end by tests/e2e/test_email.py).

use std::sync::Mutex;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Context, LambdaEvent};
use send_notifications::{handle, Deps, Outbound};
use serde_json::{json, Value};
use tickets_domain::mail::MailKey;
use tickets_domain::service::post_message;
use tickets_domain::store::{
    Contact, ContactSource, ContactStore, HistoryStore, MailSender, MailStore, PageQuery,
    SendFailure, ThreadReader, TicketReader, TicketWriter,
};
use tickets_domain::{Caller, NewMessage, Role, Timestamp};
use tickets_dynamodb::testing::{fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;

/// Keeps every message it is asked to send; fails the next sends as told.
#[derive(Default)]
struct Outbox {
    sent: Mutex<Vec<(String, String)>>,
    failures: Mutex<Vec<SendFailure>>,
}

impl Outbox {
    fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().unwrap().clone()
    }
    fn fail_next(&self, failure: SendFailure) {
        self.failures.lock().unwrap().push(failure);
    }
}

impl MailSender for Outbox {
    async fn send_raw(&self, to: &str, raw: Vec<u8>) -> Result<String, SendFailure> {
        if let Some(failure) = self.failures.lock().unwrap().pop() {
            return Err(failure);
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push((to.to_owned(), String::from_utf8(raw).unwrap()));
        Ok(format!("ses-{}", sent.len()))
    }
}

struct Setup {
    deps: Deps<DynamoStore, Outbox>,
    ticket: String,
    agent: Caller,
}

async fn setup() -> Setup {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Printer").await;
    // (Stored directly: `remember_caller` remembers once per process, and each test has a
    // table of its own.)
    for (principal, address, staff) in [
        ("client-1", "client@example.com", false),
        ("agent-1", "agent@desk.example", true),
    ] {
        let contact = Contact {
            principal: principal.into(),
            address: address.into(),
            source: ContactSource::Token,
            notifications: true,
            staff,
            created_at: Timestamp::now(),
            former: Vec::new(),
        };
        store.remember_contact(&contact).await.unwrap();
    }
    let agent = Caller::new("agent-1", Role::Agent);
    Setup {
        deps: Deps {
            store,
            sender: Outbox::default(),
            outbound: Outbound {
                key: MailKey::new("a signing key for the handler tests, long enough").unwrap(),
                desk: "support@desk.example".into(),
                desk_name: "Support".into(),
                public_url: "https://desk.example".into(),
                agents: None,
            },
        },
        ticket: ticket.id.clone(),
        agent,
    }
}

/// An SQS batch of EventBridge envelopes, as the rule puts them on the queue.
fn batch(bodies: &[Value]) -> LambdaEvent<SqsEvent> {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(n, body)| {
            json!({"messageId": format!("m{n}"), "body": body.to_string(),
                   "eventSource": "aws:sqs", "attributes": {}, "messageAttributes": {}})
        })
        .collect();
    LambdaEvent::new(
        serde_json::from_value(json!({"Records": records})).unwrap(),
        Context::default(),
    )
}

fn envelope(id: &str, kind: &str, detail: Value) -> Value {
    json!({"version": "0", "id": id, "detail-type": format!("SupportTicket.{kind}"),
           "source": "support-tickets", "time": "2026-11-24T10:00:00Z", "detail": detail})
}

async fn answer(setup: &Setup, text: &str, internal: bool) -> Value {
    let message = post_message(
        &setup.deps.store,
        &setup.ticket,
        &setup.agent,
        NewMessage {
            message: Some(text.into()),
            internal: Some(internal),
        },
    )
    .await
    .unwrap();
    json!({"ticketId": setup.ticket, "client": "client-1", "messageId": message.id,
           "author": "agent-1", "type": "agent", "internal": internal})
}

fn failed(response: &SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn an_answer_reaches_the_client_once_however_often_its_event_comes() {
    let setup = setup().await;
    let event = envelope(
        "ev-1",
        "MessageAdded",
        answer(&setup, "Unplug it & wait <5 min>.", false).await,
    );
    // Twice in one batch, and once more later.
    let response = handle(&setup.deps, batch(&[event.clone(), event.clone()]))
        .await
        .unwrap();
    assert!(failed(&response).is_empty());
    handle(&setup.deps, batch(&[event])).await.unwrap();
    let sent = setup.deps.sender.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (to, mime) = &sent[0];
    assert_eq!(to, "client@example.com");
    assert!(mime.contains("Unplug it & wait <5 min>."));
    let token = setup
        .deps
        .outbound
        .key
        .reply_token(&setup.ticket, "client-1");
    assert!(
        mime.contains(&format!("Reply-To: <support+{token}@desk.example>")),
        "{mime}"
    );
    assert!(mime.contains("Auto-Submitted: auto-generated"));
    assert!(mime.contains("List-Unsubscribe: <https://desk.example/v2/unsubscribe?token="));
    // The id SES gave it names the ticket, for replies that quote it.
    assert_eq!(
        setup.deps.store.ticket_of_sent("ses-1").await.unwrap(),
        Some(setup.ticket.clone())
    );
}

#[tokio::test]
async fn an_internal_note_reaches_nobody_even_when_its_event_says_otherwise() {
    let setup = setup().await;
    let mut detail = answer(&setup, "Customer is difficult.", true).await;
    handle(
        &setup.deps,
        batch(&[envelope("ev-2", "MessageAdded", detail.clone())]),
    )
    .await
    .unwrap();
    // An event that claims the note is public still sends nothing: the stored message rules.
    detail["internal"] = json!(false);
    handle(
        &setup.deps,
        batch(&[envelope("ev-3", "MessageAdded", detail)]),
    )
    .await
    .unwrap();
    assert!(setup.deps.sender.sent().is_empty());
}

#[tokio::test]
async fn a_failure_for_now_is_retried_and_one_for_good_is_recorded_on_the_history() {
    let setup = setup().await;
    let event = envelope(
        "ev-4",
        "MessageAdded",
        answer(&setup, "First.", false).await,
    );
    setup
        .deps
        .sender
        .fail_next(SendFailure::Transient("throttled".into()));
    let response = handle(&setup.deps, batch(std::slice::from_ref(&event)))
        .await
        .unwrap();
    assert_eq!(failed(&response), ["m0"]);
    // The claim was given back: the queue's next delivery sends it.
    handle(&setup.deps, batch(&[event])).await.unwrap();
    assert_eq!(setup.deps.sender.sent().len(), 1);

    let refused = envelope(
        "ev-5",
        "MessageAdded",
        answer(&setup, "Second.", false).await,
    );
    setup
        .deps
        .sender
        .fail_next(SendFailure::Permanent("address refused".into()));
    let response = handle(&setup.deps, batch(std::slice::from_ref(&refused)))
        .await
        .unwrap();
    assert_eq!(failed(&response), ["m0"]);
    let history = setup
        .deps
        .store
        .list_history(
            &setup.ticket,
            &PageQuery {
                limit: 100,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let entry = history
        .entries
        .iter()
        .find(|entry| entry.field == "notification")
        .expect("the refusal on the history");
    assert_eq!(entry.new["to"], "person:client-1");
    // Not tried again.
    handle(&setup.deps, batch(&[refused])).await.unwrap();
    assert_eq!(setup.deps.sender.sent().len(), 1);
}

#[tokio::test]
async fn bounces_complaints_and_the_persons_choice_stop_the_mail() {
    let setup = setup().await;
    let bounce = json!({"version": "0", "id": "b1", "detail-type": "Email Bounced", "source": "aws.ses",
        "detail": {"eventType": "Bounce", "bounce": {"bounceType": "Permanent",
            "bouncedRecipients": [{"emailAddress": "CLIENT@example.com"}]}}});
    let transient = json!({"version": "0", "id": "b2", "detail-type": "Email Bounced", "source": "aws.ses",
        "detail": {"bounce": {"bounceType": "Transient",
            "bouncedRecipients": [{"emailAddress": "agent@desk.example"}]}}});
    handle(&setup.deps, batch(&[bounce, transient]))
        .await
        .unwrap();
    assert!(setup
        .deps
        .store
        .is_suppressed("client@example.com")
        .await
        .unwrap());
    assert!(!setup
        .deps
        .store
        .is_suppressed("agent@desk.example")
        .await
        .unwrap());
    let event = envelope(
        "ev-6",
        "MessageAdded",
        answer(&setup, "Hello?", false).await,
    );
    handle(&setup.deps, batch(&[event])).await.unwrap();
    assert!(setup.deps.sender.sent().is_empty());

    // The agent who has the ticket switched notifications off: a client's message tells them
    // nothing (and tells them when they switch back on).
    let before = setup
        .deps
        .store
        .get_summary(&setup.ticket)
        .await
        .unwrap()
        .unwrap();
    let mut assigned = before.clone().revised("agent-1", Timestamp::now());
    assigned.assigned_to = Some("agent-1".into());
    setup
        .deps
        .store
        .save_ticket(&before, &assigned)
        .await
        .unwrap();
    assert!(setup
        .deps
        .store
        .set_notifications("agent-1", false)
        .await
        .unwrap());
    let client = Caller::new("client-1", Role::Client);
    let message = post_message(
        &setup.deps.store,
        &setup.ticket,
        &client,
        NewMessage {
            message: Some("Me again.".into()),
            internal: None,
        },
    )
    .await
    .unwrap();
    let detail = json!({"ticketId": setup.ticket, "client": "client-1", "messageId": message.id,
        "author": "client-1", "type": "user", "internal": false});
    let told = envelope("ev-7", "MessageAdded", detail);
    handle(&setup.deps, batch(std::slice::from_ref(&told)))
        .await
        .unwrap();
    assert!(setup.deps.sender.sent().is_empty());
    assert!(setup
        .deps
        .store
        .set_notifications("agent-1", true)
        .await
        .unwrap());
    let again = envelope("ev-7b", "MessageAdded", told["detail"].clone());
    handle(&setup.deps, batch(&[again])).await.unwrap();
    assert_eq!(setup.deps.sender.sent()[0].0, "agent@desk.example");
}

#[tokio::test]
async fn a_new_ticket_gets_its_receipt_and_a_message_nobody_can_read_fails_alone() {
    let setup = setup().await;
    let created = envelope(
        "ev-8",
        "Created",
        json!({"ticketId": setup.ticket, "client": "client-1", "by": "client-1"}),
    );
    let response = handle(&setup.deps, batch(&[json!("not an event"), created]))
        .await
        .unwrap();
    assert!(failed(&response).is_empty());
    let sent = setup.deps.sender.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].1.contains("Received: Printer"), "{}", sent[0].1);
}

#[tokio::test]
async fn a_new_tickets_first_message_is_told_once_by_the_new_ticket_notice() {
    let mut setup = setup().await;
    setup.deps.outbound.agents = Some("agents@desk.example".into());
    let ticket = setup
        .deps
        .store
        .list_messages(
            &setup.ticket,
            &PageQuery {
                limit: 1,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let first = &ticket.messages[0];
    let created = envelope(
        "ev-9",
        "Created",
        json!({"ticketId": setup.ticket, "client": "client-1", "by": "client-1"}),
    );
    let described = envelope(
        "ev-10",
        "MessageAdded",
        json!({"ticketId": setup.ticket, "client": "client-1", "messageId": first.id,
               "author": "client-1", "type": "user", "internal": false}),
    );
    handle(&setup.deps, batch(&[created, described]))
        .await
        .unwrap();
    let sent: Vec<String> = setup
        .deps
        .sender
        .sent()
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.contains(&"client@example.com".to_owned()));
    assert!(sent.contains(&"agents@desk.example".to_owned()));
}
