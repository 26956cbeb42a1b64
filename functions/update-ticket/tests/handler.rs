//! `update-ticket` in-process, against the local DynamoDB API.

use serde_json::{json, Value};
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_domain::{Status, Ticket};
use tickets_dynamodb::testing::{all_items, fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};
use update_ticket::handle;

async fn setup() -> (Api<DynamoStore>, Ticket) {
    let (store, _) = fresh_store().await;
    let ticket = seed_ticket(&store, "client-1", "Printer jam").await;
    (Api::new(store, Auth::default()), ticket)
}

fn patch(id: &str, body: &Value) -> TestRequest {
    TestRequest::new("PATCH", format!("/v2/support-tickets/{id}"))
        .ticket(id)
        .json(body)
}

async fn send(api: &Api<DynamoStore>, req: TestRequest) -> (u16, Value) {
    read(handle(api, req.build()).await.unwrap())
}

/// Puts the stored ticket into `status` directly (as an agent would have).
async fn force_status(api: &Api<DynamoStore>, id: &str, status: Status) {
    let ticket = api.store.get_ticket(id).await.unwrap().unwrap();
    let mut after = ticket.summary.clone();
    after.status = status;
    after.resolution = Some("Done".into());
    after.version += 1;
    api.store
        .save_ticket(&ticket.summary, &after)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_owner_edits_title_description_and_tags_while_open() {
    let (api, ticket) = setup().await;
    let body = json!({"title": "Printer jams daily", "tags": ["Hardware"], "description": "Every morning."});
    let (status, reply) = send(&api, patch(&ticket.id, &body).caller("client-1", "client")).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["data"]["title"], "Printer jams daily");
    assert_eq!(reply["data"]["tags"], json!(["hardware"]));
    assert_eq!(reply["data"]["version"], 2);
    let stored = api.store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert_eq!(stored.description, "Every morning.");
}

#[tokio::test]
async fn agents_and_admins_work_the_ticket_through_the_workflow() {
    let (api, ticket) = setup().await;
    let steps = [
        (
            "agent-1",
            "agent",
            json!({"assignedTo": "me", "status": "in_progress", "priority": "urgent"}),
        ),
        (
            "admin-1",
            "admin",
            json!({"status": "resolved", "resolution": "Replaced the roller"}),
        ),
        ("agent-1", "agent", json!({"status": "closed"})),
    ];
    for (sub, role, body) in steps {
        let (status, reply) = send(&api, patch(&ticket.id, &body).caller(sub, role)).await;
        assert_eq!(status, 200, "{body}: {reply}");
    }
    let stored = api.store.get_ticket(&ticket.id).await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Closed);
    assert_eq!(stored.assigned_to.as_deref(), Some("agent-1"));
    assert!(stored.resolved_at.is_some() && stored.closed_at.is_some());
    assert_eq!(stored.version, 4);
}

#[tokio::test]
async fn a_client_sending_staff_fields_is_forbidden_and_nothing_changes() {
    let (api, ticket) = setup().await;
    let before = all_items(&api.store).await;
    for body in [
        json!({"status": "closed"}),
        json!({"assignedTo": "client-1"}),
        json!({"resolution": "fixed it myself"}),
        json!({"title": "ok", "priority": "urgent"}),
    ] {
        let (status, reply) =
            send(&api, patch(&ticket.id, &body).caller("client-1", "client")).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (403, Some("FORBIDDEN")),
            "{body}"
        );
    }
    assert_eq!(all_items(&api.store).await, before);
}

#[tokio::test]
async fn another_client_gets_not_found_even_for_forbidden_fields() {
    let (api, ticket) = setup().await;
    for body in [json!({"title": "mine now"}), json!({"status": "closed"})] {
        let (status, _) = send(&api, patch(&ticket.id, &body).caller("client-2", "client")).await;
        assert_eq!(status, 404);
    }
    let (status, _) = send(&api, patch(&ticket.id, &json!({"title": "x"}))).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn if_match_is_enforced_when_present() {
    let (api, ticket) = setup().await;
    let body = json!({"title": "Conditional"});
    let stale = patch(&ticket.id, &body)
        .caller("agent-1", "agent")
        .header("If-Match", "\"7\"");
    let (status, reply) = send(&api, stale).await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (412, Some("PRECONDITION_FAILED"))
    );
    assert_eq!(
        api.store
            .get_ticket(&ticket.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );

    let current = patch(&ticket.id, &body)
        .caller("agent-1", "agent")
        .header("If-Match", "\"1\"");
    assert_eq!(send(&api, current).await.0, 200);
    let garbage = patch(&ticket.id, &body)
        .caller("agent-1", "agent")
        .header("If-Match", "soon");
    assert_eq!(send(&api, garbage).await.0, 400);
    let any = patch(&ticket.id, &json!({"title": "Any version"}))
        .caller("agent-1", "agent")
        .header("If-Match", "*");
    assert_eq!(send(&api, any).await.0, 200, "* matches any version");
}

#[tokio::test]
async fn invalid_transitions_and_closed_tickets_conflict_and_change_nothing() {
    let (api, ticket) = setup().await;
    let agent = |body: Value| patch(&ticket.id, &body).caller("agent-1", "agent");
    let (status, reply) = send(&api, agent(json!({"status": "resolved"}))).await;
    assert_eq!(
        (status, reply["details"][0]["field"].as_str()),
        (422, Some("resolution"))
    );

    force_status(&api, &ticket.id, Status::Closed).await;
    let before = all_items(&api.store).await;
    for body in [
        json!({"status": "open"}),
        json!({"title": "reopen please"}),
        json!({"priority": "low"}),
    ] {
        let (status, reply) = send(&api, agent(body.clone())).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (409, Some("CONFLICT")),
            "{body}"
        );
    }
    let client = patch(&ticket.id, &json!({"tags": ["x"]})).caller("client-1", "client");
    assert_eq!(send(&api, client).await.0, 409);
    assert_eq!(all_items(&api.store).await, before);
    // Tags may still change on a closed ticket.
    assert_eq!(
        send(&api, agent(json!({"tags": ["archived"]}))).await.0,
        200
    );
}

#[tokio::test]
async fn a_client_cannot_edit_once_work_has_started() {
    let (api, ticket) = setup().await;
    force_status(&api, &ticket.id, Status::InProgress).await;
    let req = patch(&ticket.id, &json!({"title": "more detail"})).caller("client-1", "client");
    assert_eq!(send(&api, req).await.0, 409);
}

#[tokio::test]
async fn bad_bodies_get_the_documented_code_and_change_nothing() {
    let (api, ticket) = setup().await;
    let before = all_items(&api.store).await;
    let agent = |req: TestRequest| req.caller("agent-1", "agent");
    let path = format!("/v2/support-tickets/{}", ticket.id);
    let cases = [
        (
            agent(
                TestRequest::new("PATCH", &path)
                    .ticket(&ticket.id)
                    .header("content-type", "application/json")
                    .raw_body("{nope"),
            ),
            400,
            "INVALID_BODY",
        ),
        (
            agent(patch(&ticket.id, &json!({"title": ["a"]}))),
            400,
            "INVALID_BODY",
        ),
        (
            agent(patch(&ticket.id, &json!({"colour": "red"}))),
            400,
            "INVALID_BODY",
        ),
        (
            agent(patch(&ticket.id, &json!({}))),
            422,
            "VALIDATION_FAILED",
        ),
        (
            agent(patch(&ticket.id, &json!({"title": ""}))),
            422,
            "VALIDATION_FAILED",
        ),
        (
            agent(patch(&ticket.id, &json!({"title": null}))),
            422,
            "VALIDATION_FAILED",
        ),
        (
            agent(patch(&ticket.id, &json!({"status": "done"}))),
            422,
            "VALIDATION_FAILED",
        ),
        (
            agent(patch(&ticket.id, &json!({"tags": ["x".repeat(51)]}))),
            422,
            "VALIDATION_FAILED",
        ),
        (
            agent(patch(
                &ticket.id,
                &json!({"resolution": "x".repeat(10_001)}),
            )),
            422,
            "VALIDATION_FAILED",
        ),
        (
            agent(
                TestRequest::new("PATCH", &path)
                    .ticket(&ticket.id)
                    .raw_body("title=x"),
            ),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
    ];
    for (req, want_status, want_code) in cases {
        let (status, reply) = send(&api, req).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (want_status, Some(want_code)),
            "{reply}"
        );
    }
    assert_eq!(all_items(&api.store).await, before);
}
