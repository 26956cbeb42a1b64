//! `list-thread-messages` in-process, against the local DynamoDB API.

use list_thread_messages::handle;
use serde_json::Value;
use tickets_domain::service::post_message;
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_domain::{Caller, NewMessage, Role, Ticket, Timestamp};
use tickets_dynamodb::testing::{fresh_store, seed_messages, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

/// A ticket of client-1 with a public reply and an internal note after the first message.
async fn setup() -> (Api<DynamoStore>, Ticket) {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Thread").await;
    let agent = Caller::new("agent-1", Role::Agent);
    for (text, internal) in [("We are on it", false), ("Customer on legacy plan", true)] {
        let message = NewMessage {
            message: Some(text.into()),
            internal: Some(internal),
        };
        post_message(&store, &ticket.id, &agent, message)
            .await
            .unwrap();
    }
    (Api::new(store, Auth::default()), ticket)
}

async fn list(
    api: &Api<DynamoStore>,
    id: &str,
    caller: Option<(&str, &str)>,
    query: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = TestRequest::new("GET", format!("/v2/support-tickets/{id}/threads")).ticket(id);
    if let Some((sub, role)) = caller {
        req = req.caller(sub, role);
    }
    for (name, value) in query {
        req = req.query(name, value);
    }
    read(handle(api, req.build()).await.unwrap())
}

fn texts(reply: &Value) -> Vec<String> {
    reply["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn staff_read_the_whole_thread_and_the_owner_never_sees_internal_notes() {
    let (api, ticket) = setup().await;
    for caller in [("agent-1", "agent"), ("admin-1", "admin")] {
        let (status, reply) = list(&api, &ticket.id, Some(caller), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(
            texts(&reply),
            ["About Thread", "We are on it", "Customer on legacy plan"]
        );
    }
    let (status, reply) = list(&api, &ticket.id, Some(("client-1", "client")), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&reply), ["About Thread", "We are on it"]);
    // Also not on a later page reached by cursor.
    let (_, first) = list(
        &api,
        &ticket.id,
        Some(("client-1", "client")),
        &[("limit", "2")],
    )
    .await;
    let cursor = first["pagination"]["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, rest) = list(
        &api,
        &ticket.id,
        Some(("client-1", "client")),
        &[("cursor", &cursor)],
    )
    .await;
    assert_eq!((status, texts(&rest).len()), (200, 0));
    assert!(!rest.to_string().contains("legacy plan"));
}

#[tokio::test]
async fn other_clients_get_not_found_on_every_page_and_anonymous_callers_401() {
    let (api, ticket) = setup().await;
    let (status, _) = list(&api, &ticket.id, Some(("client-2", "client")), &[]).await;
    assert_eq!(status, 404);
    let (_, first) = list(
        &api,
        &ticket.id,
        Some(("agent-1", "agent")),
        &[("limit", "1")],
    )
    .await;
    let cursor = first["pagination"]["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = list(
        &api,
        &ticket.id,
        Some(("client-2", "client")),
        &[("cursor", &cursor)],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(list(&api, &ticket.id, None, &[]).await.0, 401);
    let missing = tickets_domain::model::new_id();
    assert_eq!(
        list(&api, &missing, Some(("agent-1", "agent")), &[])
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn a_deleted_tickets_thread_is_hidden_from_all_but_admins_even_after_a_cursor_issued_before()
{
    let (api, ticket) = setup().await;
    let callers = [
        ("client-1", "client"),
        ("agent-1", "agent"),
        ("admin-1", "admin"),
    ];
    // Each caller takes a cursor to the second page while the ticket is visible to them.
    let mut cursors = Vec::new();
    for caller in callers {
        let (status, reply) = list(&api, &ticket.id, Some(caller), &[("limit", "1")]).await;
        assert_eq!(status, 200);
        cursors.push(
            reply["pagination"]["nextCursor"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let current = api.store.get_summary(&ticket.id).await.unwrap().unwrap();
    let mut deleted = current.clone();
    deleted.deleted_at = Some(Timestamp::now());
    deleted.version += 1;
    api.store.save_ticket(&current, &deleted).await.unwrap();

    for (caller, cursor) in callers.into_iter().zip(&cursors) {
        let first = list(&api, &ticket.id, Some(caller), &[]).await;
        let next = list(&api, &ticket.id, Some(caller), &[("cursor", cursor)]).await;
        let other = list(
            &api,
            &ticket.id,
            Some(("client-2", "client")),
            &[("cursor", cursor)],
        )
        .await;
        assert_eq!(other.0, 404, "another client, with {caller:?}'s cursor");
        if caller.1 == "admin" {
            assert_eq!((first.0, next.0), (200, 200));
            assert_eq!(texts(&next.1), ["We are on it", "Customer on legacy plan"]);
            continue;
        }
        for (status, reply) in [first, next, other] {
            assert_eq!(status, 404, "{caller:?}");
            let body = reply.to_string();
            assert!(
                !body.contains(&ticket.id) && !body.contains("We are on it"),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn pages_follow_each_other_with_no_gap_and_bad_queries_are_400() {
    let (api, ticket) = setup().await;
    seed_messages(&api.store, &ticket.summary, 30, 10).await;
    let mut seen = Vec::new();
    let mut query: Vec<(&str, String)> = vec![("limit", "7".into())];
    loop {
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, reply) = list(&api, &ticket.id, Some(("agent-1", "agent")), &pairs).await;
        assert_eq!(status, 200);
        seen.extend(
            reply["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["_id"].as_str().unwrap().to_string()),
        );
        match reply["pagination"]["nextCursor"].as_str() {
            Some(cursor) => query = vec![("limit", "7".into()), ("cursor", cursor.to_string())],
            None => break,
        }
    }
    assert_eq!(seen.len(), 33);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "oldest first, each once");
    for bad in [
        [("limit", "0")],
        [("limit", "101")],
        [("cursor", "zzz")],
        [("page", "2")],
    ] {
        let (status, reply) = list(&api, &ticket.id, Some(("agent-1", "agent")), &bad).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (400, Some("INVALID_PARAMETERS")),
            "{bad:?}"
        );
    }
}
