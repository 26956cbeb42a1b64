//! The reports' cost: what `get-report` reads for a year's daily report, overall and per
//! agent, when a year of figures comes from `BENCH_REPORT_TICKETS` tickets (default 1,000 and
//! 50,000). The figures are those of made-up tickets spread over the year (ten agents; most
//! answered, resolved and closed, some reopened and rated), written as the rebuild writes them;
//! then the route runs through the counting proxy. A report reads O(days × groups) items
//! whatever the number of tickets: the rows side by side show it.

use std::time::Duration;

use chrono::{Days, NaiveTime, Utc};
use tickets_domain::model::{Category, Priority, Rating, Satisfaction, Status};
use tickets_domain::{TicketSummary, Timestamp};
use tickets_dynamodb::DynamoStore;

use crate::stats::Cost;
use crate::{http_body, with_query, Function, Harness, COST_ENV};

const AGENTS: usize = 10;

pub struct ReportRow {
    pub tickets: usize,
    pub group_by: &'static str,
    pub rows: usize,
    pub cost: Cost,
    pub latency: Duration,
}

/// A made-up ticket `n` of `count`, created on a day of the year before `today` (spread
/// evenly), in a pattern of outcomes that repeats every few tickets.
fn ticket(n: usize, count: usize, today: chrono::NaiveDate) -> TicketSummary {
    let day = today - Days::new((n * 365 / count.max(1)) as u64);
    let minutes = |m: usize| chrono::Duration::minutes(m as i64);
    let created = day
        .and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap())
        .and_utc()
        + minutes(n % 600);
    let at = |after: usize| Timestamp::from(created + minutes(after));
    let mut ticket = TicketSummary {
        id: format!("BENCH{n:08}"),
        title: format!("Report ticket {n}"),
        description: String::new(),
        status: Status::Open,
        priority: Priority::ALL[n % Priority::ALL.len()],
        category: Category::ALL[n % Category::ALL.len()],
        client: format!("bench-report-client-{}", n % 50),
        assigned_to: Some(format!("bench-agent-{}", n % AGENTS)),
        tags: vec![],
        resolution: None,
        created_at: at(0),
        updated_at: at(0),
        resolved_at: None,
        first_response_at: None,
        closed_at: None,
        reopened_at: None,
        deleted_at: None,
        changed_by: None,
        satisfaction: None,
        merged_into: None,
        merged_from: vec![],
        sla: None,
        version: 1,
    };
    if !n.is_multiple_of(10) {
        ticket.first_response_at = Some(at(5 + n % 300));
    }
    if !n.is_multiple_of(7) {
        ticket.resolution = Some("Done".into());
        let _ = ticket.transition(Status::Resolved, at(60 + n % 4_000));
        if n.is_multiple_of(11) {
            let _ = ticket.transition(Status::Open, at(5_000));
            let _ = ticket.transition(Status::Resolved, at(6_000));
        }
        if n.is_multiple_of(3) {
            let _ = ticket.transition(Status::Closed, at(10_000));
            ticket.satisfaction = Some(Satisfaction {
                rating: if n.is_multiple_of(5) {
                    Rating::Bad
                } else {
                    Rating::Good
                },
                comment: None,
                rated_at: at(10_100),
                first_rated_at: at(10_100),
            });
        }
    }
    ticket
}

/// A year's daily report at each size, overall and per agent.
pub fn report_rows(
    h: &Harness,
    functions: &[Function],
    tokio: &tokio::runtime::Runtime,
    sdk: &aws_sdk_dynamodb::Client,
    table: &str,
    sizes: &[usize],
) -> Vec<ReportRow> {
    let Some(route) = functions.iter().find(|f| f.name == "get-report") else {
        return vec![];
    };
    let store = DynamoStore::new(sdk.clone(), table);
    let today = Utc::now().date_naive();
    let from = today - Days::new(365);
    let mut rows = vec![];
    for &count in sizes {
        let tickets: Vec<TicketSummary> = (0..count).map(|n| ticket(n, count, today)).collect();
        if let Err(err) = tokio.block_on(store.rebuild_reports_from(&tickets, chrono_tz::UTC)) {
            eprintln!("warning: the reports' figures were not written: {err}");
            return rows;
        }
        for group_by in ["none", "agent"] {
            let Ok(mut running) =
                h.start_with(&route.name, &route.binary, &h.settings.proxy, COST_ENV)
            else {
                return rows;
            };
            let query = format!("from={from}&to={today}&interval=day&groupBy={group_by}");
            let _ = crate::stats::proxy_take(&h.settings.proxy);
            let answer = h.invoke(&mut running, with_query(&route.fixture, &query));
            h.stop(running);
            let cost = crate::stats::proxy_take(&h.settings.proxy);
            let Ok(answer) = answer else { continue };
            let series = http_body(&answer.body)
                .and_then(|body| body["data"]["series"].as_array().map(Vec::len))
                .unwrap_or(0);
            rows.push(ReportRow {
                tickets: count,
                group_by,
                rows: series,
                cost,
                latency: answer.latency,
            });
        }
    }
    rows
}
