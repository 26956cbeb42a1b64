//! `get-report` in-process, against the local DynamoDB API: figures counted from a few tickets
//! come back per day and per group, as JSON and as the same CSV; clients are refused before
//! anything is read, and every bad parameter is named.

use get_report::{handle, Deps};
use lambda_http::Body;
use serde_json::Value;
use tickets_domain::reports::sketch::within_bound;
use tickets_domain::reports::{delta, Tz};
use tickets_domain::store::ReportStore;
use tickets_domain::{Status, TicketSummary, Timestamp};
use tickets_dynamodb::testing::{fresh_store, seed_ticket};
use tickets_dynamodb::DynamoStore;
use tickets_http::testing::{read, TestRequest};
use tickets_http::{Api, Auth};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

async fn setup() -> Deps<DynamoStore> {
    let (store, _) = fresh_store().await;
    // Three tickets of November 2nd; one answered after 30 minutes and resolved the next day.
    let mut changes = Vec::new();
    for n in 0..3 {
        let mut ticket: TicketSummary = seed_ticket(&store, "client-1", &format!("Ticket {n}"))
            .await
            .summary;
        ticket.created_at = at("2026-11-02T09:00:00.000Z");
        ticket.assigned_to = (n == 0).then(|| "agent-1".to_string());
        changes.push((format!("created-{n}"), delta(None, Some(&ticket), Tz::UTC)));
        if n == 0 {
            let mut done = ticket.clone();
            done.first_response_at = Some(at("2026-11-02T09:30:00.000Z"));
            done.resolution = Some("Fixed".into());
            done.transition(Status::Resolved, at("2026-11-03T09:00:00.000Z"))
                .unwrap();
            changes.push((
                "resolved-0".into(),
                delta(Some(&ticket), Some(&done), Tz::UTC),
            ));
        }
    }
    assert!(store
        .count_changes(&changes, Timestamp::now())
        .await
        .unwrap()
        .is_empty());
    Deps {
        api: Api::new(store, Auth::default()),
        zone: Tz::UTC,
    }
}

fn request(role: &str, query: &[(&str, &str)]) -> TestRequest {
    let mut req = TestRequest::new("GET", "/v2/reports").caller(&format!("{role}-1"), role);
    for (name, value) in query {
        req = req.query(name, value);
    }
    req
}

async fn get(deps: &Deps<DynamoStore>, role: &str, query: &[(&str, &str)]) -> (u16, Value) {
    read(handle(deps, request(role, query).build()).await.unwrap())
}

const NOVEMBER: [(&str, &str); 2] = [("from", "2026-11-01"), ("to", "2026-11-30")];

#[tokio::test]
async fn staff_read_the_figures_per_day_and_per_group() {
    let deps = setup().await;
    let (status, reply) = get(&deps, "agent", &NOVEMBER).await;
    assert_eq!(status, 200, "{reply}");
    let report = &reply["data"];
    assert_eq!(
        report["series"].as_array().unwrap().len(),
        30,
        "every day, quiet ones too"
    );
    let second = &report["series"][1];
    assert_eq!(second["period"], "2026-11-02");
    assert_eq!(second["group"], Value::Null);
    assert_eq!(
        (second["created"].as_i64(), second["backlog"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(second["firstResponseMinutes"]["median"], 30);
    let third = &report["series"][2];
    assert_eq!(
        (third["resolved"].as_i64(), third["backlog"].as_i64()),
        (Some(1), Some(2))
    );
    // A day is 1,440 minutes: estimated within the sketch's bound.
    let estimate = third["resolutionMinutes"]["median"].as_u64().unwrap();
    assert!(within_bound(estimate, 1440), "{estimate}");
    assert_eq!(report["totals"]["created"], 3);
    assert_eq!(report["totals"]["backlog"], 2);
    assert_eq!(report["timeZone"], "UTC");

    let (status, reply) = get(
        &deps,
        "admin",
        &[
            NOVEMBER[0],
            NOVEMBER[1],
            ("groupBy", "agent"),
            ("interval", "month"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let rows = reply["data"]["series"].as_array().unwrap();
    let groups: Vec<&Value> = rows.iter().map(|row| &row["group"]).collect();
    assert_eq!(groups, [&Value::from("agent-1"), &Value::Null]);
    assert_eq!(
        (rows[0]["created"].as_i64(), rows[0]["resolved"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (rows[1]["created"].as_i64(), rows[1]["backlog"].as_i64()),
        (Some(2), Some(2))
    );
}

#[tokio::test]
async fn the_csv_holds_the_same_figures() {
    let deps = setup().await;
    let (_, json) = get(&deps, "agent", &NOVEMBER).await;
    let response = handle(
        &deps,
        request("agent", &NOVEMBER)
            .header("Accept", "text/csv")
            .build(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let Body::Text(csv) = response.body() else {
        panic!("a text body")
    };
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(lines.len(), 31);
    for (line, row) in lines[1..]
        .iter()
        .zip(json["data"]["series"].as_array().unwrap())
    {
        let cells: Vec<&str> = line.split(',').collect();
        let cell = |name: &str| cells[header.iter().position(|h| *h == name).unwrap()];
        assert_eq!(cell("period"), row["period"]);
        assert_eq!(cell("created"), row["created"].to_string());
        assert_eq!(cell("backlog"), row["backlog"].to_string());
        let median = &row["firstResponseMinutes"]["median"];
        assert_eq!(
            cell("firstResponseMedian"),
            if median.is_null() {
                String::new()
            } else {
                median.to_string()
            }
        );
    }
}

#[tokio::test]
async fn clients_are_refused_and_every_bad_parameter_is_named() {
    let deps = setup().await;
    let (status, reply) = get(&deps, "client", &NOVEMBER).await;
    assert_eq!(status, 403, "{reply}");
    // Refused first, whatever the parameters.
    let (status, _) = get(&deps, "client", &[("from", "never")]).await;
    assert_eq!(status, 403);

    let (status, reply) = get(
        &deps,
        "agent",
        &[("from", "2026-11-30"), ("to", "2026-11-01")],
    )
    .await;
    assert_eq!(
        (status, reply["details"][0]["field"].as_str()),
        (400, Some("from")),
        "{reply}"
    );
    let (status, reply) = get(
        &deps,
        "agent",
        &[("from", "2025-01-01"), ("to", "2026-11-30")],
    )
    .await;
    assert_eq!(
        (status, reply["details"][0]["field"].as_str()),
        (400, Some("to")),
        "{reply}"
    );
    let (status, reply) = get(
        &deps,
        "agent",
        &[
            ("groupBy", "client"),
            ("interval", "hour"),
            ("from", "2026-02-30"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = reply["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["from", "interval", "groupBy"]);
    let (status, reply) = get(&deps, "agent", &[("client", "client-1")]).await;
    assert_eq!(
        (status, reply["details"][0]["field"].as_str()),
        (400, Some("client"))
    );

    // An error is JSON whatever the caller accepts.
    let response = handle(
        &deps,
        request("client", &NOVEMBER)
            .header("Accept", "text/csv")
            .build(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["content-type"], "application/json");
}
