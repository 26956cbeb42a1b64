//! The reports' figures under a seeded random workload: a month of tickets created, assigned,
//! answered, resolved, reopened, closed, merged, rated, recategorised, deleted, restored and
//! erased, their stream records delivered in random batches (tickets interleaved, each
//! ticket's records in order, as DynamoDB Streams gives them) with batches delivered again.
//! Every figure of the month's report, in every grouping, must equal a recount from the final
//! tickets done here without the domain's counting code (percentiles within the sketch's
//! bound), and a rebuild from the tickets must find nothing to correct.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use lambda_runtime::{Context, LambdaEvent};
use on_ticket_change::{handle, Deps};
use serde_json::{json, Value};
use tickets_domain::history::DomainEvent;
use tickets_domain::model::{Category, Priority, Rating, Satisfaction};
use tickets_domain::reports::sketch::{within_bound, Quantile, MEDIAN, P90};
use tickets_domain::reports::{read_report, Dimension, Report, ReportParams, Tz};
use tickets_domain::sla::{Clock, ClockStatus, Sla};
use tickets_domain::store::EventPublisher;
use tickets_domain::{Caller, Role, Status, StoreError, TicketSummary, Timestamp};
use tickets_dynamodb::testing::{fresh_store, stream_image};
use tickets_dynamodb::DynamoStore;

struct Discard;

impl EventPublisher for Discard {
    async fn publish(&self, _: &[DomainEvent]) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A small deterministic generator (SplitMix64): the same seed, the same workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const ZONE: Tz = chrono_tz::Europe::Madrid;
const AGENTS: [&str; 3] = ["agent-ana", "agent-bo", "agent-cy"];

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn clock(status: ClockStatus, breached_at: Option<Timestamp>) -> Clock {
    Clock {
        status,
        due_at: None,
        breached_at,
        warn_at: None,
        warned_at: None,
        running_since: None,
        counted_seconds: 0,
    }
}

/// One ticket's life: its states, oldest first, and whether it is erased at the end.
struct Life {
    states: Vec<TicketSummary>,
    erased: bool,
}

fn new_ticket(rng: &mut Rng, n: usize) -> TicketSummary {
    // From the evening of October 31st (Madrid: some fall on November 1st) to November 29th.
    let created = Timestamp::from(
        at("2026-10-31T20:00:00.000Z").as_datetime()
            + Duration::minutes(rng.below(29 * 24 * 60) as i64),
    );
    TicketSummary {
        id: format!("T{n:04}"),
        title: format!("Ticket {n}"),
        description: String::new(),
        status: Status::Open,
        priority: *rng.pick(Priority::ALL),
        category: *rng.pick(Category::ALL),
        client: format!("client-{}", rng.below(5)),
        assigned_to: None,
        tags: vec![],
        resolution: None,
        created_at: created,
        updated_at: created,
        resolved_at: None,
        first_response_at: None,
        closed_at: None,
        reopened_at: None,
        deleted_at: None,
        changed_by: None,
        satisfaction: None,
        merged_into: None,
        merged_from: vec![],
        sla: Some(Sla {
            policy: "standard".into(),
            first_response: Some(clock(ClockStatus::Active, None)),
            next_response: None,
            resolution: Some(clock(ClockStatus::Active, None)),
        }),
        version: 1,
    }
}

/// A random change of `ticket` at `now`, following the workflow's rules.
fn change(rng: &mut Rng, ticket: &TicketSummary, now: Timestamp, others: usize) -> TicketSummary {
    let mut next = ticket.clone();
    next.version += 1;
    next.updated_at = now;
    if next.deleted_at.is_some() {
        next.deleted_at = None; // restored
        return next;
    }
    let closed = next.status == Status::Closed;
    match rng.below(12) {
        0 => next.assigned_to = Some(rng.pick(&AGENTS).to_string()),
        1 if next.first_response_at.is_none() && !closed => {
            next.first_response_at = Some(now);
            if let Some(sla) = next.sla.as_mut() {
                let late = rng.chance(30);
                sla.first_response = Some(if late {
                    clock(
                        ClockStatus::Breached,
                        Some(Timestamp::from(now.as_datetime() - Duration::minutes(5))),
                    )
                } else {
                    clock(ClockStatus::Met, None)
                });
            }
        }
        2 | 3
            if matches!(
                next.status,
                Status::Open | Status::InProgress | Status::Pending
            ) =>
        {
            next.resolution = Some("Done".into());
            next.transition(Status::Resolved, now).unwrap();
            if let Some(sla) = next.sla.as_mut() {
                let breached = sla.resolution.as_ref().and_then(|c| c.breached_at);
                sla.resolution = Some(match breached {
                    Some(when) => clock(ClockStatus::Breached, Some(when)),
                    None => clock(ClockStatus::Met, None),
                });
            }
        }
        4 if next.status == Status::Resolved => {
            next.transition(*rng.pick(&[Status::Open, Status::InProgress]), now)
                .unwrap();
            if let Some(sla) = next.sla.as_mut() {
                let breached = sla.resolution.as_ref().and_then(|c| c.breached_at);
                sla.resolution = Some(match breached {
                    Some(when) => clock(ClockStatus::Breached, Some(when)),
                    None => clock(ClockStatus::Active, None),
                });
            }
        }
        5 if !closed => next.transition(Status::Closed, now).unwrap(),
        6 if !closed && others > 1 => {
            next.merged_into = Some(format!("T{:04}", rng.below(others as u64)));
            next.transition(Status::Closed, now).unwrap();
        }
        7 if matches!(next.status, Status::Resolved | Status::Closed) => {
            let rating = *rng.pick(&Rating::ALL);
            let first = next.satisfaction.as_ref().map_or(now, |s| s.first_rated_at);
            next.satisfaction = Some(Satisfaction {
                rating,
                comment: None,
                rated_at: now,
                first_rated_at: first,
            });
        }
        8 => next.category = *rng.pick(Category::ALL),
        9 => next.priority = *rng.pick(Priority::ALL),
        10 if rng.chance(40) => next.deleted_at = Some(now),
        11 if !closed => {
            // The resolution target passes its due time while the ticket is worked.
            if let Some(sla) = next.sla.as_mut() {
                if let Some(resolution) = sla.resolution.as_mut() {
                    if resolution.breached_at.is_none() && resolution.status == ClockStatus::Active
                    {
                        *resolution = clock(ClockStatus::Breached, Some(now));
                    }
                }
            }
        }
        _ => next.title = format!("{} (edited)", next.title),
    }
    next
}

fn workload(seed: u64, tickets: usize) -> Vec<Life> {
    let mut rng = Rng(seed);
    (0..tickets)
        .map(|n| {
            let mut states = vec![new_ticket(&mut rng, n)];
            let mut now = states[0].created_at;
            for _ in 0..rng.below(9) {
                // Changes come minutes to days apart; some run into December.
                now = Timestamp::from(
                    now.as_datetime() + Duration::minutes(1 + rng.below(3 * 24 * 60) as i64),
                );
                let next = change(&mut rng, states.last().unwrap(), now, n);
                states.push(next);
            }
            Life {
                states,
                erased: rng.chance(5),
            }
        })
        .collect()
}

fn record(
    id: &str,
    sequence: u64,
    old: Option<&TicketSummary>,
    new: Option<&TicketSummary>,
) -> Value {
    let image = |ticket: &TicketSummary| serde_json::to_value(stream_image(ticket)).unwrap();
    let ticket = old.or(new).unwrap();
    let mut change = json!({
        "Keys": {"pk": {"S": format!("TICKET#{}", ticket.id)}, "sk": {"S": "TICKET"}},
        "SequenceNumber": format!("{sequence:021}"),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(old) = old {
        change["OldImage"] = image(old);
    }
    if let Some(new) = new {
        change["NewImage"] = image(new);
    }
    let name = match (old, new) {
        (None, _) => "INSERT",
        (_, None) => "REMOVE",
        _ => "MODIFY",
    };
    json!({
        "eventID": id,
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change
    })
}

/// Every ticket's records, interleaved at random (each ticket's in order).
fn stream(rng: &mut Rng, lives: &[Life]) -> Vec<Value> {
    let mut per_ticket: Vec<Vec<Value>> = lives
        .iter()
        .map(|life| {
            let id = &life.states[0].id;
            let mut records = vec![record(&format!("{id}-0"), 0, None, Some(&life.states[0]))];
            for (n, pair) in life.states.windows(2).enumerate() {
                records.push(record(
                    &format!("{id}-{}", n + 1),
                    0,
                    Some(&pair[0]),
                    Some(&pair[1]),
                ));
            }
            if life.erased {
                records.push(record(&format!("{id}-erased"), 0, life.states.last(), None));
            }
            records.reverse();
            records
        })
        .collect();
    let mut all = Vec::new();
    while per_ticket.iter().any(|records| !records.is_empty()) {
        let open: Vec<usize> = (0..per_ticket.len())
            .filter(|i| !per_ticket[*i].is_empty())
            .collect();
        let ticket = *rng.pick(&open);
        let mut next = per_ticket[ticket].pop().unwrap();
        next["dynamodb"]["SequenceNumber"] = json!(format!("{:021}", all.len() + 1));
        all.push(next);
    }
    all
}

fn batch(records: &[Value]) -> LambdaEvent<aws_lambda_events::event::dynamodb::Event> {
    LambdaEvent::new(
        serde_json::from_value(json!({"Records": records})).unwrap(),
        Context::default(),
    )
}

/// What a lead would count by hand from the final tickets, for one group of a dimension:
/// per day, the plain figures and the minutes.
#[derive(Default)]
struct Hand {
    figures: BTreeMap<(NaiveDate, &'static str), i64>,
    first_response: BTreeMap<NaiveDate, Vec<u64>>,
    resolution: BTreeMap<NaiveDate, Vec<u64>>,
    /// Days on which a ticket came in and settled.
    came: Vec<NaiveDate>,
    settled: Vec<NaiveDate>,
}

fn day(at: Timestamp) -> NaiveDate {
    at.as_datetime().with_timezone(&ZONE).date_naive()
}

fn minutes(from: Timestamp, to: Timestamp) -> u64 {
    (to.as_datetime() - from.as_datetime()).num_minutes().max(0) as u64
}

fn count_by_hand(ticket: &TicketSummary, hand: &mut Hand) {
    let mut add = |at: Timestamp, figure: &'static str| {
        *hand.figures.entry((day(at), figure)).or_default() += 1
    };
    add(ticket.created_at, "created");
    let done = matches!(ticket.status, Status::Resolved | Status::Closed);
    if let (true, Some(resolved)) = (done, ticket.resolved_at) {
        add(resolved, "resolved");
        hand.resolution
            .entry(day(resolved))
            .or_default()
            .push(minutes(ticket.created_at, resolved));
    }
    if ticket.status == Status::Closed {
        add(ticket.closed_at.unwrap(), "closed");
    }
    if let Some(reopened) = ticket.reopened_at {
        add(reopened, "reopened");
    }
    if let Some(rating) = &ticket.satisfaction {
        add(
            rating.rated_at,
            if rating.rating == Rating::Good {
                "good"
            } else {
                "bad"
            },
        );
    }
    let sla = ticket.sla.as_ref().unwrap();
    let targets = [
        (
            &sla.first_response,
            ticket
                .first_response_at
                .or(ticket.resolved_at)
                .or(ticket.closed_at),
        ),
        (&sla.resolution, ticket.resolved_at.or(ticket.closed_at)),
    ];
    for (clock, ended) in targets {
        let clock = clock.as_ref().unwrap();
        if let Some(breached) = clock.breached_at {
            add(breached, "breached");
        } else if clock.status == ClockStatus::Met {
            add(ended.unwrap(), "met");
        }
    }
    if let Some(answered) = ticket.first_response_at {
        hand.first_response
            .entry(day(answered))
            .or_default()
            .push(minutes(ticket.created_at, answered));
    }
    hand.came.push(day(ticket.created_at));
    let settled = match ticket.status {
        Status::Resolved => ticket.resolved_at,
        Status::Closed => ticket.resolved_at.or(ticket.closed_at),
        _ => None,
    };
    hand.settled.extend(settled.map(day));
}

fn group_of(ticket: &TicketSummary, dimension: Dimension) -> Option<String> {
    match dimension {
        Dimension::All => None,
        Dimension::Agent => ticket.assigned_to.clone(),
        Dimension::Category => Some(ticket.category.as_str().into()),
        Dimension::Priority => Some(ticket.priority.as_str().into()),
    }
}

fn quantile_checked(
    what: &str,
    estimate: Option<u64>,
    values: Option<&Vec<u64>>,
    quantile: Quantile,
) {
    let exact = values.and_then(|values| quantile.of(&mut values.clone()));
    match (estimate, exact) {
        (Some(estimate), Some(exact)) => assert!(
            within_bound(estimate, exact),
            "{what}: {estimate} for {exact}"
        ),
        (estimate, exact) => assert_eq!(estimate, exact, "{what}"),
    }
}

fn check(report: &Report, finals: &[&TicketSummary], dimension: Dimension) {
    let mut hands: BTreeMap<Option<String>, Hand> = BTreeMap::new();
    for ticket in finals {
        count_by_hand(
            ticket,
            hands.entry(group_of(ticket, dimension)).or_default(),
        );
    }
    let mut rows = 0;
    for row in &report.series {
        let Some(hand) = hands.get(&row.group) else {
            // A group no final ticket is in (a category nobody used): all zeros.
            assert_eq!(
                row.figures.created + row.figures.backlog + row.figures.closed,
                0
            );
            continue;
        };
        let d = row.period;
        let what = format!("{dimension:?} {:?} on {d}", row.group);
        let get = |figure| hand.figures.get(&(d, figure)).copied().unwrap_or(0);
        let f = &row.figures;
        assert_eq!(f.created, get("created"), "created, {what}");
        assert_eq!(f.resolved, get("resolved"), "resolved, {what}");
        assert_eq!(f.closed, get("closed"), "closed, {what}");
        assert_eq!(f.reopened, get("reopened"), "reopened, {what}");
        assert_eq!(f.sla.met, get("met"), "sla met, {what}");
        assert_eq!(f.sla.breached, get("breached"), "sla breached, {what}");
        assert_eq!(f.satisfaction.good, get("good"), "good, {what}");
        assert_eq!(f.satisfaction.bad, get("bad"), "bad, {what}");
        let backlog = hand.came.iter().filter(|c| **c <= d).count() as i64
            - hand.settled.iter().filter(|s| **s <= d).count() as i64;
        assert_eq!(f.backlog, backlog, "backlog, {what}");
        for (quantile, name) in [(MEDIAN, "median"), (P90, "p90")] {
            let pick = |m: &tickets_domain::reports::report::Minutes| {
                if name == "median" {
                    m.median
                } else {
                    m.p90
                }
            };
            quantile_checked(
                &format!("first response {name}, {what}"),
                pick(&f.first_response_minutes),
                hand.first_response.get(&d),
                quantile,
            );
            quantile_checked(
                &format!("resolution {name}, {what}"),
                pick(&f.resolution_minutes),
                hand.resolution.get(&d),
                quantile,
            );
        }
        rows += 1;
    }
    assert!(rows >= 30, "every day of the month has its rows");
}

async fn november(store: &DynamoStore, group_by: &str) -> Report {
    let params = ReportParams {
        from: Some("2026-11-01"),
        to: Some("2026-11-30"),
        interval: Some("day"),
        group_by: Some(group_by),
    };
    let lead = Caller::new("lead", Role::Admin);
    read_report(store, &lead, &params, ZONE, at("2026-12-15T12:00:00.000Z"))
        .await
        .unwrap()
}

#[tokio::test]
async fn every_figure_of_a_month_equals_a_recount_from_the_tickets_under_redelivery() {
    let seed = 20261201;
    let lives = workload(seed, 160);
    let mut rng = Rng(seed ^ 0xA5A5);
    let records = stream(&mut rng, &lives);
    let (store, _) = fresh_store().await;
    let deps = Deps {
        history: store.clone(),
        publisher: Discard,
        reports: store.clone(),
        zone: ZONE,
    };
    let mut start = 0;
    let mut redelivered = 0;
    while start < records.len() {
        let end = (start + 1 + rng.below(60) as usize).min(records.len());
        let response = handle(&deps, batch(&records[start..end])).await.unwrap();
        assert!(response.batch_item_failures.is_empty());
        if rng.chance(50) {
            // Delivered again from a random record on, as after a partial failure.
            let from = start + rng.below((end - start) as u64) as usize;
            let response = handle(&deps, batch(&records[from..end])).await.unwrap();
            assert!(response.batch_item_failures.is_empty());
            redelivered += end - from;
        }
        start = end;
    }
    assert!(
        redelivered > 50,
        "the workload redelivered {redelivered} records"
    );

    let finals: Vec<&TicketSummary> = lives
        .iter()
        .filter(|life| !life.erased)
        .map(|life| life.states.last().unwrap())
        .filter(|ticket| ticket.deleted_at.is_none())
        .collect();
    // The workload reaches every figure.
    let reopened = finals.iter().filter(|t| t.reopened_at.is_some()).count();
    let merged = finals.iter().filter(|t| t.merged_into.is_some()).count();
    let rated = finals.iter().filter(|t| t.satisfaction.is_some()).count();
    let deleted = lives
        .iter()
        .filter(|l| l.states.last().unwrap().deleted_at.is_some())
        .count();
    assert!(
        reopened > 3 && merged > 3 && rated > 3 && deleted > 3,
        "{reopened} {merged} {rated} {deleted}"
    );

    let mut reports = Vec::new();
    for (group_by, dimension) in [
        ("none", Dimension::All),
        ("agent", Dimension::Agent),
        ("category", Dimension::Category),
        ("priority", Dimension::Priority),
    ] {
        let report = november(&store, group_by).await;
        check(&report, &finals, dimension);
        reports.push(report);
    }
    let totals = &reports[0].totals;
    assert!(
        totals.created > 100 && totals.resolved > 10 && totals.sla.breached > 5,
        "{totals:?}"
    );
    // Grouped, the totals are the same.
    for report in &reports[1..] {
        assert_eq!(&report.totals, totals);
    }

    // The rebuild recounts the tickets themselves: written into a table of their own, with
    // empty reports, it makes the same figures; run on the consumer's figures, it corrects
    // nothing.
    let (rebuilt, _) = fresh_store().await;
    for ticket in lives
        .iter()
        .filter(|l| !l.erased)
        .map(|l| l.states.last().unwrap())
    {
        rebuilt
            .client()
            .put_item()
            .table_name(rebuilt.table())
            .set_item(Some(tickets_dynamodb::testing::ticket_item(ticket)))
            .send()
            .await
            .unwrap();
    }
    let first = rebuilt.rebuild_reports(ZONE).await.unwrap();
    assert_eq!(first.tickets, lives.iter().filter(|l| !l.erased).count());
    assert!(first.corrected_items > 100);
    for (n, group_by) in ["none", "agent", "category", "priority"]
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            november(&rebuilt, group_by).await,
            reports[n],
            "rebuilt, by {group_by}"
        );
    }
    assert_eq!(
        rebuilt.rebuild_reports(ZONE).await.unwrap().corrected_items,
        0
    );

    // A time zone change: the rebuild moves the figures to the new days.
    rebuilt
        .rebuild_reports(chrono_tz::America::Los_Angeles)
        .await
        .unwrap();
    assert_ne!(november(&rebuilt, "none").await.series, reports[0].series);
    rebuilt.rebuild_reports(ZONE).await.unwrap();
    assert_eq!(november(&rebuilt, "none").await, reports[0]);
}
