//! `list-tickets` in-process, against the local DynamoDB API.

use std::collections::HashSet;

use list_tickets::handle;
use serde_json::{json, Value};
use tickets_domain::store::TicketWriter;
use tickets_domain::{Priority, Status, Ticket};
use tickets_dynamodb::testing::{fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

/// Five tickets of client-1 (two of them open/technical/high) and three of client-2.
async fn setup() -> (Api<DynamoStore>, Vec<Ticket>) {
    let (store, _) = fresh_store().await;
    let mut tickets = Vec::new();
    for n in 0..8 {
        let client = if n < 5 { "client-1" } else { "client-2" };
        let ticket = seed_ticket(&store, client, &format!("ticket {n}")).await;
        let mut after = ticket.summary.clone();
        after.version += 1;
        if n < 2 {
            after.category = tickets_domain::Category::Technical;
            after.priority = Priority::High;
        }
        if n == 2 || n == 6 {
            after.status = Status::Pending;
            after.assigned_to = Some("agent-1".into());
        }
        if n == 3 {
            after.tags = vec!["vpn".into()];
        }
        store.save_ticket(&ticket.summary, &after).await.unwrap();
        tickets.push(Ticket {
            summary: after,
            ..ticket
        });
    }
    (Api::new(store, Auth::default()), tickets)
}

async fn list(
    api: &Api<DynamoStore>,
    caller: Option<(&str, &str)>,
    query: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = TestRequest::new("GET", "/v2/support-tickets");
    if let Some((sub, role)) = caller {
        req = req.caller(sub, role);
    }
    for (name, value) in query {
        req = req.query(name, value);
    }
    read(handle(api, req.build()).await.unwrap())
}

fn ids(reply: &Value) -> Vec<String> {
    reply["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_documented_list_query_answers_data_pagination_and_counts() {
    let (api, tickets) = setup().await;
    let query = [
        ("page", "1"),
        ("limit", "10"),
        ("status", "open"),
        ("category", "technical"),
        ("priority", "high"),
        ("countByStatus", "true"),
    ];
    let (status, reply) = list(&api, Some(("agent-1", "agent")), &query).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["success"], true);
    let mut want = vec![tickets[1].id.clone(), tickets[0].id.clone()];
    want.sort_by(|a, b| b.cmp(a));
    let mut got = ids(&reply);
    got.sort_by(|a, b| b.cmp(a));
    assert_eq!(got, want);
    assert_eq!(reply["pagination"]["page"], 1);
    assert_eq!(reply["pagination"]["limit"], 10);
    assert!(
        reply["pagination"].get("total").is_some() && reply["pagination"].get("pages").is_some()
    );
    assert_eq!(
        reply["counts"],
        json!({"open": 6, "pending": 2, "in_progress": 0, "resolved": 0, "closed": 0})
    );
    assert!(
        reply["data"][0].get("threads").is_none(),
        "summaries carry no thread"
    );
}

#[tokio::test]
async fn clients_list_only_their_own_tickets_and_counts() {
    let (api, tickets) = setup().await;
    let (status, reply) = list(
        &api,
        Some(("client-2", "client")),
        &[("countByStatus", "true")],
    )
    .await;
    assert_eq!(status, 200);
    let got: HashSet<String> = ids(&reply).into_iter().collect();
    let want: HashSet<String> = tickets[5..].iter().map(|t| t.id.clone()).collect();
    assert_eq!(got, want);
    assert_eq!(reply["pagination"]["total"], 3);
    assert_eq!(reply["counts"]["pending"], 1);

    for query in [[("client", "client-1")], [("assignedTo", "agent-1")]] {
        let (status, reply) = list(&api, Some(("client-2", "client")), &query).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (403, Some("FORBIDDEN")),
            "{query:?}"
        );
    }
    assert_eq!(list(&api, None, &[]).await.0, 401);
}

#[tokio::test]
async fn staff_filter_by_client_assignee_and_tag() {
    let (api, tickets) = setup().await;
    let agent = Some(("agent-1", "agent"));
    let (_, reply) = list(&api, agent, &[("client", "client-1")]).await;
    assert_eq!(reply["pagination"]["total"], 5);
    let (_, reply) = list(&api, agent, &[("assignedTo", "me")]).await;
    let got: HashSet<String> = ids(&reply).into_iter().collect();
    assert_eq!(
        got,
        HashSet::from([tickets[2].id.clone(), tickets[6].id.clone()])
    );
    let (_, reply) = list(&api, Some(("admin-1", "admin")), &[("tag", "VPN")]).await;
    assert_eq!(ids(&reply), [tickets[3].id.clone()]);
    assert_eq!(reply["pagination"]["total"], 1);
}

#[tokio::test]
async fn cursor_paging_serves_every_ticket_once_in_order() {
    let (api, _) = setup().await;
    let agent = Some(("agent-1", "agent"));
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "3"), ("sort", "createdAt")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let (status, reply) = list(&api, agent, &query).await;
        assert_eq!(status, 200, "{reply}");
        seen.extend(ids(&reply));
        match reply["pagination"]["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "ULIDs sort by creation");
}

#[tokio::test]
async fn bad_queries_answer_invalid_parameters() {
    let (api, _) = setup().await;
    let agent = Some(("agent-1", "agent"));
    for query in [
        vec![("page", "0")],
        vec![("page", "abc")],
        vec![("limit", "101")],
        vec![("limit", "0")],
        vec![("status", "archived")],
        vec![("category", "TECHNICAL")],
        vec![("sort", "title")],
        vec![("countByStatus", "yes")],
        vec![("unknown", "1")],
        vec![("cursor", "not-a-cursor")],
        vec![("page", "2"), ("cursor", "abc")],
        vec![("page", "100000")],
    ] {
        let (status, reply) = list(&api, agent, &query).await;
        assert_eq!(status, 400, "{query:?}: {reply}");
        assert_eq!(reply["success"], false);
        assert_eq!(reply["error"], "Invalid query parameters");
        assert_eq!(reply["code"], "INVALID_PARAMETERS");
    }
}
